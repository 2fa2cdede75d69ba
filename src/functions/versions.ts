/**
 * Versions and aliases, SCF's rules for them: what a published version freezes, how an alias routes, and
 * how a Qualifier (a version, an alias, `$LATEST`) names the definition that runs. Pure functions over a
 * function definition; the registry (`registry.ts`) stores the changes they plan.
 *
 * - A version is `$LATEST` as it was when published: code and configuration (`VersionSnapshot`), numbered
 *   1, 2, ... (numbers are never reused, not even after a version is deleted). Its view (`versionView`) is
 *   the function's definition with the snapshot in place, so the runtime runs it as it runs `$LATEST`.
 * - An alias routes to a primary version, and optionally one other version by weight (SCF: at most one
 *   additional version, its weight in (0, 1), the primary taking the rest). `$DEFAULT` always exists: it
 *   routes to `$LATEST` until UpdateAlias stores it.
 */
import { RULE, ScfError } from '../errors/index.js';
import {
  type AliasDefinition,
  DEFAULT_ALIAS,
  type FunctionDefinition,
  LATEST,
  type PublishedVersion,
  type VersionSnapshot,
} from './types.js';
import { validateDescription } from './validate.js';

/** SCF: letters, digits, `_` and `-`, starting with a letter, 1–64 characters. */
const ALIAS_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** A published version's name. */
const VERSION_NAME = /^[1-9][0-9]{0,8}$/;

export const versionNotFound = (def: FunctionDefinition, version: string): ScfError =>
  new ScfError(
    'VersionNotFound',
    `function ${def.functionName} in namespace ${def.namespace} has no version ${version}`,
  );

export const aliasNotFound = (def: FunctionDefinition, name: string): ScfError =>
  new ScfError(
    'AliasNotFound',
    `function ${def.functionName} in namespace ${def.namespace} has no alias ${name}`,
  );

/** What `def` runs now, frozen. */
export function snapshotOf(def: FunctionDefinition): VersionSnapshot {
  return {
    handler: def.handler,
    runtime: def.runtime,
    memorySize: def.memorySize,
    timeout: def.timeout,
    description: def.description,
    environment: { ...def.environment },
    codeSize: def.codeSize,
    codeSha256: def.codeSha256,
    revision: def.revision,
    type: def.type,
    attributes: def.attributes,
  };
}

/** The definition that runs for version `v` of `def`. */
export function versionView(def: FunctionDefinition, v: PublishedVersion): FunctionDefinition {
  return { ...def, ...v.function };
}

export function findVersion(def: FunctionDefinition, version: string): PublishedVersion | undefined {
  return def.versions.find((v) => v.version === version);
}

/** True when `q` is a version's name (`$LATEST` or a number), not an alias's. */
export function isVersionName(q: string): boolean {
  return q === LATEST || VERSION_NAME.test(q);
}

/** The alias `name` of `def`, `$DEFAULT` included (implicit until stored). */
export function findAlias(def: FunctionDefinition, name: string): AliasDefinition | undefined {
  const stored = def.aliases.find((a) => a.name === name);
  if (stored || name !== DEFAULT_ALIAS) return stored;
  return {
    name: DEFAULT_ALIAS,
    functionVersion: LATEST,
    description: '',
    additionalVersionWeights: [],
    addTime: def.addTime,
    modTime: def.addTime,
  };
}

/** Every alias of `def`, `$DEFAULT` first (stored or not), then the others in creation order. */
export function aliasesOf(def: FunctionDefinition): AliasDefinition[] {
  const dflt = findAlias(def, DEFAULT_ALIAS) as AliasDefinition;
  return [dflt, ...def.aliases.filter((a) => a.name !== DEFAULT_ALIAS)];
}

/** `qualifier` when it names a version or an alias `def` has; VersionNotFound / AliasNotFound otherwise. */
export function requireQualifier(def: FunctionDefinition, qualifier: string): string {
  if (isVersionName(qualifier)) {
    if (qualifier !== LATEST && !findVersion(def, qualifier)) throw versionNotFound(def, qualifier);
  } else if (!findAlias(def, qualifier)) {
    throw aliasNotFound(def, qualifier);
  }
  return qualifier;
}

/** The versions an alias routes invocations to. */
export function aliasVersions(alias: AliasDefinition): string[] {
  return [alias.functionVersion, ...alias.additionalVersionWeights.map((w) => w.version)];
}

/**
 * The versions a Qualifier names, for reading records: an alias's versions (as it routes now), else the
 * Qualifier itself (a version, even one deleted since: its records stay). `$DEFAULT` names its versions.
 */
export function versionsNamed(def: FunctionDefinition, qualifier: string): string[] {
  if (isVersionName(qualifier)) return [qualifier];
  const alias = findAlias(def, qualifier);
  return alias ? aliasVersions(alias) : [qualifier];
}

/** The version an invocation through `alias` runs: the additional one with its weight's probability. */
export function pickVersion(alias: AliasDefinition, random: () => number = Math.random): string {
  let r = random();
  for (const w of alias.additionalVersionWeights) {
    if (r < w.weight) return w.version;
    r -= w.weight;
  }
  return alias.functionVersion;
}

/**
 * What an invocation with `qualifier` runs (absent: `$LATEST`): the definition (a version's view) and the
 * version's name, which its record carries. VersionNotFound / AliasNotFound when it names nothing.
 */
export function resolveRun(
  def: FunctionDefinition,
  qualifier: string | undefined,
  random: () => number = Math.random,
): { def: FunctionDefinition; version: string } {
  let q = qualifier ?? LATEST;
  if (!isVersionName(q)) {
    const alias = findAlias(def, q);
    if (!alias) throw aliasNotFound(def, q);
    q = pickVersion(alias, random);
  }
  if (q === LATEST) return { def, version: LATEST };
  const v = findVersion(def, q);
  if (!v) throw versionNotFound(def, q);
  return { def: versionView(def, v), version: q };
}

/** The definition a reader asks for with `qualifier` (GetFunction): a version, or an alias's primary. */
export function resolveRead(
  def: FunctionDefinition,
  qualifier: string | undefined,
): { def: FunctionDefinition; version: string } {
  const q = qualifier ?? LATEST;
  if (isVersionName(q)) return resolveRun(def, q);
  const alias = findAlias(def, q);
  if (!alias) throw versionNotFound(def, q);
  return resolveRun(def, alias.functionVersion);
}

/** The published version numbered after the last one. */
export function nextVersion(def: FunctionDefinition, description: string, now: number): PublishedVersion {
  return {
    version: String(def.lastVersion + 1),
    description: validateDescription(description),
    addTime: now,
    modTime: now,
    function: snapshotOf(def),
  };
}

/** The aliases that route to `version` (so it cannot be deleted). */
export function aliasesRoutingTo(def: FunctionDefinition, version: string): AliasDefinition[] {
  return def.aliases.filter((a) => aliasVersions(a).includes(version));
}

export interface AliasInput {
  name: string;
  functionVersion: string;
  description?: string;
  /** Absent: none (every invocation runs the primary version). */
  additionalVersionWeights?: { version: string; weight: number }[];
}

export function validateAliasName(name: string): string {
  if (name === DEFAULT_ALIAS) return name;
  if (!ALIAS_NAME.test(name)) {
    throw new ScfError(
      'InvalidParameterValue',
      `alias name ${JSON.stringify(name)} must be 1 to 64 letters, digits, _ or -, starting with a letter`,
      { field: 'name' },
    );
  }
  return name;
}

/** `version` exists on `def` (`$LATEST` always does), or the alias rule's error. */
function requireRoutable(def: FunctionDefinition, version: string): string {
  if (version === LATEST || findVersion(def, version)) return version;
  throw new ScfError(
    'InvalidParameterValue',
    `function ${def.functionName} has no version ${version} for an alias to route to`,
    { field: 'functionVersion', rule: RULE.aliasVersion },
  );
}

/** The alias `input` describes, checked against `def`; `prev` when updating. */
export function planAlias(
  def: FunctionDefinition,
  input: AliasInput,
  now: number,
  prev?: AliasDefinition,
): AliasDefinition {
  const name = validateAliasName(input.name);
  const primary = requireRoutable(def, input.functionVersion);
  // SCF: without a RoutingConfig the alias sends everything to its primary version (update included).
  const weights = input.additionalVersionWeights ?? [];
  const wrong = (why: string): ScfError =>
    new ScfError('InvalidParameterValue', `RoutingConfig.AdditionalVersionWeights: ${why}`, {
      field: 'additionalVersionWeights',
      rule: RULE.aliasWeights,
    });
  if (weights.length > 1) throw wrong('an alias takes at most one additional version');
  const additional = weights.map((w) => {
    if (!Number.isFinite(w.weight) || w.weight <= 0 || w.weight >= 1) {
      throw wrong(`the weight of version ${w.version} must be between 0 and 1 (exclusive), not ${w.weight}`);
    }
    if (w.version === primary) throw wrong(`version ${w.version} is already the alias's primary version`);
    return { version: requireRoutable(def, w.version), weight: w.weight };
  });
  return {
    name,
    functionVersion: primary,
    description:
      input.description === undefined ? (prev?.description ?? '') : validateDescription(input.description),
    additionalVersionWeights: additional,
    addTime: prev?.addTime ?? now,
    modTime: now,
  };
}
