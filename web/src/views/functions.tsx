/**
 * Functions: every function of every namespace (ListNamespaces, ListFunctions) with its runtime, memory
 * and timeout (GetFunction), its last invocation (GetFunctionLogs, the newest record), and sparklines of
 * its invocations, errors and p95 duration over the last hour (GetMonitorData, per minute).
 */
import { useEffect, useState } from 'preact/hooks';
import type { Api, ApiError, Json } from '../api.js';
import { Sparkline } from '../chart.js';
import { type AppContext, isAuthError } from '../context.js';
import {
  DURATION_PERCENTILE,
  type FunctionRef,
  getMetric,
  isMetricsUnavailable,
  onlyWhereRan,
  type Series,
} from '../metrics.js';
import { BASE, functionPath, navigate, withQuery } from '../route.js';
import { formatDuration, formatTime, parseApiTime } from '../time.js';
import { ErrorBox } from './sign-in.js';

interface Row {
  namespace: string;
  functionName: string;
  runtime: string;
  memorySize?: number;
  timeout?: number;
  last?: { time: number; retCode: number };
  spark?: { invocations: Series; errors: Series; p95: Series };
}

async function listAll<T>(api: Api, action: string, key: string, params: Json): Promise<T[]> {
  const all: T[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await api.call<Json>(action, { ...params, Offset: offset, Limit: 100 });
    const items = (page[key] as T[] | undefined) ?? [];
    all.push(...items);
    if (items.length < 100 || all.length >= Number(page['TotalCount'] ?? 0)) return all;
  }
}

const sum = (values: Array<number | null>): number => values.reduce<number>((a, v) => a + (v ?? 0), 0);

/** The largest minute's value, as a duration ('–' when nothing ran). */
function worst(values: Array<number | null>): string {
  const ran = values.filter((v): v is number => v !== null);
  return ran.length === 0 ? '–' : formatDuration(Math.max(...ran));
}

/** Runs `fn` over `items`, `width` at a time. */
async function inBatches<T>(
  items: readonly T[],
  width: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

export function FunctionsView(props: { ctx: AppContext; query: URLSearchParams }) {
  const { api, apiOffset } = props.ctx;
  const nsFilter = props.query.get('namespace') ?? '';
  const [namespaces, setNamespaces] = useState<string[]>([]);
  const [rows, setRows] = useState<Row[] | undefined>();
  const [metricsNote, setMetricsNote] = useState<string | undefined>();
  const [error, setError] = useState<ApiError | undefined>();

  useEffect(() => {
    let live = true;
    const fail = (err: ApiError): void => {
      if (!live) return;
      if (isAuthError(err)) props.ctx.onAuthError(err);
      else setError(err);
    };
    (async () => {
      const ns = (await listAll<Json>(api, 'ListNamespaces', 'Namespaces', {})).map((n) => String(n['Name']));
      if (!live) return;
      setNamespaces(ns);
      const shown = nsFilter ? ns.filter((n) => n === nsFilter) : ns;
      const fns: Row[] = [];
      for (const namespace of shown) {
        for (const f of await listAll<Json>(api, 'ListFunctions', 'Functions', { Namespace: namespace })) {
          fns.push({
            namespace,
            functionName: String(f['FunctionName']),
            runtime: String(f['Runtime'] ?? ''),
          });
        }
      }
      if (!live) return;
      setRows([...fns]);
      // Details and last invocations, six functions at a time (a browser's connections to one host).
      await inBatches(fns, 6, async (r) => {
        const [def, logs] = await Promise.all([
          api.call<Json>('GetFunction', { FunctionName: r.functionName, Namespace: r.namespace }),
          api.call<{ Data?: Json[] }>('GetFunctionLogs', {
            FunctionName: r.functionName,
            Namespace: r.namespace,
            Limit: 1,
          }),
        ]);
        r.memorySize = Number(def['MemorySize']);
        r.timeout = Number(def['Timeout']);
        const last = logs.Data?.[0];
        if (last)
          r.last = {
            time: parseApiTime(String(last['StartTime']), apiOffset),
            retCode: Number(last['RetCode']),
          };
      });
      if (!live) return;
      setRows([...fns]);
      const to = Date.now();
      const range = { from: to - 3_600_000, to, period: 60, offsetMinutes: apiOffset };
      try {
        for (let i = 0; i < fns.length; i += 50) {
          const chunk = fns.slice(i, i + 50);
          const refs: FunctionRef[] = chunk.map((r) => ({
            namespace: r.namespace,
            functionName: r.functionName,
          }));
          const [inv, err, p95] = await Promise.all([
            getMetric(api, 'Invocation', refs, { ...range, fill: 'zero' }),
            getMetric(api, 'Error', refs, { ...range, fill: 'zero' }),
            getMetric(api, DURATION_PERCENTILE[95], refs, { ...range, fill: 'gap' }),
          ]);
          chunk.forEach((r, j) => {
            const p = p95[j]!;
            r.spark = {
              invocations: inv[j]!,
              errors: err[j]!,
              p95: { times: p.times, values: onlyWhereRan(p.values, inv[j]!.values) },
            };
          });
        }
        if (live) setRows([...fns]);
      } catch (e) {
        if (isMetricsUnavailable(e)) {
          if (live)
            setMetricsNote(
              `No metrics from this server (${(e as ApiError).code}): sparklines need GetMonitorData.`,
            );
        } else throw e;
      }
    })().catch(fail);
    return () => {
      live = false;
    };
  }, [api, nsFilter]);

  if (error) return <ErrorBox code={error.code} message={error.message} requestId={error.requestId} />;
  return (
    <section>
      <div class="toolbar">
        <h2>Functions</h2>
        <label>
          Namespace{' '}
          <select
            name="namespace"
            value={nsFilter}
            onChange={(e) =>
              navigate(`${BASE}?${withQuery(props.query, { namespace: e.currentTarget.value })}`)
            }
          >
            <option value="">all</option>
            {namespaces.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>
      {metricsNote && <p class="muted">{metricsNote}</p>}
      {rows === undefined ? (
        <p class="muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p class="muted">No functions yet: `scf-local deploy &lt;folder&gt;` deploys one.</p>
      ) : (
        <table class="list" data-testid="functions">
          <thead>
            <tr>
              <th>Namespace</th>
              <th>Function</th>
              <th>Runtime</th>
              <th>Memory</th>
              <th>Timeout</th>
              <th>Last invocation</th>
              <th>Invocations (1 h)</th>
              <th>Errors (1 h)</th>
              <th>p95 duration (1 h)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={`${r.namespace}/${r.functionName}`}>
                <td>{r.namespace}</td>
                <td>
                  <a
                    href={functionPath(r.namespace, r.functionName)}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(functionPath(r.namespace, r.functionName));
                    }}
                  >
                    {r.functionName}
                  </a>
                </td>
                <td>{r.runtime}</td>
                <td>{r.memorySize !== undefined ? `${r.memorySize} MB` : ''}</td>
                <td>{r.timeout !== undefined ? `${r.timeout} s` : ''}</td>
                <td>
                  {r.last ? (
                    <span class={r.last.retCode === 0 ? '' : 'bad'}>{formatTime(r.last.time)}</span>
                  ) : (
                    <span class="muted">never</span>
                  )}
                </td>
                <td>
                  {r.spark && (
                    <Sparkline
                      values={r.spark.invocations.values}
                      color="#2563eb"
                      title="invocations"
                      summary={String(sum(r.spark.invocations.values))}
                    />
                  )}
                </td>
                <td>
                  {r.spark && (
                    <Sparkline
                      values={r.spark.errors.values}
                      color="#dc2626"
                      title="errors"
                      summary={String(sum(r.spark.errors.values))}
                    />
                  )}
                </td>
                <td>
                  {r.spark && (
                    <Sparkline
                      values={r.spark.p95.values}
                      color="#7c3aed"
                      title="p95 duration, the slowest minute"
                      summary={worst(r.spark.p95.values)}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
