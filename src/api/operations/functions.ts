/**
 * Function and namespace management. Thin: the registry holds the rules. Every read first brings the
 * registry up to the shared catalog (`sync`, a no-op for the file catalog), so a change answered by another
 * node is seen here; the changes do so themselves.
 */

import { invalidValue, RULE, ScfError } from '../../errors/index.js';
import { entrySource } from '../../functions/code.js';
import type { FunctionDefinition } from '../../functions/types.js';
import { DEFAULT_NAMESPACE } from '../../functions/types.js';
import { findVersion } from '../../functions/versions.js';
import { DEFAULT_NAMESPACE_LIMIT, LATEST, MAX_FILTER_VALUES, MAX_LIST_FILTERS } from './limits.js';
import type {
  ActionContext,
  CreateFunctionInput,
  CreateNamespaceInput,
  FunctionFilter,
  FunctionRef,
  GetFunctionInput,
  GetFunctionOutput,
  ListFunctionsOutput,
  ListFunctionsQuery,
  ListNamespacesInput,
  ListNamespacesOutput,
  NamespaceDefinition,
  UpdateFunctionCodeInput,
  UpdateFunctionConfigurationInput,
} from './types.js';

export async function createFunction(
  ctx: ActionContext,
  input: CreateFunctionInput,
): Promise<FunctionDefinition> {
  return ctx.functions.createAsync(input);
}

/**
 * A function's namespace, checked before the function: SCF names an unknown namespace as such
 * (ResourceNotFound.Namespace) in GetFunction, Update* and DeleteFunction, not as a missing function.
 */
async function requireNamespace(ctx: ActionContext, namespace: string | undefined): Promise<void> {
  await ctx.functions.sync();
  const ns = namespace ?? DEFAULT_NAMESPACE;
  if (!ctx.functions.getNamespace(ns))
    throw new ScfError('NamespaceNotFound', `namespace ${ns} does not exist`);
}

/** The function `ref` names, its namespace checked first (NamespaceNotFound, then FunctionNotFound). */
export async function requireFunction(ctx: ActionContext, ref: FunctionRef): Promise<FunctionDefinition> {
  await requireNamespace(ctx, ref.namespace);
  return ctx.functions.get(ref.functionName, ref.namespace);
}

export async function updateFunctionCode(
  ctx: ActionContext,
  input: UpdateFunctionCodeInput,
): Promise<FunctionDefinition> {
  await requireNamespace(ctx, input.namespace);
  const def = await ctx.functions.updateCodeAsync(input);
  if (!input.publish) return def;
  // Another change may come between the two; the version is `$LATEST` as it is when published.
  await ctx.functions.publishVersionAsync(input);
  return ctx.functions.get(input.functionName, input.namespace);
}

export async function updateFunctionConfiguration(
  ctx: ActionContext,
  input: UpdateFunctionConfigurationInput,
): Promise<FunctionDefinition> {
  await requireNamespace(ctx, input.namespace);
  const def = await ctx.functions.updateConfigurationAsync(input);
  if (!input.publish) return def;
  await ctx.functions.publishVersionAsync(input);
  return ctx.functions.get(input.functionName, input.namespace);
}

export async function getFunction(ctx: ActionContext, input: GetFunctionInput): Promise<GetFunctionOutput> {
  await requireNamespace(ctx, input.namespace);
  // A version's definition as published; an alias names its primary version.
  const { def, version } = ctx.functions.getQualified(input.functionName, input.namespace, input.qualifier);
  const published = findVersion(def, version);
  const out: GetFunctionOutput = { ...def, version };
  if (published) out.versionDescription = published.description;
  const ranOn = ctx.invoker.ranOn(def.runtime);
  if (ranOn !== undefined) out.ranOn = ranOn;
  if (input.showCode) {
    const zip = await ctx.functions.readCode(def);
    if (!zip) {
      throw new ScfError(
        'InternalError',
        `the code package of ${def.namespace}/${def.functionName} is missing`,
      );
    }
    out.code = entrySource(zip, def);
  }
  return out;
}

/** Attributes SCF filters on that take one value. scf-local functions have none of them set (''). */
const SINGLE_VALUE_FILTERS = [
  'VpcId',
  'SubnetId',
  'ClsTopicId',
  'ClsLogsetId',
  'Role',
  'CfsId',
  'CfsMountInsId',
  'Eip',
];

/**
 * A function's filterable attributes as SCF spells their values, from what is stored (GetFunction shows the
 * same). What scf-local does not have (CFS, EIP) reads as SCF's value for "not set", as does a tag the
 * function lacks: a filter asking for one matches no function, so a "list by filter, then act" script
 * never acts on functions it did not mean.
 */
function attribute(def: FunctionDefinition, name: string): string {
  const a = def.attributes;
  const flag = (b: boolean): string => (b ? 'TRUE' : 'FALSE');
  switch (name) {
    case 'Status':
      return 'Active';
    case 'Runtime':
      return def.runtime;
    case 'Type':
      return def.type;
    case 'AsyncRunEnable':
      return flag(a.asyncRunEnable);
    case 'TraceEnable':
      return flag(a.traceEnable);
    case 'PublicNetStatus':
      return a.publicNetConfig.publicNetStatus;
    case 'VpcId':
      return a.vpcConfig.vpcId;
    case 'SubnetId':
      return a.vpcConfig.subnetId;
    case 'ClsTopicId':
      return a.clsTopicId;
    case 'ClsLogsetId':
      return a.clsLogsetId;
    case 'Role':
      return a.role;
    default:
      return name.startsWith('tag-') ? (a.tags.find((t) => `tag-${t.key}` === name)?.value ?? '') : '';
  }
}

const MULTI_VALUE_FILTERS = [
  'Status',
  'Runtime',
  'Type',
  'PublicNetStatus',
  'AsyncRunEnable',
  'TraceEnable',
  'Stamp',
];

/** The predicate of `filters` (all must hold; a filter holds when one of its values does), checked first. */
function filterPredicate(filters: readonly FunctionFilter[]): (def: FunctionDefinition) => boolean {
  if (filters.length > MAX_LIST_FILTERS) {
    throw invalidValue('filters', `Filters takes at most ${MAX_LIST_FILTERS} filters, got ${filters.length}`);
  }
  for (const f of filters) {
    const single = SINGLE_VALUE_FILTERS.includes(f.name);
    if (!single && !MULTI_VALUE_FILTERS.includes(f.name) && !f.name.startsWith('tag-')) {
      throw invalidValue(
        'filters',
        `Filters: unknown Name ${JSON.stringify(f.name)}; SCF filters on ${[...SINGLE_VALUE_FILTERS, ...MULTI_VALUE_FILTERS].join(', ')} and tag-<key>`,
      );
    }
    const max = single ? 1 : MAX_FILTER_VALUES;
    if (f.values.length === 0 || f.values.length > max) {
      const takes = single ? 'exactly one value' : `1 to ${max} values`;
      throw invalidValue('filters', `Filters: ${f.name} takes ${takes}, got ${f.values.length}`);
    }
  }
  // A tag filter holds when the function has the tag with one of the values (a function without it: never).
  return (def) =>
    filters.every(
      (f) =>
        f.values.includes(attribute(def, f.name)) &&
        (!f.name.startsWith('tag-') || def.attributes.tags.some((t) => `tag-${t.key}` === f.name)),
    );
}

export async function listFunctions(
  ctx: ActionContext,
  input: ListFunctionsQuery,
): Promise<ListFunctionsOutput> {
  const { filters, ...rest } = input;
  const match = filters?.length ? filterPredicate(filters) : undefined;
  await ctx.functions.sync();
  return ctx.functions.list(match ? { ...rest, match } : rest);
}

/**
 * Deletes the function with every version; with a Qualifier naming a published version, that version only
 * (refused while an alias routes to it). `$LATEST` names the whole function, as SCF has it.
 */
export async function deleteFunction(
  ctx: ActionContext,
  input: FunctionRef & { qualifier?: string; onlyVersion?: boolean },
): Promise<void> {
  await requireNamespace(ctx, input.namespace);
  const q = input.qualifier;
  if (input.onlyVersion && (q === undefined || q === '' || q === LATEST)) {
    throw new ScfError('InvalidParameterValue', 'Qualifier must name a published version, not $LATEST', {
      field: 'qualifier',
    });
  }
  if (q === undefined || q === '' || q === LATEST) {
    await ctx.functions.deleteAsync(input.functionName, input.namespace);
    return;
  }
  await ctx.functions.deleteVersionAsync(input, q);
}

export async function createNamespace(
  ctx: ActionContext,
  input: CreateNamespaceInput,
): Promise<NamespaceDefinition> {
  if (input.namespace === DEFAULT_NAMESPACE) {
    throw new ScfError('NamespaceInUse', 'the default namespace always exists; it cannot be created', {
      rule: RULE.createDefaultNamespace,
    });
  }
  return ctx.functions.createNamespaceAsync(input.namespace, input.description);
}

export async function listNamespaces(
  ctx: ActionContext,
  input: ListNamespacesInput,
): Promise<ListNamespacesOutput> {
  const search = input.searchKey?.toLowerCase();
  const description = input.description?.toLowerCase();
  await ctx.functions.sync();
  const all = ctx.functions
    .listNamespaces()
    .filter((n) => !search || n.name.toLowerCase().includes(search))
    .filter((n) => !description || n.description.toLowerCase().includes(description));
  const by = input.orderBy;
  if (by !== undefined) {
    const dir = input.order === 'DESC' ? -1 : 1;
    // Byte order of names (as GetFunctionLogs sorts them); ties by name.
    const byName = (a: NamespaceDefinition, b: NamespaceDefinition): number =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    all.sort((a, b) => dir * (by === 'name' ? byName(a, b) : a.modTime - b.modTime || byName(a, b)));
  } else if (input.order === 'DESC') all.reverse();
  const offset = input.offset ?? 0;
  const limit = input.limit ?? DEFAULT_NAMESPACE_LIMIT;
  return { total: all.length, namespaces: all.slice(offset, offset + limit) };
}

export async function deleteNamespace(ctx: ActionContext, input: { namespace: string }): Promise<void> {
  await ctx.functions.deleteNamespaceAsync(input.namespace);
}
