/**
 * Cloud Monitor's API 3.0 (`monitor.tencentcloudapi.com`, version 2018-07-24) as far as SCF's metrics go:
 * `GetMonitorData` with Namespace `QCE/SCF_V2`, served on the same endpoint and signed the same ways as
 * SCF's API (the version a request names picks this table instead of SCF's: `index.ts`). Parameters,
 * response model and error spelling are Cloud Monitor's; the operation is `operations/monitor.ts`.
 * See `docs/monitoring.md`.
 */
import { z } from 'zod';
import { type ScfError, toScfError } from '../../../errors/index.js';
import * as ops from '../../operations/index.js';
import { DEFAULT_MONITOR_PERIOD } from '../../operations/limits.js';
import { formatApiTime, parseApiTime } from '../../time.js';
import type { V3Action } from './actions.js';
import { V3_CODES } from './errors.js';
import { badValue, isPlainObject, itemText, type Json, missing, v3 } from './params.js';

/** Cloud Monitor's API version. */
export const MONITOR_VERSION = '2018-07-24';
/** The one Cloud Monitor namespace served (compared case-insensitively: some clients send it lower-case). */
export const SCF_MONITOR_NAMESPACE = 'QCE/SCF_V2';

const GET_MONITOR_DATA = z.object({
  Namespace: v3.oneOf([SCF_MONITOR_NAMESPACE], { caseInsensitive: true }),
  MetricName: v3.required(),
  Instances: v3.list(),
  Period: v3.int(),
  StartTime: v3.str(),
  EndTime: v3.str(),
  // Accepted and ignored: each point has the one statistic SCF defines for its metric (docs/monitoring.md).
  SpecifyStatistics: v3.int(),
});

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A time as Cloud Monitor takes it: ISO 8601 with its offset (`2018-09-22T19:51:23+08:00`, as the SDK's
 * documentation and SCF's console write it), or `YYYY-MM-DD HH:mm:ss` in the API's zone.
 */
function monitorTime(text: string, path: string, offsetMinutes: number): number {
  const t = text.trim();
  const m = ISO_RE.exec(t);
  if (m) {
    const zone = m[7] as string;
    const local = parseApiTime(`${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`, 0);
    if (local !== undefined) {
      if (zone === 'Z') return local;
      const sign = zone.startsWith('-') ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
      if (minutes <= 14 * 60) return local - sign * minutes * 60_000;
    }
  } else {
    const local = parseApiTime(t, offsetMinutes);
    if (local !== undefined) return local;
  }
  throw badValue(path, `${path} must be an ISO 8601 time with its offset, such as 2018-09-22T19:51:23+08:00`);
}

/** `Instances[].Dimensions[]` -> the operation's instances (dimension names as SCF spells them, any case). */
function instancesInput(list: unknown[]): ops.MonitorInstance[] {
  return list.map((inst, i) => {
    const dims = isPlainObject(inst) ? inst['Dimensions'] : undefined;
    if (!Array.isArray(dims)) throw badValue('Instances', `Instances.${i}.Dimensions must be an array`);
    const out: Partial<ops.MonitorInstance> = {};
    dims.forEach((d, j) => {
      const path = `Instances.${i}.Dimensions.${j}`;
      const name = itemText(d, 'Name', `${path}.Name`);
      const value = itemText(d, 'Value', `${path}.Value`);
      if (name === undefined || value === undefined)
        throw badValue('Dimensions', `${path} needs a Name and a Value`);
      const key = DIMENSIONS[name.toLowerCase()];
      if (key === undefined) {
        throw badValue(
          'Dimensions',
          `${path}.Name ${JSON.stringify(name)} is not a dimension of QCE/SCF_V2 (functionName, namespace, version, alias)`,
        );
      }
      if (out[key] !== undefined) throw badValue('Dimensions', `Instances.${i} names ${name} twice`);
      out[key] = value;
    });
    if (out.functionName === undefined) {
      throw badValue('Dimensions', `Instances.${i} must name a functionName dimension`);
    }
    return out as ops.MonitorInstance;
  });
}

const DIMENSIONS: Readonly<Record<string, keyof ops.MonitorInstance>> = {
  functionname: 'functionName',
  namespace: 'namespace',
  version: 'version',
  alias: 'alias',
};

const GET_MONITOR_DATA_ACTION: V3Action = {
  params: GET_MONITOR_DATA,
  async run(raw, { ctx, env }) {
    const p = raw as z.output<typeof GET_MONITOR_DATA>;
    if (p.Namespace === undefined) throw missing('Namespace');
    if (p.Instances === undefined) throw missing('Instances');
    const zone = env.timeZoneOffsetMinutes;
    const endTime = p.EndTime === undefined ? env.now : monitorTime(p.EndTime, 'EndTime', zone);
    // Cloud Monitor's default start: 00:00 of today (in the API's zone).
    const dayMs = 86_400_000;
    const offsetMs = zone * 60_000;
    const startTime =
      p.StartTime === undefined
        ? Math.floor((env.now + offsetMs) / dayMs) * dayMs - offsetMs
        : monitorTime(p.StartTime, 'StartTime', zone);
    const instances = instancesInput(p.Instances);
    const period = p.Period ?? DEFAULT_MONITOR_PERIOD;
    const out = await ops.getMonitorData(ctx, {
      metric: p.MetricName,
      instances,
      period,
      startTime,
      endTime,
    });
    const given = p.Instances as { Dimensions: unknown[] }[];
    return {
      Period: period,
      MetricName: p.MetricName,
      DataPoints: out.series.map((s, i) => ({
        Dimensions: (given[i]?.Dimensions ?? []).map((d) => ({
          Name: String((d as Json)['Name']),
          Value: String((d as Json)['Value']),
        })),
        Timestamps: s.timestamps.map((t) => t / 1000),
        Values: s.values,
      })),
      StartTime: formatApiTime(out.first, zone),
      EndTime: formatApiTime(out.last, zone),
      Msg: '',
    } satisfies Json;
  },
};

/** Cloud Monitor's actions served (only GetMonitorData; any other name is InvalidAction for `monitor`). */
export const MONITOR_ACTIONS: ReadonlyMap<string, V3Action> = new Map([
  ['GetMonitorData', GET_MONITOR_DATA_ACTION],
]);

/** Cloud Monitor's codes for the operations' errors: plain codes, no parameter suffix; any missing resource is ResourceNotFound. */
export function monitorCode(err: ScfError): string {
  switch (err.code) {
    case 'FunctionNotFound':
    case 'NamespaceNotFound':
    case 'VersionNotFound':
    case 'AliasNotFound':
      return 'ResourceNotFound';
    default:
      return V3_CODES[err.code];
  }
}

/** `{Code, Message}` of a Cloud Monitor error. */
export function monitorError(err: unknown): { Code: string; Message: string } {
  const e = toScfError(err);
  return { Code: monitorCode(e), Message: e.message };
}

/** The codes GetMonitorData may answer besides the common ones (`error-codes.ts`' COMMON_V3_CODES). */
export const MONITOR_ACTION_CODES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  GetMonitorData: {
    InvalidParameterValue:
      "Cloud Monitor's code (tencentcloud-sdk-go monitor client.go) for a Namespace, MetricName, Period, time, dimension or point count it does not take",
    ResourceNotFound: 'a function, namespace or alias the dimensions name that does not exist',
  },
};
