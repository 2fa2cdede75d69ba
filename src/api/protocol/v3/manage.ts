/**
 * API 3.0 spellings <-> the typed operation inputs and outputs for function and namespace management:
 * each action's parameters as a zod schema of 3.0 field types, the canonical input built from them, and
 * the 3.0 response models (`scf_models.d.ts` of tencentcloud-sdk-nodejs).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ScfError } from '../../../errors/index.js';
import { LATEST } from '../../operations/limits.js';
import type {
  CreateFunctionInput,
  CreateNamespaceInput,
  FunctionAttributes,
  FunctionDefinition,
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
} from '../../operations/types.js';
import { formatApiTime } from '../../time.js';
import type { MappingEnv } from './mapping.js';
import { badValue, filtersInput, isPlainObject, itemText, type Json, missing, readV3, v3 } from './params.js';
import { triggerModel } from './triggers.js';

type ConfigInput = Omit<UpdateFunctionConfigurationInput, 'functionName'>;

/** Fields shared by CreateFunction and UpdateFunctionConfiguration. */
const CONFIG = {
  Namespace: v3.str(),
  Runtime: v3.str(),
  MemorySize: v3.int(),
  Timeout: v3.int(),
  // An empty Description clears it: presence decides (null reads as absent).
  Description: z.optional(z.unknown()),
  Environment: v3.object({ Variables: v3.list() }),
  Handler: v3.str(),
  Role: v3.str(),
  InitTimeout: v3.int(),
  InstallDependency: v3.oneOf(['TRUE', 'FALSE'] as const, { caseInsensitive: true }),
  VpcConfig: v3.object({ VpcId: v3.str(), SubnetId: v3.str() }),
  // Checked in attributesInput: SCF names the whole object (InvalidParameterValue.PublicNetConfig).
  PublicNetConfig: z.optional(z.unknown()),
  Layers: v3.list(),
  ClsLogsetId: v3.str(),
  ClsTopicId: v3.str(),
  DnsCache: v3.oneOf(['TRUE', 'FALSE'] as const, { caseInsensitive: true }),
  // Checked in attributesInput: SCF names the whole object (InvalidParameterValue.DeadLetterConfig).
  DeadLetterConfig: z.optional(z.unknown()),
  // Stored and returned, no effect here (docs/api-v3.md); checked in attributesInput.
  CfsConfig: z.optional(z.unknown()),
  ProtocolParams: z.optional(z.unknown()),
  InstanceConcurrencyConfig: z.optional(z.unknown()),
  IntranetConfig: z.optional(z.unknown()),
};

/** `v` as an object of parameters, or InvalidParameterValue.<name>; undefined/null: absent. */
function objectParam(v: unknown, name: string): Json | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isPlainObject(v)) throw badValue(name, `${name} must be an object`);
  return v;
}

/** A text field of `o`, or InvalidParameterValue.<name>. */
function textOf(o: Json, key: string, name: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw badValue(name, `${name}.${key} must be text`);
  return v;
}

/** A number field of `o` (a number or its decimal text), or InvalidParameterValue.<name>. */
function numberOf(o: Json, key: string, name: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw badValue(name, `${name}.${key} must be a number`);
  return n;
}

/** The attributes of CONFIG given (stored and returned; see FunctionAttributes). */
function attributesInput(p: z.output<z.ZodObject<typeof CONFIG>>): Partial<FunctionAttributes> {
  const a: Partial<FunctionAttributes> = {};
  if (p.Role !== undefined) a.role = p.Role;
  if (p.InitTimeout !== undefined) a.initTimeout = p.InitTimeout;
  if (p.InstallDependency !== undefined) a.installDependency = p.InstallDependency === 'TRUE';
  if (p.VpcConfig !== undefined) {
    a.vpcConfig = {
      vpcId: String(p.VpcConfig['VpcId'] ?? ''),
      subnetId: String(p.VpcConfig['SubnetId'] ?? ''),
    };
  }
  const net = p.PublicNetConfig;
  if (net !== undefined && net !== null) {
    if (!isPlainObject(net)) throw badValue('PublicNetConfig', 'PublicNetConfig must be an object');
    const eip = net['EipConfig'];
    const status = (v: unknown, dflt: 'ENABLE' | 'DISABLE', name: string): 'ENABLE' | 'DISABLE' => {
      if (v === undefined) return dflt;
      if (v === 'ENABLE' || v === 'DISABLE') return v;
      throw badValue('PublicNetConfig', `${name} must be ENABLE or DISABLE; got ${JSON.stringify(v)}`);
    };
    if (eip !== undefined && !isPlainObject(eip))
      throw badValue('PublicNetConfig', 'EipConfig must be an object');
    a.publicNetConfig = {
      publicNetStatus: status(net['PublicNetStatus'], 'ENABLE', 'PublicNetConfig.PublicNetStatus'),
      eipStatus: status(eip?.['EipStatus'], 'DISABLE', 'PublicNetConfig.EipConfig.EipStatus'),
    };
  }
  if (p.ClsLogsetId !== undefined) a.clsLogsetId = p.ClsLogsetId;
  if (p.ClsTopicId !== undefined) a.clsTopicId = p.ClsTopicId;
  if (p.DnsCache !== undefined) a.dnsCache = p.DnsCache === 'TRUE';
  const dlq = p.DeadLetterConfig;
  if (dlq !== undefined && dlq !== null) {
    const text = (key: string): string => {
      const v = isPlainObject(dlq) ? dlq[key] : undefined;
      if (v !== undefined && typeof v !== 'string')
        throw badValue('DeadLetterConfig', `DeadLetterConfig.${key} must be text`);
      return v ?? '';
    };
    if (!isPlainObject(dlq)) throw badValue('DeadLetterConfig', 'DeadLetterConfig must be an object');
    a.deadLetterConfig = { type: text('Type'), name: text('Name'), filterType: text('FilterType') };
  }
  const cfs = objectParam(p.CfsConfig, 'CfsParameterError');
  if (cfs !== undefined) {
    const list = cfs['CfsInsList'] ?? [];
    if (!Array.isArray(list)) throw badValue('CfsParameterError', 'CfsConfig.CfsInsList must be a list');
    a.cfsMounts = list.map((item) => {
      const m = objectParam(item, 'CfsParameterError') ?? {};
      return {
        userId: textOf(m, 'UserId', 'CfsParameterError'),
        userGroupId: textOf(m, 'UserGroupId', 'CfsParameterError'),
        cfsId: textOf(m, 'CfsId', 'CfsParameterError'),
        mountInsId: textOf(m, 'MountInsId', 'CfsParameterError'),
        localMountDir: textOf(m, 'LocalMountDir', 'CfsParameterError'),
        remoteMountDir: textOf(m, 'RemoteMountDir', 'CfsParameterError'),
      };
    });
  }
  const protocol = objectParam(p.ProtocolParams, 'IdleTimeOut');
  const ws = protocol === undefined ? undefined : objectParam(protocol['WSParams'], 'IdleTimeOut');
  const idle = ws === undefined ? undefined : numberOf(ws, 'IdleTimeOut', 'IdleTimeOut');
  if (idle !== undefined) a.wsIdleTimeout = idle;
  const concurrency = objectParam(p.InstanceConcurrencyConfig, 'InstanceConcurrencyConfig');
  if (concurrency !== undefined) {
    a.instanceConcurrency = {
      dynamicEnabled: textOf(concurrency, 'DynamicEnabled', 'InstanceConcurrencyConfig'),
      maxConcurrency: numberOf(concurrency, 'MaxConcurrency', 'MaxConcurrency') ?? 1,
    };
  }
  const intranet = objectParam(p.IntranetConfig, 'IntranetConfig');
  if (intranet !== undefined) {
    const fixed = textOf(intranet, 'IpFixed', 'IntranetConfig');
    if (fixed !== 'ENABLE' && fixed !== 'DISABLE') {
      throw badValue(
        'IntranetConfig',
        `IntranetConfig.IpFixed must be ENABLE or DISABLE; got ${JSON.stringify(fixed)}`,
      );
    }
    a.intranetIpFixed = fixed;
  }
  // scf-local has no layers: any layer named is one that does not exist here (an empty list is none).
  const layer = p.Layers?.[0];
  if (layer !== undefined) {
    const name = isPlainObject(layer) ? String(layer['LayerName'] ?? '') : '';
    throw new ScfError(
      'LayerNotFound',
      `layer ${name || '(unnamed)'} does not exist: scf-local has no layers`,
    );
  }
  return a;
}

function configInput(p: z.output<z.ZodObject<typeof CONFIG>>): ConfigInput {
  const out: ConfigInput = {};
  const attributes = attributesInput(p);
  if (Object.keys(attributes).length > 0) out.attributes = attributes;
  if (p.Namespace !== undefined) out.namespace = p.Namespace;
  if (p.Runtime !== undefined) out.runtime = p.Runtime;
  if (p.Handler !== undefined) out.handler = p.Handler;
  if (p.MemorySize !== undefined) out.memorySize = p.MemorySize;
  if (p.Timeout !== undefined) out.timeout = p.Timeout;
  const d = p.Description;
  if (d !== undefined && d !== null) {
    if (typeof d === 'object') throw badValue('Description', 'Description must be a string');
    out.description = String(d);
  }
  if (p.Environment !== undefined) {
    const env: Record<string, string> = {};
    for (const [i, item] of (p.Environment['Variables'] ?? []).entries()) {
      const path = `Environment.Variables.${i}`;
      const key = itemText(item, 'Key', `${path}.Key`);
      const value = itemText(item, 'Value', `${path}.Value`);
      // `[{Key: "", Value: ""}]` is how SCF's own tooling clears every variable: an empty pair sets nothing.
      if (key === undefined && value === undefined) continue;
      if (key === undefined) throw badValue('Environment', `${path}.Key is missing`);
      // SCF refuses a variable without a value (only the all-empty pair above clears).
      if (value === undefined || value === '') throw badValue('Environment', `${path}.Value is empty`);
      env[key] = value;
    }
    out.environment = env;
  }
  return out;
}

const UNSUPPORTED_SOURCES = ['CosBucketName', 'CosObjectName', 'TempCosObjectName', 'DemoId', 'ImageConfig'];

function unsupportedCodeSource(
  where: Json | undefined,
  prefix: string,
  codeSource: string | undefined,
): void {
  for (const field of UNSUPPORTED_SOURCES) {
    const v = where?.[field];
    if (v !== undefined && v !== null && v !== '') {
      throw new ScfError(
        'UnsupportedOperation',
        `${prefix}${field}: scf-local takes code only as a base64 zip (ZipFile); COS, demo and image code are not supported.`,
      );
    }
  }
  if (codeSource !== undefined && codeSource !== 'ZipFile') {
    throw new ScfError(
      'UnsupportedOperation',
      `CodeSource ${codeSource} is not supported by scf-local; use ZipFile.`,
    );
  }
}

export const CREATE_FUNCTION = z.object({
  FunctionName: v3.required(),
  Tags: v3.list(),
  AsyncRunEnable: v3.oneOf(['TRUE', 'FALSE'] as const, { caseInsensitive: true }),
  TraceEnable: v3.oneOf(['TRUE', 'FALSE'] as const, { caseInsensitive: true }),
  // Required, but checked in createFunctionInput: SCF answers MissingParameter.Code, not the common code.
  Code: v3.object({ ZipFile: v3.str() }),
  CodeSource: v3.str(),
  Type: v3.str(),
  ProtocolType: v3.str(),
  ...CONFIG,
});

export function createFunctionInput(p: z.output<typeof CREATE_FUNCTION>, params: Json): CreateFunctionInput {
  const code = isPlainObject(params['Code']) ? params['Code'] : {};
  unsupportedCodeSource(code, 'Code.', p.CodeSource);
  const zip = p.Code?.ZipFile;
  if (zip === undefined) {
    throw new ScfError('MissingParameter', 'The request is missing a required parameter `Code.ZipFile`.', {
      field: 'Code',
    });
  }
  const input: CreateFunctionInput = {
    functionName: p.FunctionName,
    code: { zipBase64: zip },
    ...configInput(p),
  };
  // Event or HTTP (a web function); the registry checks the value.
  if (p.Type !== undefined) input.type = p.Type as CreateFunctionInput['type'] & string;
  const created: Partial<FunctionAttributes> = {};
  if (p.AsyncRunEnable !== undefined) created.asyncRunEnable = p.AsyncRunEnable === 'TRUE';
  if (p.TraceEnable !== undefined) created.traceEnable = p.TraceEnable === 'TRUE';
  if (p.ProtocolType !== undefined) created.protocolType = p.ProtocolType;
  if (p.Tags !== undefined) {
    created.tags = p.Tags.map((t, i) => {
      const key = itemText(t, 'Key', `Tags.${i}.Key`);
      if (key === undefined) throw badValue('Tags', `Tags.${i}.Key is missing`);
      return { key, value: itemText(t, 'Value', `Tags.${i}.Value`) ?? '' };
    });
  }
  if (Object.keys(created).length > 0) input.attributes = { ...input.attributes, ...created };
  return input;
}

export const parseCreateFunction = (params: Json): CreateFunctionInput =>
  createFunctionInput(readV3(CREATE_FUNCTION, params), params);

export const UPDATE_FUNCTION_CODE = z.object({
  FunctionName: v3.required(),
  Publish: v3.oneOf(['TRUE', 'FALSE'] as const, { caseInsensitive: true }),
  ZipFile: v3.str(),
  Code: v3.object({ ZipFile: v3.str() }),
  CodeSource: v3.str(),
  Namespace: v3.str(),
  Handler: v3.str(),
});

export function updateFunctionCodeInput(
  p: z.output<typeof UPDATE_FUNCTION_CODE>,
  params: Json,
): UpdateFunctionCodeInput {
  unsupportedCodeSource(params, '', p.CodeSource);
  if (isPlainObject(params['Code'])) unsupportedCodeSource(params['Code'], 'Code.', undefined);
  const zip = p.ZipFile ?? p.Code?.ZipFile;
  if (zip === undefined) throw missing('ZipFile');
  const input: UpdateFunctionCodeInput = { functionName: p.FunctionName, code: { zipBase64: zip } };
  if (p.Namespace !== undefined) input.namespace = p.Namespace;
  if (p.Handler !== undefined) input.handler = p.Handler;
  // Publish: the new code is published as the next version too.
  if (p.Publish === 'TRUE') input.publish = true;
  return input;
}

export const parseUpdateFunctionCode = (params: Json): UpdateFunctionCodeInput =>
  updateFunctionCodeInput(readV3(UPDATE_FUNCTION_CODE, params), params);

export const UPDATE_FUNCTION_CONFIGURATION = z.object({
  FunctionName: v3.required(),
  Publish: v3.oneOf(['TRUE', 'FALSE'] as const, { caseInsensitive: true }),
  ...CONFIG,
});

export function updateFunctionConfigurationInput(
  p: z.output<typeof UPDATE_FUNCTION_CONFIGURATION>,
): UpdateFunctionConfigurationInput {
  const input: UpdateFunctionConfigurationInput = { functionName: p.FunctionName, ...configInput(p) };
  // Publish: the new configuration is published as the next version too.
  if (p.Publish === 'TRUE') input.publish = true;
  return input;
}

export const parseUpdateFunctionConfiguration = (params: Json): UpdateFunctionConfigurationInput =>
  updateFunctionConfigurationInput(readV3(UPDATE_FUNCTION_CONFIGURATION, params));

export const FUNCTION_REF = z.object({ FunctionName: v3.required(), Namespace: v3.str() });

/** DeleteFunction: with a Qualifier, one version (refused but for `$LATEST` until versions exist). */
export const DELETE_FUNCTION = FUNCTION_REF.extend({ Qualifier: v3.str() });

export function deleteFunctionInput(
  p: z.output<typeof DELETE_FUNCTION>,
): FunctionRef & { qualifier?: string } {
  const ref: FunctionRef & { qualifier?: string } = functionRefInput(p);
  if (p.Qualifier !== undefined) ref.qualifier = p.Qualifier;
  return ref;
}

export function functionRefInput(p: z.output<typeof FUNCTION_REF>): FunctionRef {
  const ref: FunctionRef = { functionName: p.FunctionName };
  if (p.Namespace !== undefined) ref.namespace = p.Namespace;
  return ref;
}

export const parseFunctionRef = (params: Json): FunctionRef => functionRefInput(readV3(FUNCTION_REF, params));

export const GET_FUNCTION = z.object({
  FunctionName: v3.required(),
  Namespace: v3.str(),
  Qualifier: v3.str(),
  ShowCode: v3.oneOf(['TRUE', 'FALSE'] as const, { caseInsensitive: true }),
});

export function getFunctionInput(p: z.output<typeof GET_FUNCTION>): GetFunctionInput {
  const input: GetFunctionInput = functionRefInput(p);
  if (p.Qualifier !== undefined) input.qualifier = p.Qualifier;
  if (p.ShowCode !== undefined) input.showCode = p.ShowCode === 'TRUE';
  return input;
}

export const parseGetFunction = (params: Json): GetFunctionInput =>
  getFunctionInput(readV3(GET_FUNCTION, params));

/** A stable SCF-looking id (`lam-` + 8 characters), derived so that it survives restarts. */
export function functionId(def: Pick<FunctionDefinition, 'namespace' | 'functionName' | 'addTime'>): string {
  const h = createHash('sha256').update(`${def.namespace}/${def.functionName}/${def.addTime}`).digest('hex');
  return `lam-${h.slice(0, 8)}`;
}

function functionSummary(def: FunctionDefinition, env: MappingEnv): Json {
  return {
    ModTime: formatApiTime(def.modTime, env.timeZoneOffsetMinutes),
    AddTime: formatApiTime(def.addTime, env.timeZoneOffsetMinutes),
    Runtime: def.runtime,
    FunctionName: def.functionName,
    FunctionId: functionId(def),
    Namespace: def.namespace,
    Status: 'Active',
    StatusDesc: '',
    Description: def.description,
    Tags: def.attributes.tags.map((t) => ({ Key: t.key, Value: t.value })),
    Type: def.type,
    AsyncRunEnable: def.attributes.asyncRunEnable ? 'TRUE' : 'FALSE',
    TraceEnable: def.attributes.traceEnable ? 'TRUE' : 'FALSE',
    // Why the function is not Active; never anything here (the model does not mark it nullable).
    StatusReasons: [],
  };
}

export function getFunctionResponse(out: GetFunctionOutput, env: MappingEnv): Json {
  return {
    ...functionSummary(out, env),
    // What runs the function when it is not the version `Runtime` names, in the model's own status text
    // (no field SCF's model lacks; docs/api-v3.md).
    StatusDesc: out.ranOn === undefined ? '' : `${out.runtime} runs on ${out.ranOn} here`,
    CodeInfo: out.code ?? '',
    Triggers: out.triggers.map((t) => triggerModel(t, env)),
    Handler: out.handler,
    CodeSize: out.codeSize,
    Timeout: out.timeout,
    FunctionVersion: out.version ?? LATEST,
    MemorySize: out.memorySize,
    VpcConfig: { VpcId: out.attributes.vpcConfig.vpcId, SubnetId: out.attributes.vpcConfig.subnetId },
    PublicNetConfig: {
      PublicNetStatus: out.attributes.publicNetConfig.publicNetStatus,
      EipConfig: { EipStatus: out.attributes.publicNetConfig.eipStatus, EipAddress: [] },
    },
    // Objects and flags the model does not mark nullable: SCF returns them empty for a function that has
    // none, and clients read them unguarded (`resp.EipConfig.EipFixed`).
    UseGpu: 'FALSE',
    EipConfig: { EipFixed: 'FALSE', Eips: [] },
    AccessInfo: { Host: '', Vip: '' },
    L5Enable: 'FALSE',
    DeadLetterConfig: {
      Type: out.attributes.deadLetterConfig.type,
      Name: out.attributes.deadLetterConfig.name,
      FilterType: out.attributes.deadLetterConfig.filterType,
    },
    CfsConfig: {
      CfsInsList: out.attributes.cfsMounts.map((m) => ({
        UserId: m.userId,
        UserGroupId: m.userGroupId,
        CfsId: m.cfsId,
        MountInsId: m.mountInsId,
        LocalMountDir: m.localMountDir,
        RemoteMountDir: m.remoteMountDir,
      })),
    },
    ...(out.attributes.protocolType === '' ? {} : { ProtocolType: out.attributes.protocolType }),
    ...(out.attributes.wsIdleTimeout === 0
      ? {}
      : { ProtocolParams: { WSParams: { IdleTimeOut: out.attributes.wsIdleTimeout } } }),
    ...(out.attributes.instanceConcurrency.maxConcurrency === 0
      ? {}
      : {
          InstanceConcurrencyConfig: {
            DynamicEnabled: out.attributes.instanceConcurrency.dynamicEnabled,
            MaxConcurrency: out.attributes.instanceConcurrency.maxConcurrency,
            // Newer session-based fields the model does not mark nullable: request-based, none set.
            InstanceIsolationEnabled: 'FALSE',
            Type: 'Request-Based',
            MixNodeConfig: [],
            SessionConfig: {
              SessionSource: '',
              SessionName: '',
              MaximumConcurrencySessionPerInstance: 0,
              MaximumTTLInSeconds: 0,
              MaximumIdleTimeInSeconds: 0,
              SessionPath: '',
              IdleTimeoutStrategy: '',
            },
          },
        }),
    IntranetConfig: { IpFixed: out.attributes.intranetIpFixed, IpAddress: [] },
    DnsCache: out.attributes.dnsCache ? 'TRUE' : 'FALSE',
    Environment: { Variables: Object.entries(out.environment).map(([Key, Value]) => ({ Key, Value })) },
    CodeResult: 'success',
    CodeError: '',
    ErrNo: 0,
    Role: out.attributes.role,
    InstallDependency: out.attributes.installDependency ? 'TRUE' : 'FALSE',
    ClsLogsetId: out.attributes.clsLogsetId,
    ClsTopicId: out.attributes.clsTopicId,
    Layers: [],
    AvailableStatus: 'Available',
    Qualifier: out.version ?? LATEST,
    InitTimeout: out.attributes.initTimeout,
  };
}

export const LIST_FUNCTIONS = z.object({
  Namespace: v3.str(),
  Order: v3.oneOf(['ASC', 'DESC'] as const, { caseInsensitive: true }),
  Orderby: v3.oneOf(['AddTime', 'ModTime', 'FunctionName'] as const, { caseInsensitive: true }),
  Offset: v3.int({ min: 0 }),
  Limit: v3.int({ min: 0 }),
  SearchKey: v3.str(),
  Description: v3.str(),
  Filters: v3.list(),
});

export function listFunctionsInput(p: z.output<typeof LIST_FUNCTIONS>): ListFunctionsQuery {
  const input: ListFunctionsQuery = {};
  if (p.Namespace !== undefined) input.namespace = p.Namespace;
  if (p.Order !== undefined) input.order = p.Order;
  if (p.Orderby !== undefined) input.orderBy = p.Orderby;
  if (p.Offset !== undefined) input.offset = p.Offset;
  if (p.Limit !== undefined) input.limit = p.Limit;
  if (p.SearchKey !== undefined) input.searchKey = p.SearchKey;
  if (p.Description !== undefined) input.description = p.Description;
  if (p.Filters !== undefined) {
    input.filters = filtersInput(p.Filters);
  }
  return input;
}

export const parseListFunctions = (params: Json): ListFunctionsQuery =>
  listFunctionsInput(readV3(LIST_FUNCTIONS, params));

export function listFunctionsResponse(out: ListFunctionsOutput, env: MappingEnv): Json {
  return { Functions: out.functions.map((f) => functionSummary(f, env)), TotalCount: out.total };
}

// ------------------------------------------------------------------------------------------ namespaces

export const CREATE_NAMESPACE = z.object({ Namespace: v3.required(), Description: v3.str() });

export function createNamespaceInput(p: z.output<typeof CREATE_NAMESPACE>): CreateNamespaceInput {
  const input: CreateNamespaceInput = { namespace: p.Namespace };
  if (p.Description !== undefined) input.description = p.Description;
  return input;
}

export const parseCreateNamespace = (params: Json): CreateNamespaceInput =>
  createNamespaceInput(readV3(CREATE_NAMESPACE, params));

export const DELETE_NAMESPACE = z.object({ Namespace: v3.required() });

export const parseDeleteNamespace = (params: Json): { namespace: string } => ({
  namespace: readV3(DELETE_NAMESPACE, params).Namespace,
});

export const LIST_NAMESPACES = z.object({
  Offset: v3.int({ min: 0 }),
  Limit: v3.int({ min: 0 }),
  SearchKey: v3.list(),
  Orderby: v3.oneOf(['Name', 'Updatetime'] as const, { caseInsensitive: true }),
  Order: v3.oneOf(['ASC', 'DESC'] as const, { caseInsensitive: true }),
});

/**
 * ListNamespaces' SearchKey is `[{Key, Value}]`: `Namespace` (or `Name`) searches the name, `Description`
 * the description (both must match). `Orderby` `Name` or `Updatetime`, `Order` ASC (default) or DESC.
 */
export function listNamespacesInput(p: z.output<typeof LIST_NAMESPACES>): ListNamespacesInput {
  const input: ListNamespacesInput = {};
  if (p.Offset !== undefined) input.offset = p.Offset;
  if (p.Limit !== undefined) input.limit = p.Limit;
  if (p.Orderby !== undefined) input.orderBy = p.Orderby === 'Name' ? 'name' : 'modTime';
  if (p.Order !== undefined) input.order = p.Order;
  for (const [i, k] of (p.SearchKey ?? []).entries()) {
    const key = itemText(k, 'Key', 'SearchKey');
    if (key === undefined) throw badValue('SearchKey', `SearchKey.${i}.Key is missing`);
    if (key !== 'Namespace' && key !== 'Name' && key !== 'Description') {
      throw badValue(
        'SearchKey',
        `SearchKey.${i}.Key must be Namespace or Description; got ${JSON.stringify(key)}`,
      );
    }
    const value = itemText(k, 'Value', 'SearchKey');
    if (value === undefined) continue;
    if (key === 'Description') input.description = value;
    else input.searchKey = value;
  }
  return input;
}

export const parseListNamespaces = (params: Json): ListNamespacesInput =>
  listNamespacesInput(readV3(LIST_NAMESPACES, params));

function namespaceItem(ns: NamespaceDefinition, env: MappingEnv): Json {
  return {
    ModTime: formatApiTime(ns.modTime, env.timeZoneOffsetMinutes),
    AddTime: formatApiTime(ns.addTime, env.timeZoneOffsetMinutes),
    Description: ns.description,
    Name: ns.name,
    // SCF's two kinds: `default` (any namespace made through the API, as here) and `TCB` (made by
    // mini-program cloud development).
    Type: 'default',
  };
}

export function listNamespacesResponse(out: ListNamespacesOutput, env: MappingEnv): Json {
  return { Namespaces: out.namespaces.map((n) => namespaceItem(n, env)), TotalCount: out.total };
}
