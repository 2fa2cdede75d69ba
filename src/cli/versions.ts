/**
 * Versions and aliases as the CLI reads and writes them: a `--qualifier` resolved to the versions it
 * selects (the live tail selects by version, never by alias), `--weight V=W` parsed into SCF's
 * RoutingConfig, and an alias's routing for people.
 *
 * Only the syntax is checked here. What a valid version, weight or alias is (a weight's range, how many
 * additional versions an alias may route to) is the server's rule, in one place there; the CLI passes the
 * values on and reports the server's answer.
 */
import { ScfError } from '../errors/index.js';
import { isVersionName } from '../functions/versions.js';
import type { ApiClient, Json } from './client.js';

const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

export { LATEST } from '../functions/types.js';

/**
 * Is this qualifier a version (`$LATEST`, or a number) rather than an alias? The server's rule for a
 * version's name: alias names start with a letter (or are `$DEFAULT`), so the form tells them apart
 * without asking.
 */
export const isVersion = isVersionName;

/** An alias's routing as SCF writes it: the main version, and at most one other with its weight. */
export interface Routing {
  version: string;
  additional: Array<{ version: string; weight: number }>;
}

/** RoutingConfig.AdditionalVersionWeights of an API answer, as the CLI's pairs. */
export function additionalWeights(answer: Json): Array<{ version: string; weight: number }> {
  const routing = answer['RoutingConfig'] as { AdditionalVersionWeights?: unknown } | undefined;
  const weights = routing?.AdditionalVersionWeights;
  if (!Array.isArray(weights)) return [];
  return (weights as Array<{ Version?: unknown; Weight?: unknown }>).map((w) => ({
    version: text(w.Version),
    weight: typeof w.Weight === 'number' ? w.Weight : Number(w.Weight ?? 0),
  }));
}

/**
 * What a qualifier selects: a version selects itself; an alias the versions it routes to now (GetAlias,
 * read once: a tail started on an alias keeps following these versions when the alias changes later).
 */
export async function resolveQualifier(
  client: ApiClient,
  ref: { functionName: string; namespace: string; qualifier: string },
): Promise<{ versions: string[] }> {
  if (isVersion(ref.qualifier)) return { versions: [ref.qualifier] };
  const answer = await client.call<Json>('GetAlias', {
    FunctionName: ref.functionName,
    Namespace: ref.namespace,
    Name: ref.qualifier,
  });
  const alias: Routing = { version: text(answer['FunctionVersion']), additional: additionalWeights(answer) };
  return { versions: [...new Set([alias.version, ...alias.additional.map((w) => w.version)])] };
}

/**
 * `--weight V=W`: version V takes the share W (0.2 = 20%) of the alias's invocations, its main version the
 * rest. Repeatable; the server says how many it takes (SCF: one) and which weights are valid.
 */
export function parseWeight(arg: string): { Version: string; Weight: number } {
  const m = /^\s*([^=\s]+)\s*=\s*([^\s]+)\s*$/.exec(arg);
  const weight = m ? Number(m[2]) : Number.NaN;
  if (!m || m[2] === '' || !Number.isFinite(weight)) {
    throw new ScfError(
      'InvalidParameter',
      `--weight takes <version>=<share of the invocations>, as 2=0.2 (20% to version 2); got ${JSON.stringify(arg)}`,
    );
  }
  return { Version: m[1]!, Weight: weight };
}

/** Commander's collector for a repeatable option. */
export const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** A share as people read it: `0.2` -> `20%`, `0.125` -> `12.5%`. */
export const percent = (share: number): string => `${Number((share * 100).toFixed(2))}%`;

/** An alias's routing for people: `1` alone, or `1 80%, 2 20%`. */
export function formatRouting(routing: Routing): string {
  if (routing.additional.length === 0) return routing.version;
  const others = routing.additional.reduce((sum, w) => sum + w.weight, 0);
  return [
    `${routing.version} ${percent(1 - others)}`,
    ...routing.additional.map((w) => `${w.version} ${percent(w.weight)}`),
  ].join(', ');
}
