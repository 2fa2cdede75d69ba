/**
 * The invoke panel: an event as JSON (checked as it is typed), an optional version or alias, and the
 * result of a synchronous Invoke with its log (`LogType: Tail`).
 */
import { useState } from 'preact/hooks';
import type { ApiError, Json } from '../api.js';
import { type AppContext, isAuthError } from '../context.js';
import { formatBytes, formatDuration } from '../time.js';
import { CopyId, LogView, statusOf } from './record.js';
import { ErrorBox } from './sign-in.js';

export function InvokePanel(props: { ctx: AppContext; namespace: string; functionName: string }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('{\n  "key": "value"\n}');
  const [qualifier, setQualifier] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Json | undefined>();
  const [error, setError] = useState<ApiError | undefined>();

  let parseError: string | undefined;
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      parseError = 'The event must be a JSON object.';
  } catch (err) {
    parseError = (err as Error).message;
  }

  const invoke = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      const params: Json = {
        FunctionName: props.functionName,
        Namespace: props.namespace,
        ClientContext: JSON.stringify(JSON.parse(text)),
        LogType: 'Tail',
      };
      if (qualifier.trim()) params['Qualifier'] = qualifier.trim();
      const res = await props.ctx.api.call<{ Result: Json }>('Invoke', params);
      setResult(res.Result);
    } catch (err) {
      if (isAuthError(err)) props.ctx.onAuthError(err);
      else setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <details class="invoke" open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="invoke">
      <summary>Invoke</summary>
      <div class="invoke-body">
        <label class="editor">
          Event (JSON)
          <textarea
            name="event"
            spellcheck={false}
            rows={8}
            value={text}
            class={parseError ? 'invalid' : ''}
            onInput={(e) => setText(e.currentTarget.value)}
            onKeyDown={(e) => {
              // Tab indents instead of leaving the editor; Ctrl/Cmd+Enter invokes.
              if (e.key === 'Tab') {
                e.preventDefault();
                const t = e.currentTarget;
                const at = t.selectionStart;
                setText(`${text.slice(0, at)}  ${text.slice(t.selectionEnd)}`);
                requestAnimationFrame(() => t.setSelectionRange(at + 2, at + 2));
              } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !parseError && !busy) {
                e.preventDefault();
                void invoke();
              }
            }}
          />
        </label>
        {parseError && <p class="bad small">{parseError}</p>}
        <div class="toolbar">
          <label>
            Version or alias{' '}
            <input
              name="invoke-qualifier"
              size={10}
              value={qualifier}
              placeholder="$LATEST"
              onInput={(e) => setQualifier(e.currentTarget.value)}
            />
          </label>
          <button
            type="button"
            name="invoke"
            disabled={busy || parseError !== undefined}
            onClick={() => void invoke()}
          >
            {busy ? 'Invoking…' : 'Invoke'}
          </button>
        </div>
        {error && <ErrorBox code={error.code} message={error.message} requestId={error.requestId} />}
        {result && <InvokeResult result={result} />}
      </div>
    </details>
  );
}

function InvokeResult(props: { result: Json }) {
  const r = props.result;
  const code = Number(r['InvokeResult'] ?? 0);
  const st = code === 0 ? statusOf(0) : statusOf(Number.NaN);
  const rid = String(r['FunctionRequestId'] ?? '');
  return (
    <div class="invoke-result" data-testid="invoke-result">
      <p>
        <span class={`badge ${st.kind}`}>{code === 0 ? 'success' : 'failed'}</span> <code>{rid}</code>{' '}
        <CopyId id={rid} /> <span class="muted">{formatDuration(Number(r['Duration'] ?? 0))}</span>{' '}
        <span class="muted">{formatBytes(Number(r['MemUsage'] ?? 0))}</span>
      </p>
      <div>
        <span class="muted">Result</span>
        <pre class={`retmsg ${st.kind}`} data-testid="invoke-retmsg">
          {String(r['RetMsg'] ?? '')}
        </pre>
      </div>
      {r['ErrMsg'] ? <pre class="retmsg bad">{String(r['ErrMsg'])}</pre> : null}
      <LogView log={String(r['Log'] ?? '')} />
    </div>
  );
}
