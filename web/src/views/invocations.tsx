/**
 * A function's invocations: GetFunctionLogs with every filter it has — status (`Filter.RetCode`), the
 * view's time range (`StartTime`/`EndTime`, at most one day apart: a longer range lists its last day and
 * says so), keyword (`SearchContext.Keyword`), request id (`FunctionRequestId`), version (`Qualifier`),
 * sort (`OrderBy` start_time/duration/mem_usage, `Order` both ways) — paged by `Offset`. In the address:
 * `status`, `q`, `rid`, `qualifier`, `sort`, `order`, `page`, `live`.
 *
 * Live mode (`live=1`) follows the function's tail (stream.ts): each invocation appears as it starts,
 * its lines as printed, and its final record when it ends, above the list.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError, Json } from '../api.js';
import { type AppContext, isAuthError } from '../context.js';
import { follow, type TailEvent } from '../stream.js';
import { formatApiTime, formatTime } from '../time.js';
import type { Range } from './function.js';
import { fromFunctionLog, fromStreamRecord, type Invocation, InvocationRow } from './record.js';
import { ErrorBox } from './sign-in.js';

const PAGE = 20;
const DAY = 86_400_000;
const MAX_LIVE = 500;

export const STATUSES: Array<[string, string]> = [
  ['', 'all'],
  ['not0', 'errors'],
  ['is0', 'success'],
  ['UserCodeException', 'exception (430)'],
  ['TimeLimitExceeded', 'timeout (433)'],
  ['ResourceLimitExceeded', 'memory (434)'],
];
const SORTS: Array<[string, string, string]> = [
  ['time', 'start_time', 'time'],
  ['duration', 'duration', 'duration'],
  ['memory', 'mem_usage', 'memory'],
];

export function InvocationsPanel(props: {
  ctx: AppContext;
  namespace: string;
  functionName: string;
  query: URLSearchParams;
  range: Range;
  go: (changes: Record<string, string | undefined>, replace?: boolean) => void;
}) {
  const { ctx, namespace, functionName, query, range, go } = props;
  const status = query.get('status') ?? '';
  const keyword = query.get('q') ?? '';
  const rid = query.get('rid') ?? '';
  const qualifier = query.get('qualifier') ?? '';
  const sort = query.get('sort') ?? 'time';
  const order = query.get('order') === 'asc' ? 'asc' : 'desc';
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const live = query.get('live') === '1';

  const [rows, setRows] = useState<Invocation[] | undefined>();
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<ApiError | undefined>();
  const [open, setOpen] = useState<Set<string>>(new Set());
  const [draft, setDraft] = useState({ q: keyword, rid, qualifier });
  useEffect(() => setDraft({ q: keyword, rid, qualifier }), [keyword, rid, qualifier]);

  // The list's window: the range, or its last day (GetFunctionLogs takes at most one day).
  const clipped = range.to - range.from > DAY;
  const from = clipped ? range.to - DAY : range.from;

  useEffect(() => {
    let alive = true;
    setRows(undefined);
    const params: Json = {
      FunctionName: functionName,
      Namespace: namespace,
      Offset: (page - 1) * PAGE,
      Limit: PAGE,
      Order: order,
      OrderBy: SORTS.find(([k]) => k === sort)?.[1] ?? 'start_time',
      StartTime: formatApiTime(from, ctx.apiOffset),
      EndTime: formatApiTime(range.to, ctx.apiOffset),
    };
    if (status) params['Filter'] = { RetCode: status };
    if (keyword) params['SearchContext'] = { Keyword: keyword };
    if (rid) params['FunctionRequestId'] = rid;
    if (qualifier) params['Qualifier'] = qualifier;
    ctx.api.call<{ Data?: Json[]; TotalCount?: number }>('GetFunctionLogs', params).then(
      (res) => {
        if (!alive) return;
        setError(undefined);
        setRows((res.Data ?? []).map((r) => fromFunctionLog(r, ctx.apiOffset)));
        setTotal(Number(res.TotalCount ?? 0));
      },
      (err: ApiError) => {
        if (!alive) return;
        if (isAuthError(err)) ctx.onAuthError(err);
        else setError(err);
      },
    );
    return () => {
      alive = false;
    };
  }, [ctx.api, namespace, functionName, status, keyword, rid, qualifier, sort, order, page, from, range.to]);

  const toggle = (id: string): void => {
    const next = new Set(open);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setOpen(next);
  };

  const pages = Math.max(1, Math.ceil(total / PAGE));
  return (
    <section class="invocations">
      <h3>Invocations</h3>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          go({
            q: draft.q.trim(),
            rid: draft.rid.trim(),
            qualifier: draft.qualifier.trim(),
            page: undefined,
          });
        }}
      >
        <label>
          Status{' '}
          <select
            name="status"
            value={status}
            onChange={(e) => go({ status: e.currentTarget.value, page: undefined })}
          >
            {STATUSES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Keyword{' '}
          <input
            name="q"
            value={draft.q}
            placeholder="word, prefix*, &quot;a phrase&quot;"
            onInput={(e) => setDraft({ ...draft, q: e.currentTarget.value })}
          />
        </label>
        <label>
          Request id{' '}
          <input
            name="rid"
            value={draft.rid}
            onInput={(e) => setDraft({ ...draft, rid: e.currentTarget.value })}
          />
        </label>
        <label>
          Version{' '}
          <input
            name="qualifier"
            size={8}
            value={draft.qualifier}
            placeholder="$LATEST, 1, alias"
            onInput={(e) => setDraft({ ...draft, qualifier: e.currentTarget.value })}
          />
        </label>
        <button type="submit">Search</button>
        <label>
          Sort{' '}
          <select
            name="sort"
            value={sort}
            onChange={(e) => go({ sort: e.currentTarget.value, page: undefined })}
          >
            {SORTS.map(([k, , l]) => (
              <option key={k} value={k}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          name="order"
          title="Reverse the order"
          onClick={() => go({ order: order === 'desc' ? 'asc' : 'desc', page: undefined })}
        >
          {order === 'desc' ? '↓ newest/largest first' : '↑ oldest/smallest first'}
        </button>
        <label class="live-toggle">
          <input
            type="checkbox"
            name="live"
            checked={live}
            onChange={(e) => go({ live: e.currentTarget.checked ? '1' : undefined })}
          />{' '}
          Live
        </label>
      </form>
      {clipped && (
        <p class="muted">
          The list shows the range's last day ({formatTime(from)} →): GetFunctionLogs searches at most one day
          at a time.
        </p>
      )}
      {live && <LiveTail ctx={ctx} namespace={namespace} functionName={functionName} qualifier={qualifier} />}
      {error ? (
        <ErrorBox code={error.code} message={error.message} requestId={error.requestId} />
      ) : rows === undefined ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <table class="list invs" data-testid="invocations">
            <thead>
              <tr>
                <th>Start</th>
                <th>Request id</th>
                <th>Status</th>
                <th class="num">Duration</th>
                <th class="num">Memory</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((inv) => (
                <InvocationRow
                  key={inv.requestId}
                  inv={inv}
                  open={open.has(inv.requestId)}
                  onToggle={() => toggle(inv.requestId)}
                />
              ))}
            </tbody>
          </table>
          <div class="pager" data-testid="pager">
            <button type="button" disabled={page <= 1} onClick={() => go({ page: String(page - 1) })}>
              ← newer
            </button>
            <span>
              {total === 0
                ? 'no invocations'
                : `${(page - 1) * PAGE + 1}–${Math.min(total, page * PAGE)} of ${total}`}
            </span>
            <button type="button" disabled={page >= pages} onClick={() => go({ page: String(page + 1) })}>
              older →
            </button>
          </div>
        </>
      )}
    </section>
  );
}

/** The live tail: invocations of this function as they run, newest first. */
function LiveTail(props: { ctx: AppContext; namespace: string; functionName: string; qualifier: string }) {
  const [items, setItems] = useState<Invocation[]>([]);
  const [state, setState] = useState('connecting…');
  const [open, setOpen] = useState<Set<string>>(new Set());
  const byId = useRef(new Map<string, Invocation>());
  const pending = useRef(false);

  useEffect(() => {
    const ctl = new AbortController();
    byId.current.clear();
    setItems([]);
    // Events are applied to a map and the list re-rendered at most once a frame, so 100 invocations a
    // second do not mean 300 renders a second.
    const flush = (): void => {
      pending.current = false;
      setItems([...byId.current.values()].reverse().slice(0, MAX_LIVE));
    };
    const schedule = (): void => {
      if (pending.current) return;
      pending.current = true;
      requestAnimationFrame(flush);
    };
    const onEvent = (e: TailEvent): void => {
      const m = byId.current;
      switch (e.type) {
        case 'ready':
          setState('live');
          return;
        case 'reconnecting':
          setState(`reconnecting (${e.error})`);
          return;
        case 'gap':
          setState(`live (some invocations were missed: ${e.reason}; they are in the list below)`);
          return;
        case 'start':
        case 'end':
          m.set(e.record.requestId, fromStreamRecord(e.record));
          break;
        case 'log': {
          const inv = m.get(e.requestId);
          if (inv && inv.retCode === 2) inv.log += e.text;
          break;
        }
      }
      while (m.size > MAX_LIVE) m.delete(m.keys().next().value!);
      schedule();
    };
    const target = { functionName: props.functionName, namespace: props.namespace };
    // The stream selects versions, not aliases: a version filter is passed only when it names versions.
    const versions = /^(\$LATEST|\d+)(,(\$LATEST|\d+))*$/.test(props.qualifier) ? props.qualifier : undefined;
    follow(props.ctx.api, versions ? { ...target, qualifier: versions } : target, onEvent, ctl.signal).catch(
      (err: unknown) => {
        if (isAuthError(err)) props.ctx.onAuthError(err);
        else setState(`stopped: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
      },
    );
    return () => ctl.abort();
  }, [props.ctx.api, props.namespace, props.functionName, props.qualifier]);

  return (
    <div class="live" data-testid="live">
      <p class="muted">
        <span class="dot" /> Live: <span data-testid="live-state">{state}</span>
      </p>
      {items.length > 0 && (
        <table class="list invs">
          <tbody>
            {items.map((inv) => (
              <InvocationRow
                key={inv.requestId}
                inv={inv}
                open={open.has(inv.requestId)}
                onToggle={() => {
                  const next = new Set(open);
                  if (next.has(inv.requestId)) next.delete(inv.requestId);
                  else next.add(inv.requestId);
                  setOpen(next);
                }}
              />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
