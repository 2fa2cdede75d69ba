/**
 * The console's one door to metrics: Cloud Monitor's `GetMonitorData` (API version 2018-07-24, the same
 * endpoint and signing as SCF's API), namespace `QCE/SCF_V2`, with SCF's metric and dimension names.
 * Everything the charts know about the metrics API's spelling is here, so the duration percentiles,
 * which are an scf-local extension (docs/monitoring.md), are adapted in one place: `DURATION_PERCENTILE`.
 *
 * Answers are series of `[epoch seconds, value]` aligned on the period; a period with no data point is a
 * zero for counts and a gap for durations and memory (nothing ran: there is no duration to show).
 */
import { type Api, ApiError } from './api.js';

export const MONITOR_VERSION = '2018-07-24';
export const SCF_NAMESPACE = 'QCE/SCF_V2';

/** The metric name that carries a duration percentile (the scf-local extension's spelling). */
export const DURATION_PERCENTILE: Record<50 | 95 | 99, string> = {
  50: 'DurationP50',
  95: 'DurationP95',
  99: 'DurationP99',
};

/** Periods GetMonitorData accepts (seconds). */
export const PERIODS = [60, 300, 3600, 86400] as const;

/** The finest period that keeps a range within `maxPoints` points (GetMonitorData caps a request at 7200). */
export function periodFor(rangeMs: number, maxPoints = 720): number {
  for (const p of PERIODS) if (rangeMs / 1000 / p <= maxPoints) return p;
  return 86400;
}

export interface FunctionRef {
  namespace: string;
  functionName: string;
  /** A version (`$LATEST`, `1`) or an alias; absent: every version of the function together. */
  qualifier?: string;
}

export interface Series {
  /** Epoch seconds of each period's start. */
  times: number[];
  values: Array<number | null>;
}

/** `2024-05-01T12:00:00+08:00`: how Cloud Monitor writes a time (here always UTC, `+00:00`). */
export function monitorTime(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}+00:00`;
}

function dimensions(f: FunctionRef): Array<{ Name: string; Value: string }> {
  const dims = [
    { Name: 'functionName', Value: f.functionName },
    { Name: 'namespace', Value: f.namespace },
  ];
  // SCF's dimensions: `version` for a version (it writes `$latest`), `alias` for an alias.
  if (f.qualifier) {
    dims.push(
      /^(\$LATEST|\d+)$/i.test(f.qualifier)
        ? { Name: 'version', Value: f.qualifier.toLowerCase() }
        : { Name: 'alias', Value: f.qualifier },
    );
  }
  return dims;
}

interface DataPoint {
  Dimensions?: Array<{ Name: string; Value: string }>;
  Timestamps?: number[];
  Values?: number[];
}

/**
 * One metric for several functions (one request, at most 50 instances as GetMonitorData allows), each
 * series filled on the period grid from `from` to `to`.
 */
export async function getMetric(
  api: Api,
  metric: string,
  functions: readonly FunctionRef[],
  range: {
    from: number;
    to: number;
    period: number;
    fill: 'zero' | 'gap';
    /** The API's zone (minutes east of UTC): periods are aligned in it, as the server aligns them. */
    offsetMinutes?: number;
  },
): Promise<Series[]> {
  const res = await api.call<{ DataPoints?: DataPoint[] }>(
    'GetMonitorData',
    {
      Namespace: SCF_NAMESPACE,
      MetricName: metric,
      Instances: functions.map((f) => ({ Dimensions: dimensions(f) })),
      Period: range.period,
      StartTime: monitorTime(range.from),
      EndTime: monitorTime(range.to),
    },
    { version: MONITOR_VERSION, service: 'monitor' },
  );
  const p = range.period;
  // A period starts where (t + offset) is a multiple of it: a day is the API's day, and with an offset
  // that is not whole hours, so is an hour.
  const off = (range.offsetMinutes ?? 0) * 60;
  const align = (sec: number): number => Math.floor((sec + off) / p) * p - off;
  const first = align(range.from / 1000);
  const last = align(range.to / 1000);
  const grid: number[] = [];
  for (let t = first; t <= last; t += p) grid.push(t);
  return functions.map((f) => {
    const point = (res.DataPoints ?? []).find((d) => {
      const dims = new Map((d.Dimensions ?? []).map((x) => [x.Name, x.Value]));
      return (
        dims.get('functionName') === f.functionName && (dims.get('namespace') ?? 'default') === f.namespace
      );
    });
    const byTime = new Map<number, number>();
    (point?.Timestamps ?? []).forEach((t, i) => {
      const v = point?.Values?.[i];
      if (typeof v === 'number') byTime.set(align(t), v);
    });
    return {
      times: grid,
      values: grid.map((t) => byTime.get(t) ?? (range.fill === 'zero' ? 0 : null)),
    };
  });
}

/** Whether the server has no metrics API (then the charts show an empty state, not an error). */
export function isMetricsUnavailable(err: unknown): boolean {
  return (
    err instanceof ApiError &&
    (err.code === 'UnsupportedOperation' || err.code === 'InvalidAction' || err.code === 'NoSuchVersion')
  );
}

export interface FunctionCharts {
  times: number[];
  invocations: Array<number | null>;
  /**
   * Errors by kind (together SCF's `Error`): the function's own (`Http4xx`: it threw, or its result was
   * too large), timeouts (`Http433`), memory (`Http434`), and the platform's (`Syserr`: handler missing,
   * process exited, interrupted).
   */
  exception: Array<number | null>;
  timeout: Array<number | null>;
  memory: Array<number | null>;
  platform: Array<number | null>;
  p50: Array<number | null>;
  p95: Array<number | null>;
  p99: Array<number | null>;
  /** Peak memory per period, MB. */
  mem: Array<number | null>;
}

/**
 * A duration or memory series with a gap where nothing ran: the server answers 0 for such periods (so a
 * count needs no filling), but a p95 of 0 ms would be a lie on a chart.
 */
export function onlyWhereRan(
  values: Array<number | null>,
  invocations: Array<number | null>,
): Array<number | null> {
  return values.map((v, i) => ((invocations[i] ?? 0) > 0 ? v : null));
}

/** Everything a function's charts show, over one range (nine metric reads, in parallel). */
export async function functionCharts(
  api: Api,
  f: FunctionRef,
  range: { from: number; to: number; period: number; offsetMinutes?: number },
): Promise<FunctionCharts> {
  const read = (metric: string, fill: 'zero' | 'gap') =>
    getMetric(api, metric, [f], { ...range, fill }).then((s) => s[0]!);
  const [inv, t4xx, t433, t434, sys, p50, p95, p99, mem] = await Promise.all([
    read('Invocation', 'zero'),
    read('Http4xx', 'zero'),
    read('Http433', 'zero'),
    read('Http434', 'zero'),
    read('Syserr', 'zero'),
    read(DURATION_PERCENTILE[50], 'gap'),
    read(DURATION_PERCENTILE[95], 'gap'),
    read(DURATION_PERCENTILE[99], 'gap'),
    read('Mem', 'gap'),
  ]);
  return {
    times: inv.times,
    invocations: inv.values,
    exception: t4xx.values,
    timeout: t433.values,
    memory: t434.values,
    platform: sys.values,
    p50: onlyWhereRan(p50.values, inv.values),
    p95: onlyWhereRan(p95.values, inv.values),
    p99: onlyWhereRan(p99.values, inv.values),
    mem: onlyWhereRan(mem.values, inv.values),
  };
}
