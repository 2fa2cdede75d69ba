/**
 * One invocation as the console shows it, whether it came from GetFunctionLogs (API spelling, times in
 * the API's zone) or from the live tail (canonical spelling, epoch ms); and its log, with the platform's
 * START/END/Report lines set apart and error lines highlighted.
 */
import { useState } from 'preact/hooks';
import type { Json } from '../api.js';
import type { StreamRecord } from '../stream.js';
import { formatBytes, formatDuration, formatTime, parseApiTime } from '../time.js';

export interface Invocation {
  requestId: string;
  startTime: number;
  duration: number;
  memUsage: number;
  retCode: number;
  retMsg: string;
  log: string;
  qualifier?: string | undefined;
}

export function fromFunctionLog(r: Json, apiOffset: number): Invocation {
  return {
    requestId: String(r['RequestId'] ?? ''),
    startTime: parseApiTime(String(r['StartTime'] ?? ''), apiOffset),
    duration: Number(r['Duration'] ?? 0),
    memUsage: Number(r['MemUsage'] ?? 0),
    retCode: Number(r['RetCode'] ?? 0),
    retMsg: String(r['RetMsg'] ?? ''),
    log: String(r['Log'] ?? ''),
  };
}

export function fromStreamRecord(r: StreamRecord): Invocation {
  return {
    requestId: r.requestId,
    startTime: r.startTime,
    duration: r.duration,
    memUsage: r.memUsage,
    retCode: r.retCode,
    retMsg: r.retMsg,
    log: r.log,
    qualifier: r.qualifier,
  };
}

/** SCF's status of a record, by its retCode. */
export function statusOf(retCode: number): { label: string; kind: 'ok' | 'running' | 'bad' } {
  switch (retCode) {
    case 0:
      return { label: 'success', kind: 'ok' };
    case 2:
      return { label: 'running', kind: 'running' };
    case 3:
      return { label: 'interrupted', kind: 'bad' };
    case 430:
      return { label: 'exception', kind: 'bad' };
    case 433:
      return { label: 'timeout', kind: 'bad' };
    case 434:
      return { label: 'memory', kind: 'bad' };
    default:
      return { label: `error ${retCode}`, kind: 'bad' };
  }
}

const PLATFORM_LINE = /^(START|END|Report) RequestId: /;
const ERROR_LINE = /\bERROR\b|\b\w*Error\b:|^Traceback |^\s+at |\bException\b/;

export function LogView(props: { log: string }) {
  const lines = props.log.replace(/\n$/, '').split('\n');
  return (
    <pre class="log" data-testid="log">
      {lines.map((line, i) => {
        const cls = PLATFORM_LINE.test(line) ? 'platform' : ERROR_LINE.test(line) ? 'err' : undefined;
        return (
          <div key={i} class={cls}>
            {line || ' '}
          </div>
        );
      })}
    </pre>
  );
}

export function CopyId(props: { id: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="copy"
      title="Copy the request id"
      onClick={(e) => {
        e.stopPropagation();
        void navigator.clipboard?.writeText(props.id).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1200);
          },
          () => {
            // No clipboard access (a page not in focus, or not a secure context): select the id instead.
            const el = (e.target as HTMLElement).previousElementSibling;
            if (el) getSelection()?.selectAllChildren(el);
          },
        );
      }}
    >
      {copied ? 'copied' : 'copy'}
    </button>
  );
}

export function InvocationRow(props: {
  inv: Invocation;
  open: boolean;
  onToggle: () => void;
  showVersion?: boolean;
}) {
  const { inv } = props;
  const st = statusOf(inv.retCode);
  return (
    <>
      <tr class={`inv ${st.kind}`} data-request-id={inv.requestId} onClick={props.onToggle}>
        <td>{formatTime(inv.startTime)}</td>
        <td class="rid">
          <code>{inv.requestId}</code>
          <CopyId id={inv.requestId} />
        </td>
        <td>
          <span class={`badge ${st.kind}`}>{st.label}</span>
        </td>
        <td class="num">{inv.retCode === 2 ? '' : formatDuration(inv.duration)}</td>
        <td class="num">{inv.retCode === 2 ? '' : formatBytes(inv.memUsage)}</td>
        {props.showVersion && <td>{inv.qualifier ?? ''}</td>}
      </tr>
      {props.open && (
        <tr class="detail">
          <td colSpan={props.showVersion ? 6 : 5}>
            {inv.retMsg && (
              <div class={`retmsg ${st.kind}`}>
                <span class="muted">RetMsg</span> {inv.retMsg}
              </div>
            )}
            <LogView log={inv.log} />
          </td>
        </tr>
      )}
    </>
  );
}
