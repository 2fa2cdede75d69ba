/**
 * The API 3.0 action table: each name SCF 3.0 serves, with its parameters as a schema and what it does with
 * them — the same shape as v2's table (`../v2/actions.ts`). `fields` spells the canonical names of the
 * operation's errors as this action's parameters (Invoke's event is `ClientContext`). Names SCF 3.0 has
 * but scf-local does not implement answer `UnsupportedOperation`; any other name is `InvalidAction`.
 */
import type { z } from 'zod';
import * as ops from '../../operations/index.js';
import type { ActionContext } from '../../operations/types.js';
import * as asyncMap from './async.js';
import type { MappingEnv } from './mapping.js';
import * as map from './mapping.js';
import type { Json } from './params.js';
import { readV3 } from './params.js';
import * as trig from './triggers.js';
import * as ver from './versions.js';

/** What a 3.0 action runs with: the operations' context, the zone and clock, and the raw parameters. */
export interface V3Call {
  ctx: ActionContext;
  env: MappingEnv;
  params: Json;
}

export interface V3Action<S extends z.ZodType = z.ZodType> {
  params: S;
  /** Canonical field -> this action's 3.0 parameter, where not just the name capitalised. */
  fields?: Readonly<Record<string, string>>;
  run(p: z.output<S>, call: V3Call): Promise<Json>;
}

const action = <S extends z.ZodType>(a: V3Action<S>): V3Action => a as unknown as V3Action;
const done = (): Json => ({});

const UPDATE_EVENT_INVOKE_CONFIG = action({
  params: trig.UPDATE_EVENT_INVOKE_CONFIG,
  run: async (p, { ctx, params }) => {
    await ops.updateEventInvokeConfig(ctx, trig.updateEventInvokeConfigInput(p, params));
    return done();
  },
});

export const V3_ACTIONS: ReadonlyMap<string, V3Action> = new Map([
  [
    'GetFunctionLogs',
    action({
      params: map.GET_FUNCTION_LOGS,
      run: async (p, { ctx, env }) => {
        const input = map.getFunctionLogsInput(p, env);
        return map.getFunctionLogsResponse(await ops.getFunctionLogs(ctx, input), input, env);
      },
    }),
  ],
  [
    'GetRequestStatus',
    action({
      params: map.GET_REQUEST_STATUS,
      run: async (p, { ctx, env }) =>
        map.getRequestStatusResponse(await ops.getRequestStatus(ctx, map.getRequestStatusInput(p, env)), env),
    }),
  ],
  [
    'Invoke',
    action({
      params: map.INVOKE,
      fields: { event: 'ClientContext' },
      run: async (p, { ctx }) => map.invokeResponse(await ops.invoke(ctx, map.invokeInput(p))),
    }),
  ],
  [
    'InvokeFunction',
    action({
      params: map.INVOKE_FUNCTION,
      fields: { event: 'Event' },
      run: async (p, { ctx }) => map.invokeResponse(await ops.invoke(ctx, map.invokeFunctionInput(p))),
    }),
  ],
  [
    'CreateFunction',
    action({
      params: map.CREATE_FUNCTION,
      run: async (p, { ctx, params }) => {
        await ops.createFunction(ctx, map.createFunctionInput(p, params));
        return done();
      },
    }),
  ],
  [
    'UpdateFunctionCode',
    action({
      params: map.UPDATE_FUNCTION_CODE,
      run: async (p, { ctx, params }) => {
        await ops.updateFunctionCode(ctx, map.updateFunctionCodeInput(p, params));
        return done();
      },
    }),
  ],
  [
    'UpdateFunctionConfiguration',
    action({
      params: map.UPDATE_FUNCTION_CONFIGURATION,
      run: async (p, { ctx }) => {
        await ops.updateFunctionConfiguration(ctx, map.updateFunctionConfigurationInput(p));
        return done();
      },
    }),
  ],
  [
    'GetFunction',
    action({
      params: map.GET_FUNCTION,
      run: async (p, { ctx, env }) =>
        map.getFunctionResponse(await ops.getFunction(ctx, map.getFunctionInput(p)), env),
    }),
  ],
  [
    'ListFunctions',
    action({
      params: map.LIST_FUNCTIONS,
      run: async (p, { ctx, env }) =>
        map.listFunctionsResponse(await ops.listFunctions(ctx, map.listFunctionsInput(p)), env),
    }),
  ],
  [
    'DeleteFunction',
    action({
      params: map.DELETE_FUNCTION,
      run: async (p, { ctx }) => {
        await ops.deleteFunction(ctx, map.deleteFunctionInput(p));
        return done();
      },
    }),
  ],
  [
    'CreateNamespace',
    action({
      params: map.CREATE_NAMESPACE,
      run: async (p, { ctx }) => {
        await ops.createNamespace(ctx, map.createNamespaceInput(p));
        return done();
      },
    }),
  ],
  [
    'ListNamespaces',
    action({
      params: map.LIST_NAMESPACES,
      run: async (p, { ctx, env }) =>
        map.listNamespacesResponse(await ops.listNamespaces(ctx, map.listNamespacesInput(p)), env),
    }),
  ],
  [
    'DeleteNamespace',
    action({
      params: map.DELETE_NAMESPACE,
      run: async (p, { ctx }) => {
        await ops.deleteNamespace(ctx, { namespace: p.Namespace });
        return done();
      },
    }),
  ],
  [
    'CreateTrigger',
    action({
      params: trig.CREATE_TRIGGER,
      run: async (p, { ctx, env }) => ({
        TriggerInfo: trig.triggerModel(await ops.createTrigger(ctx, trig.createTriggerInput(p)), env),
      }),
    }),
  ],
  [
    'UpdateTrigger',
    action({
      params: trig.UPDATE_TRIGGER,
      run: async (p, { ctx }) => {
        await ops.updateTrigger(ctx, trig.updateTriggerInput(p));
        return done();
      },
    }),
  ],
  [
    'UpdateTriggerStatus',
    action({
      params: trig.UPDATE_TRIGGER_STATUS,
      run: async (p, { ctx }) => {
        await ops.updateTrigger(ctx, trig.updateTriggerStatusInput(p));
        return done();
      },
    }),
  ],
  [
    'DeleteTrigger',
    action({
      params: trig.DELETE_TRIGGER,
      run: async (p, { ctx }) => {
        await ops.deleteTrigger(ctx, trig.deleteTriggerInput(p));
        return done();
      },
    }),
  ],
  [
    'ListTriggers',
    action({
      params: trig.LIST_TRIGGERS,
      run: async (p, { ctx, env }) =>
        trig.listTriggersResponse(await ops.listTriggers(ctx, trig.listTriggersInput(p)), env),
    }),
  ],
  ['UpdateFunctionEventInvokeConfig', UPDATE_EVENT_INVOKE_CONFIG],
  [
    'PublishVersion',
    action({
      params: ver.PUBLISH_VERSION,
      run: async (p, { ctx }) =>
        ver.publishVersionResponse(await ops.publishVersion(ctx, ver.publishVersionInput(p))),
    }),
  ],
  [
    'ListVersionByFunction',
    action({
      params: ver.LIST_VERSIONS,
      run: async (p, { ctx, env }) =>
        ver.listVersionsResponse(await ops.listVersions(ctx, ver.listVersionsInput(p)), env),
    }),
  ],
  [
    'DeleteFunctionVersion',
    action({
      params: ver.DELETE_FUNCTION_VERSION,
      fields: { qualifier: 'Qualifier' },
      run: async (p, { ctx }) => {
        await ops.deleteFunction(ctx, ver.deleteFunctionVersionInput(p));
        return done();
      },
    }),
  ],
  [
    'CreateAlias',
    action({
      params: ver.PUT_ALIAS,
      run: async (p, { ctx }) => {
        await ops.createAlias(ctx, ver.putAliasInput(p));
        return done();
      },
    }),
  ],
  [
    'UpdateAlias',
    action({
      params: ver.PUT_ALIAS,
      run: async (p, { ctx }) => {
        await ops.updateAlias(ctx, ver.putAliasInput(p));
        return done();
      },
    }),
  ],
  [
    'GetAlias',
    action({
      params: ver.ALIAS_REF,
      run: async (p, { ctx, env }) => ver.aliasModel(await ops.getAlias(ctx, ver.aliasRefInput(p)), env),
    }),
  ],
  [
    'ListAliases',
    action({
      params: ver.LIST_ALIASES,
      run: async (p, { ctx, env }) =>
        ver.listAliasesResponse(await ops.listAliases(ctx, ver.listAliasesInput(p)), env),
    }),
  ],
  [
    'DeleteAlias',
    action({
      params: ver.ALIAS_REF,
      run: async (p, { ctx }) => {
        await ops.deleteAlias(ctx, ver.aliasRefInput(p));
        return done();
      },
    }),
  ],
  [
    'ListAsyncEvents',
    action({
      params: asyncMap.LIST_ASYNC_EVENTS,
      run: async (p, { ctx, env, params }) =>
        asyncMap.listAsyncEventsResponse(
          await ops.listAsyncEvents(ctx, asyncMap.listAsyncEventsInput(p, params, env)),
          env,
        ),
    }),
  ],
  [
    'GetAsyncEventStatus',
    action({
      params: asyncMap.GET_ASYNC_EVENT_STATUS,
      run: async (p, { ctx }) =>
        asyncMap.getAsyncEventStatusResponse(
          await ops.getAsyncEventStatus(ctx, { requestId: p.InvokeRequestId }),
        ),
    }),
  ],
  [
    'TerminateAsyncEvent',
    action({
      params: asyncMap.TERMINATE_ASYNC_EVENT,
      run: async (p, { ctx }) => {
        await ops.terminateAsyncEvent(ctx, asyncMap.terminateAsyncEventInput(p));
        return done();
      },
    }),
  ],
  [
    'GetFunctionEventInvokeConfig',
    action({
      params: trig.GET_EVENT_INVOKE_CONFIG,
      run: async (p, { ctx }) =>
        trig.eventInvokeConfigResponse(
          await ops.getEventInvokeConfig(ctx, trig.getEventInvokeConfigInput(p)),
        ),
    }),
  ],
]);

/** Runs one 3.0 action over its parameters. */
export function runV3Action(a: V3Action, call: V3Call): Promise<Json> {
  return a.run(readV3(a.params, call.params), call);
}

/** Code uploads: their bodies may be as large as `api.maxUploadBodyBytes` (every other action: `api.maxBodyBytes`). */
export const UPLOAD_ACTIONS: ReadonlySet<string> = new Set(['CreateFunction', 'UpdateFunctionCode']);

/** Reads without effects: a TC3 signature seen before is answered again for them (see ReplayGuard). */
export const IDEMPOTENT_ACTIONS: ReadonlySet<string> = new Set([
  'GetAsyncEventStatus',
  'GetFunction',
  'GetFunctionEventInvokeConfig',
  'GetFunctionLogs',
  'GetRequestStatus',
  'ListAsyncEvents',
  'ListFunctions',
  'ListNamespaces',
  'ListTriggers',
  'GetAlias',
  'ListAliases',
  'ListVersionByFunction',
]);

/** An action that changes or runs something: a TC3 signature may be used for one of them only once. */
export function isWriteAction(action: string | undefined): boolean {
  return action !== undefined && V3_ACTIONS.has(action) && !IDEMPOTENT_ACTIONS.has(action);
}

/** Actions of SCF 3.0 (`tencentcloud-sdk-nodejs` 4.x scf client) that scf-local does not implement. */
export const UNSUPPORTED_ACTIONS: ReadonlySet<string> = new Set([
  'UpdateNamespace',
  'GetLayerVersion',
  'CopyFunction',
  'GetProvisionedConcurrencyConfig',
  'PublishLayerVersion',
  'ListCustomDomains',
  'DeleteProvisionedConcurrencyConfig',
  'DeleteLayerVersion',
  'PutTotalConcurrencyConfig',
  'PutProvisionedConcurrencyConfig',
  'DeleteCustomDomain',
  'ListLayers',
  'ListLayerVersions',
  'CreateCustomDomain',
  'PutReservedConcurrencyConfig',
  'GetAccount',
  'DeleteReservedConcurrencyConfig',
  'GetFunctionAddress',
  'GetReservedConcurrencyConfig',
  'GetCustomDomain',
  'UpdateCustomDomain',
]);
