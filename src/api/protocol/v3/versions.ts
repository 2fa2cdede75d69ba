/**
 * API 3.0 spellings <-> the version and alias operations (PublishVersion, ListVersionByFunction,
 * DeleteFunctionVersion, CreateAlias, GetAlias, ListAliases, UpdateAlias, DeleteAlias). Response models:
 * `PublishVersionResponse`, `FunctionVersion`, `Alias`, `RoutingConfig` of `scf_models.d.ts`.
 */
import { z } from 'zod';
import { ScfError } from '../../../errors/index.js';
import type { AliasDefinition, FunctionRef } from '../../../functions/types.js';
import type { AliasInput } from '../../../functions/versions.js';
import type {
  ListAliasesInput,
  ListVersionsInput,
  PublishVersionOutput,
  VersionListing,
} from '../../operations/versions.js';
import { formatApiTime } from '../../time.js';
import { functionRefInput } from './manage.js';
import type { MappingEnv } from './mapping.js';
import { badValue, isPlainObject, type Json, v3 } from './params.js';

const REF = { FunctionName: v3.required(), Namespace: v3.str() };

export const PUBLISH_VERSION = z.object({ ...REF, Description: v3.str() });

export function publishVersionInput(
  p: z.output<typeof PUBLISH_VERSION>,
): FunctionRef & { description?: string } {
  const input: FunctionRef & { description?: string } = functionRefInput(p);
  if (p.Description !== undefined) input.description = p.Description;
  return input;
}

export function publishVersionResponse(out: PublishVersionOutput): Json {
  return {
    FunctionVersion: out.version.version,
    CodeSize: out.def.codeSize,
    MemorySize: out.def.memorySize,
    Description: out.version.description,
    Handler: out.def.handler,
    Timeout: out.def.timeout,
    Runtime: out.def.runtime,
    Namespace: out.def.namespace,
  };
}

export const LIST_VERSIONS = z.object({
  ...REF,
  Offset: v3.int({ min: 0 }),
  Limit: v3.int({ min: 0 }),
  Order: v3.oneOf(['ASC', 'DESC'] as const, { caseInsensitive: true }),
  OrderBy: v3.oneOf(['AddTime', 'ModTime'] as const, { caseInsensitive: true }),
});

export function listVersionsInput(p: z.output<typeof LIST_VERSIONS>): ListVersionsInput {
  const input: ListVersionsInput = functionRefInput(p);
  if (p.Offset !== undefined) input.offset = p.Offset;
  if (p.Limit !== undefined) input.limit = p.Limit;
  if (p.Order !== undefined) input.order = p.Order;
  if (p.OrderBy !== undefined) input.orderBy = p.OrderBy;
  return input;
}

export function listVersionsResponse(
  out: { total: number; versions: VersionListing[] },
  env: MappingEnv,
): Json {
  return {
    FunctionVersion: out.versions.map((v) => v.version),
    Versions: out.versions.map((v) => ({
      Version: v.version,
      Description: v.description,
      AddTime: formatApiTime(v.addTime, env.timeZoneOffsetMinutes),
      ModTime: formatApiTime(v.modTime, env.timeZoneOffsetMinutes),
      Status: 'Active',
    })),
    TotalCount: out.total,
  };
}

/** DeleteFunctionVersion: another name for DeleteFunction with a Qualifier. */
export const DELETE_FUNCTION_VERSION = z.object({ ...REF, Qualifier: v3.required(), ForceDelete: v3.str() });

export const deleteFunctionVersionInput = (
  p: z.output<typeof DELETE_FUNCTION_VERSION>,
): FunctionRef & { qualifier: string; onlyVersion: true } => ({
  ...functionRefInput(p),
  qualifier: p.Qualifier,
  // Never the whole function: `$LATEST` is refused.
  onlyVersion: true,
});

export const ALIAS_REF = z.object({ ...REF, Name: v3.required() });

export const aliasRefInput = (p: z.output<typeof ALIAS_REF>): FunctionRef & { name: string } => ({
  ...functionRefInput(p),
  name: p.Name,
});

export const PUT_ALIAS = z.object({
  ...REF,
  Name: v3.required(),
  FunctionVersion: v3.required(),
  RoutingConfig: v3.object({ AdditionalVersionWeights: v3.list(), AddtionVersionMatchs: v3.list() }),
  Description: v3.str(),
});

/** RoutingConfig's weights; rule-based routing (`AddtionVersionMatchs`) is refused. */
function weightsInput(
  routing:
    | { AdditionalVersionWeights?: unknown[] | undefined; AddtionVersionMatchs?: unknown[] | undefined }
    | undefined,
): AliasInput['additionalVersionWeights'] {
  if (routing === undefined) return undefined;
  const matches = routing.AddtionVersionMatchs;
  if (matches !== undefined && matches.length > 0) {
    throw new ScfError(
      'UnsupportedOperation',
      'RoutingConfig.AddtionVersionMatchs (routing by a key of the invocation) is not supported by scf-local; route by AdditionalVersionWeights',
    );
  }
  const list = routing.AdditionalVersionWeights;
  if (list === undefined) return [];
  return list.map((w, i) => {
    const path = `RoutingConfig.AdditionalVersionWeights.${i}`;
    if (!isPlainObject(w)) throw badValue('AdditionalVersionWeights', `${path} must be an object`);
    const version = w['Version'];
    const weight = typeof w['Weight'] === 'string' ? Number(w['Weight']) : w['Weight'];
    if (typeof version !== 'string' && typeof version !== 'number') {
      throw badValue('AdditionalVersionWeights', `${path}.Version must be a version`);
    }
    if (typeof weight !== 'number') {
      throw badValue('AdditionalVersionWeights', `${path}.Weight must be a number`);
    }
    return { version: String(version), weight };
  });
}

export function putAliasInput(p: z.output<typeof PUT_ALIAS>): FunctionRef & AliasInput {
  const input: FunctionRef & AliasInput = {
    ...functionRefInput(p),
    name: p.Name,
    functionVersion: p.FunctionVersion,
  };
  if (p.Description !== undefined) input.description = p.Description;
  const weights = weightsInput(p.RoutingConfig);
  if (weights !== undefined) input.additionalVersionWeights = weights;
  return input;
}

export function aliasModel(a: AliasDefinition, env: MappingEnv): Json {
  return {
    FunctionVersion: a.functionVersion,
    Name: a.name,
    RoutingConfig: {
      AdditionalVersionWeights: a.additionalVersionWeights.map((w) => ({
        Version: w.version,
        Weight: w.weight,
      })),
      AddtionVersionMatchs: [],
    },
    Description: a.description,
    AddTime: formatApiTime(a.addTime, env.timeZoneOffsetMinutes),
    ModTime: formatApiTime(a.modTime, env.timeZoneOffsetMinutes),
  };
}

export const LIST_ALIASES = z.object({
  ...REF,
  FunctionVersion: v3.str(),
  Offset: v3.int({ min: 0 }),
  Limit: v3.int({ min: 0 }),
});

export function listAliasesInput(p: z.output<typeof LIST_ALIASES>): ListAliasesInput {
  const input: ListAliasesInput = functionRefInput(p);
  if (p.FunctionVersion !== undefined) input.functionVersion = p.FunctionVersion;
  if (p.Offset !== undefined) input.offset = p.Offset;
  if (p.Limit !== undefined) input.limit = p.Limit;
  return input;
}

export function listAliasesResponse(
  out: { total: number; aliases: AliasDefinition[] },
  env: MappingEnv,
): Json {
  return { Aliases: out.aliases.map((a) => aliasModel(a, env)), TotalCount: out.total };
}
