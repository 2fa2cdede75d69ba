/**
 * A function: its charts over a range (presets, or dragged across a chart), its invocations with every
 * GetFunctionLogs filter, the live tail, and the invoke panel. Everything the view shows is in its
 * address: `range` (a preset) or `from`/`to` (epoch ms), and the list's filters (invocations.tsx).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ApiError, Json } from '../api.js';
import { stack, TimeChart } from '../chart.js';
import { type AppContext, isAuthError } from '../context.js';
import { type FunctionCharts, functionCharts, isMetricsUnavailable, periodFor } from '../metrics.js';
import { BASE, functionPath, navigate, withQuery } from '../route.js';
import { formatTime } from '../time.js';
import { InvocationsPanel } from './invocations.js';
import { InvokePanel } from './invoke.js';
import { ErrorBox } from './sign-in.js';

export const PRESETS: Array<[string, number]> = [
  ['15m', 15 * 60_000],
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['24h', 24 * 3_600_000],
  ['7d', 7 * 24 * 3_600_000],
];

export interface Range {
  from: number;
  to: number;
  /** The preset's name, or undefined for a range given by its ends. */
  preset: string | undefined;
}

/** The range an address names: `from`/`to`, else the preset `range` (default 1 h) ending now. */
export function rangeOf(query: URLSearchParams, now: number): Range {
  const from = Number(query.get('from'));
  const to = Number(query.get('to'));
  if (query.get('from') && query.get('to') && Number.isFinite(from) && Number.isFinite(to) && from < to) {
    return { from, to, preset: undefined };
  }
  const name = query.get('range') ?? '1h';
  const preset = PRESETS.find(([n]) => n === name) ?? PRESETS[1]!;
  return { from: now - preset[1], to: now, preset: preset[0] };
}

export function FunctionView(props: {
  ctx: AppContext;
  namespace: string;
  functionName: string;
  query: URLSearchParams;
}) {
  const { ctx, namespace, functionName, query } = props;
  const { api } = ctx;
  const [def, setDef] = useState<Json | undefined>();
  const [error, setError] = useState<ApiError | undefined>();
  const [charts, setCharts] = useState<FunctionCharts | undefined>();
  const [chartsNote, setChartsNote] = useState<string | undefined>();
  const [refreshed, setRefreshed] = useState(() => Date.now());
  // The list's version filter narrows the charts too (SCF's `version` or `alias` dimension).
  const qualifier = query.get('qualifier') ?? '';
  const rangeKey = `${query.get('range') ?? ''}|${query.get('from') ?? ''}|${query.get('to') ?? ''}`;
  const range = useMemo(() => rangeOf(query, refreshed), [rangeKey, refreshed]);
  const go = (changes: Record<string, string | undefined>, replace = false): void =>
    navigate(functionPath(namespace, functionName, withQuery(query, changes)), { replace });

  const fail = (err: ApiError): void => {
    if (isAuthError(err)) ctx.onAuthError(err);
    else setError(err);
  };

  useEffect(() => {
    api.call<Json>('GetFunction', { FunctionName: functionName, Namespace: namespace }).then(setDef, fail);
  }, [api, namespace, functionName]);

  useEffect(() => {
    let live = true;
    setCharts(undefined);
    const period = periodFor(range.to - range.from);
    const ref = { namespace, functionName, ...(qualifier ? { qualifier } : {}) };
    functionCharts(api, ref, { from: range.from, to: range.to, period, offsetMinutes: ctx.apiOffset }).then(
      (c) => {
        if (!live) return;
        setCharts(c);
        setChartsNote(undefined);
      },
      (err: ApiError) => {
        if (!live) return;
        if (isMetricsUnavailable(err))
          setChartsNote(`No metrics from this server (${err.code}): the charts need GetMonitorData.`);
        else fail(err);
      },
    );
    return () => {
      live = false;
    };
  }, [api, namespace, functionName, range, qualifier]);

  const onSelect = (from: number, to: number): void =>
    go({ from: String(from), to: String(to), range: undefined, page: undefined });
  const memLimit = Number(def?.['MemorySize'] ?? 0);
  const chartSeries = useMemo(() => {
    if (!charts) return undefined;
    const [exc, tmo, mem, sys] = stack([charts.exception, charts.timeout, charts.memory, charts.platform]);
    return {
      invocations: [
        { label: 'invocations', color: '#2563eb', values: charts.invocations },
        // Stacked: each kind's bar reaches the sum of it and the kinds before it; the tallest is drawn
        // first so each shorter one shows over it.
        { label: 'platform (Syserr)', color: '#78716c', values: sys!, bars: true },
        { label: 'memory (434)', color: '#f59e0b', values: mem!, bars: true },
        { label: 'timeout (433)', color: '#ea580c', values: tmo!, bars: true },
        { label: 'exception', color: '#dc2626', values: exc!, bars: true },
      ],
      duration: [
        { label: 'p50', color: '#16a34a', values: charts.p50 },
        { label: 'p95', color: '#7c3aed', values: charts.p95 },
        { label: 'p99', color: '#db2777', values: charts.p99 },
      ],
      memory: [
        { label: 'peak memory', color: '#0891b2', values: charts.mem },
        { label: 'limit', color: '#64748b', values: charts.times.map(() => memLimit || null), dash: [6, 4] },
      ],
    };
  }, [charts, memLimit]);

  if (error) {
    return (
      <section>
        <Breadcrumb namespace={namespace} functionName={functionName} />
        <ErrorBox code={error.code} message={error.message} requestId={error.requestId} />
      </section>
    );
  }
  return (
    <section>
      <Breadcrumb namespace={namespace} functionName={functionName} />
      {def && (
        <p class="facts" data-testid="facts">
          <span>{String(def['Runtime'])}</span>
          <span>{String(def['MemorySize'])} MB</span>
          <span>timeout {String(def['Timeout'])} s</span>
          <span>handler {String(def['Handler'])}</span>
          {def['Description'] ? <span>{String(def['Description'])}</span> : null}
        </p>
      )}
      <div class="toolbar" data-testid="range">
        {PRESETS.map(([name]) => (
          <button
            type="button"
            key={name}
            class={range.preset === name ? 'on' : ''}
            onClick={() => {
              setRefreshed(Date.now());
              go({ range: name, from: undefined, to: undefined, page: undefined });
            }}
          >
            {name}
          </button>
        ))}
        <button type="button" title="Move a preset's range to now" onClick={() => setRefreshed(Date.now())}>
          refresh
        </button>
        <span class="muted">
          {formatTime(range.from)} → {formatTime(range.to)}
          {range.preset ? '' : ' (dragged; a preset returns to now)'}
        </span>
      </div>
      {chartsNote ? (
        <p class="empty-charts muted" data-testid="charts-empty">
          {chartsNote}
        </p>
      ) : !chartSeries || !charts ? (
        <p class="muted">Loading charts…</p>
      ) : (
        <div class="charts">
          <TimeChart
            title="Invocations and errors"
            times={charts.times}
            series={chartSeries.invocations}
            onSelect={onSelect}
            testId="chart-invocations"
          />
          <TimeChart
            title="Duration"
            unit="ms"
            times={charts.times}
            series={chartSeries.duration}
            onSelect={onSelect}
            testId="chart-duration"
          />
          <TimeChart
            title="Peak memory"
            unit="MB"
            times={charts.times}
            series={chartSeries.memory}
            onSelect={onSelect}
            testId="chart-memory"
          />
        </div>
      )}
      <InvokePanel ctx={ctx} namespace={namespace} functionName={functionName} />
      <InvocationsPanel
        ctx={ctx}
        namespace={namespace}
        functionName={functionName}
        query={query}
        range={range}
        go={go}
      />
    </section>
  );
}

function Breadcrumb(props: { namespace: string; functionName: string }) {
  return (
    <h2 class="crumbs">
      <a
        href={BASE}
        onClick={(e) => {
          e.preventDefault();
          navigate(BASE);
        }}
      >
        Functions
      </a>{' '}
      / {props.namespace} / <span data-testid="function-name">{props.functionName}</span>
    </h2>
  );
}
