/**
 * GetMonitorData (Cloud Monitor's API, namespace QCE/SCF_V2): SCF's metrics of a function over a time
 * range, one value per period. Answered from the store's per-minute rollups only (`store/rollup.ts`),
 * never from the records. What each metric is, and the choices below, are in `docs/monitoring.md`.
 *
 * - Points are aligned to the period in the API's time zone (`apiTimeZoneOffsetMinutes`: a day is a
 *   Beijing day by default), from the one holding the start to the one holding the end, both included;
 *   every point is present, 0 when nothing ran (counts, averages, maxima and percentiles alike).
 * - Versions: a `version` dimension reads that version (`$latest` is `$LATEST`); an `alias` its versions as
 *   it routes now; neither, every version of the function.
 */
import { invalidValue, ScfError } from '../../errors/index.js';
import { DEFAULT_NAMESPACE, LATEST } from '../../functions/types.js';
import { findAlias, isVersionName, versionsNamed } from '../../functions/versions.js';
import { emptyRow, mergeRow, percentile, type RollupRow } from '../../store/rollup.js';
import { MAX_MONITOR_INSTANCES, MAX_MONITOR_POINTS, MONITOR_PERIODS } from './limits.js';
import type { ActionContext } from './types.js';

const MB = 1024 * 1024;

/** How a metric's ConcurrentExecutions reads rows: one version, an alias's versions, or the function. */
type Scope = 'version' | 'alias' | 'function';

interface MetricDef {
  value(row: RollupRow, scope: Scope): number;
  /** Reads the duration histogram (the percentiles): the store leaves it out for the others. */
  histogram?: true;
}

const ratio = (n: number, d: number): number => (d === 0 ? 0 : (n / d) * 100);
const errors = (r: RollupRow): number => r.functionErrors + r.timeouts + r.memoryErrors + r.platformErrors;
const pct = (p: number): MetricDef => ({
  value: (r) => percentile(r.histogram, p, r.durationMax) ?? 0,
  histogram: true,
});

/** SCF's metrics (and scf-local's percentile extension, `DurationP50`/`P95`/`P99`). ConfigMem is separate. */
export const MONITOR_METRICS: Readonly<Record<string, MetricDef>> = {
  Invocation: { value: (r) => r.invocations },
  Error: { value: errors },
  Http2xx: { value: (r) => r.success },
  Http432: { value: (r) => r.throttles },
  Http433: { value: (r) => r.timeouts },
  Http434: { value: (r) => r.memoryErrors },
  Http4xx: { value: (r) => r.functionErrors },
  Syserr: { value: (r) => r.platformErrors },
  Throttle: { value: (r) => r.throttles },
  Duration: { value: (r) => (r.invocations === 0 ? 0 : r.durationSum / r.invocations) },
  DurationP50: pct(50),
  DurationP95: pct(95),
  DurationP99: pct(99),
  Mem: { value: (r) => r.memMax / MB },
  MemDuration: { value: (r) => r.memDuration },
  ConcurrentExecutions: {
    value: (r, scope) => (scope === 'function' ? r.functionConcurrencyMax : r.concurrencyMax),
  },
  FunctionErrorPercentage: {
    value: (r) => ratio(r.functionErrors + r.timeouts + r.memoryErrors, r.invocations),
  },
  ServerErrorPercentage: { value: (r) => ratio(r.platformErrors, r.invocations) },
};

/** Metric names served: SCF's, the extension's, and ConfigMem. */
export const MONITOR_METRIC_NAMES: readonly string[] = [...Object.keys(MONITOR_METRICS), 'ConfigMem'];

export interface MonitorInstance {
  functionName: string;
  namespace?: string;
  version?: string;
  alias?: string;
}

export interface GetMonitorDataInput {
  metric: string;
  instances: MonitorInstance[];
  /** Seconds. */
  period: number;
  /** Epoch ms. */
  startTime: number;
  endTime: number;
}

export interface GetMonitorDataOutput {
  /** Epoch ms of the first and last points. */
  first: number;
  last: number;
  /** One per instance, in order: the points' times (epoch ms) and values. */
  series: { timestamps: number[]; values: number[] }[];
}

/** `$latest` in any case is `$LATEST` (SCF's monitoring writes it lower-case); other names as given. */
const versionName = (v: string): string => (v.toLowerCase() === LATEST.toLowerCase() ? LATEST : v);

export async function getMonitorData(
  ctx: ActionContext,
  input: GetMonitorDataInput,
): Promise<GetMonitorDataOutput> {
  const metric = input.metric;
  if (!MONITOR_METRIC_NAMES.includes(metric)) {
    throw invalidValue(
      'metricName',
      `MetricName ${JSON.stringify(metric)} is not a metric of QCE/SCF_V2 that scf-local serves (${MONITOR_METRIC_NAMES.join(', ')})`,
    );
  }
  if (!MONITOR_PERIODS.includes(input.period)) {
    throw invalidValue(
      'period',
      `Period must be one of ${MONITOR_PERIODS.join(', ')} (seconds); got ${input.period}`,
    );
  }
  if (input.instances.length === 0)
    throw invalidValue('instances', 'Instances must name at least one function');
  if (input.instances.length > MAX_MONITOR_INSTANCES) {
    throw invalidValue(
      'instances',
      `Instances names at most ${MAX_MONITOR_INSTANCES} functions; got ${input.instances.length}`,
    );
  }
  if (input.endTime < input.startTime) throw invalidValue('endTime', 'EndTime is earlier than StartTime.');
  const periodMs = input.period * 1000;
  const offsetMs = ctx.config.apiTimeZoneOffsetMinutes * 60_000;
  const align = (t: number): number => Math.floor((t + offsetMs) / periodMs) * periodMs - offsetMs;
  const first = align(input.startTime);
  const last = align(input.endTime);
  const points = (last - first) / periodMs + 1;
  if (points * input.instances.length > MAX_MONITOR_POINTS) {
    throw invalidValue(
      'period',
      `${points} points for each of ${input.instances.length} instances exceed the ${MAX_MONITOR_POINTS} points of one request: a longer Period or a shorter range`,
    );
  }
  await ctx.functions.sync();
  const series: GetMonitorDataOutput['series'] = [];
  for (const inst of input.instances) {
    const namespace = inst.namespace ?? DEFAULT_NAMESPACE;
    const def = ctx.functions.get(inst.functionName, namespace);
    let scope: Scope = 'function';
    let qualifiers: string[] | undefined;
    if (inst.version !== undefined && inst.alias !== undefined) {
      throw invalidValue('dimensions', 'Dimensions name a version or an alias, not both');
    }
    if (inst.version !== undefined) {
      scope = 'version';
      qualifiers = [versionName(inst.version)];
    } else if (inst.alias !== undefined) {
      if (!findAlias(def, inst.alias)) {
        throw new ScfError(
          'AliasNotFound',
          `alias ${inst.alias} of function ${inst.functionName} does not exist`,
        );
      }
      scope = 'alias';
      qualifiers = versionsNamed(def, inst.alias);
    }
    const timestamps: number[] = [];
    for (let t = first; t <= last; t += periodMs) timestamps.push(t);
    if (metric === 'ConfigMem') {
      // The memory configured now for the version read (an alias's primary; the function's $LATEST).
      const q = qualifiers?.[0] ?? LATEST;
      const mem = isVersionName(q)
        ? (ctx.functions.getQualified(inst.functionName, namespace, q).def.memorySize ?? 0)
        : 0;
      series.push({ timestamps, values: timestamps.map(() => mem) });
      continue;
    }
    const def2 = MONITOR_METRICS[metric] as MetricDef;
    // Summed per period by the store (in SQL on SQLite: a week of minutes is ~10,000 rows).
    const rows = await ctx.store.rollups({
      namespace,
      functionName: inst.functionName,
      ...(qualifiers ? { qualifiers } : {}),
      from: first,
      to: last + periodMs,
      period: { ms: periodMs, offsetMs },
      histogram: def2.histogram === true,
    });
    const buckets = timestamps.map((t) =>
      emptyRow({ namespace, functionName: inst.functionName, qualifier: '', minute: t }),
    );
    for (const row of rows) {
      const b = buckets[Math.floor((row.minute - first) / periodMs)];
      if (b) mergeRow(b, row);
    }
    series.push({ timestamps, values: buckets.map((b) => def2.value(b, scope)) });
  }
  return { first, last, series };
}
