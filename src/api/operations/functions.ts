/** Function and namespace management. Thin: the registry holds the rules. */
import type { FunctionDefinition } from '../../functions/types.js';
import { DEFAULT_NAMESPACE_LIMIT, onlyLatest } from './limits.js';
import type {
  ActionContext,
  CreateFunctionInput,
  CreateNamespaceInput,
  FunctionRef,
  GetFunctionInput,
  GetFunctionOutput,
  ListFunctionsInput,
  ListFunctionsOutput,
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

export async function updateFunctionCode(
  ctx: ActionContext,
  input: UpdateFunctionCodeInput,
): Promise<FunctionDefinition> {
  return ctx.functions.updateCodeAsync(input);
}

export async function updateFunctionConfiguration(
  ctx: ActionContext,
  input: UpdateFunctionConfigurationInput,
): Promise<FunctionDefinition> {
  return ctx.functions.updateConfigurationAsync(input);
}

export async function getFunction(ctx: ActionContext, input: GetFunctionInput): Promise<GetFunctionOutput> {
  onlyLatest(input.qualifier);
  const def = ctx.functions.get(input.functionName, input.namespace);
  return input.showCode ? { ...def, code: ctx.functions.readCode(def).toString('base64') } : { ...def };
}

export async function listFunctions(
  ctx: ActionContext,
  input: ListFunctionsInput,
): Promise<ListFunctionsOutput> {
  return ctx.functions.list(input);
}

/** Deletes the function (with a Qualifier, SCF deletes one version: until versions exist, only `$LATEST`). */
export async function deleteFunction(
  ctx: ActionContext,
  input: FunctionRef & { qualifier?: string },
): Promise<void> {
  onlyLatest(input.qualifier);
  ctx.functions.delete(input.functionName, input.namespace);
}

export async function createNamespace(
  ctx: ActionContext,
  input: CreateNamespaceInput,
): Promise<NamespaceDefinition> {
  return ctx.functions.createNamespace(input.namespace, input.description);
}

export async function listNamespaces(
  ctx: ActionContext,
  input: ListNamespacesInput,
): Promise<ListNamespacesOutput> {
  const search = input.searchKey?.toLowerCase();
  const all = ctx.functions.listNamespaces().filter((n) => !search || n.name.toLowerCase().includes(search));
  const offset = input.offset ?? 0;
  const limit = input.limit ?? DEFAULT_NAMESPACE_LIMIT;
  return { total: all.length, namespaces: all.slice(offset, offset + limit) };
}

export async function deleteNamespace(ctx: ActionContext, input: { namespace: string }): Promise<void> {
  ctx.functions.deleteNamespace(input.namespace);
}
