/**
 * The API 3.0 action table: each name SCF 3.0 serves, bound to its parameter mapping and its action.
 * Names SCF 3.0 has but scf-local does not implement answer `UnsupportedOperation`; any other name is
 * `InvalidAction`, as the 3.0 gateway answers.
 */
import * as actions from '../../operations/index.js';
import type { ActionContext } from '../../operations/types.js';
import type { MappingEnv } from './mapping.js';
import * as map from './mapping.js';
import type { Json } from './params.js';

export type Operation = (params: Json, ctx: ActionContext, env: MappingEnv) => Promise<Json>;

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  GetFunctionLogs: async (params, ctx, env) => {
    const input = map.parseGetFunctionLogs(params, env);
    return map.getFunctionLogsResponse(await actions.getFunctionLogs(ctx, input), input, env);
  },
  GetRequestStatus: async (params, ctx, env) =>
    map.getRequestStatusResponse(
      await actions.getRequestStatus(ctx, map.parseGetRequestStatus(params, env)),
      env,
    ),
  Invoke: async (params, ctx) => map.invokeResponse(await actions.invoke(ctx, map.parseInvoke(params))),
  InvokeFunction: async (params, ctx) =>
    map.invokeResponse(await actions.invoke(ctx, map.parseInvokeFunction(params))),
  CreateFunction: async (params, ctx) => {
    await actions.createFunction(ctx, map.parseCreateFunction(params));
    return {};
  },
  UpdateFunctionCode: async (params, ctx) => {
    await actions.updateFunctionCode(ctx, map.parseUpdateFunctionCode(params));
    return {};
  },
  UpdateFunctionConfiguration: async (params, ctx) => {
    await actions.updateFunctionConfiguration(ctx, map.parseUpdateFunctionConfiguration(params));
    return {};
  },
  GetFunction: async (params, ctx, env) =>
    map.getFunctionResponse(await actions.getFunction(ctx, map.parseGetFunction(params)), env),
  ListFunctions: async (params, ctx, env) =>
    map.listFunctionsResponse(await actions.listFunctions(ctx, map.parseListFunctions(params)), env),
  DeleteFunction: async (params, ctx) => {
    await actions.deleteFunction(ctx, map.parseFunctionRef(params));
    return {};
  },
  CreateNamespace: async (params, ctx) => {
    await actions.createNamespace(ctx, map.parseCreateNamespace(params));
    return {};
  },
  ListNamespaces: async (params, ctx, env) =>
    map.listNamespacesResponse(await actions.listNamespaces(ctx, map.parseListNamespaces(params)), env),
  DeleteNamespace: async (params, ctx) => {
    await actions.deleteNamespace(ctx, map.parseDeleteNamespace(params));
    return {};
  },
};

/** Actions of SCF 3.0 (`tencentcloud-sdk-nodejs` 4.x scf client) that scf-local does not implement. */
/** Code uploads: their bodies may be as large as `api.maxUploadBodyBytes` (every other action: `api.maxBodyBytes`). */
export const UPLOAD_ACTIONS: ReadonlySet<string> = new Set(['CreateFunction', 'UpdateFunctionCode']);

/** Reads without effects: a TC3 signature seen before is answered again for them (see ReplayGuard). */
export const IDEMPOTENT_ACTIONS: ReadonlySet<string> = new Set([
  'GetFunction',
  'GetFunctionLogs',
  'GetRequestStatus',
  'ListFunctions',
  'ListNamespaces',
]);

/** An action that changes or runs something: a TC3 signature may be used for one of them only once. */
export function isWriteAction(action: string | undefined): boolean {
  return action !== undefined && Object.hasOwn(OPERATIONS, action) && !IDEMPOTENT_ACTIONS.has(action);
}

export const UNSUPPORTED_ACTIONS: ReadonlySet<string> = new Set([
  'UpdateAlias',
  'UpdateNamespace',
  'TerminateAsyncEvent',
  'ListTriggers',
  'ListVersionByFunction',
  'GetLayerVersion',
  'CreateTrigger',
  'CopyFunction',
  'DeleteTrigger',
  'ListAliases',
  'GetProvisionedConcurrencyConfig',
  'PublishLayerVersion',
  'ListCustomDomains',
  'DeleteProvisionedConcurrencyConfig',
  'PublishVersion',
  'DeleteLayerVersion',
  'DeleteAlias',
  'GetAsyncEventStatus',
  'PutTotalConcurrencyConfig',
  'UpdateTriggerStatus',
  'DeleteFunctionVersion',
  'CreateAlias',
  'PutProvisionedConcurrencyConfig',
  'DeleteCustomDomain',
  'UpdateFunctionEventInvokeConfig',
  'GetFunctionEventInvokeConfig',
  'ListLayers',
  'ListAsyncEvents',
  'ListLayerVersions',
  'UpdateTrigger',
  'CreateCustomDomain',
  'PutReservedConcurrencyConfig',
  'GetAccount',
  'DeleteReservedConcurrencyConfig',
  'GetFunctionAddress',
  'GetAlias',
  'GetReservedConcurrencyConfig',
  'GetCustomDomain',
  'UpdateCustomDomain',
]);
