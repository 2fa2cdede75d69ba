/**
 * What scf-local does with each API 3.0 parameter that it does not simply honour, per action: the source of
 * `docs/api-v3-actions.md` (rendered with the action table, the SDK's request models and the error-code
 * table; `npm run docs:errors`). A parameter not named here is honoured as SCF documents it. A test checks
 * that every note names a parameter the action reads or SCF's model has, and that every parameter of SCF's
 * model the action does not read has a note.
 *
 * - `inert`: accepted, checked, stored and returned as written, but changes nothing here (why).
 * - `ignored`: accepted and not used (why).
 * - `refused`: a value scf-local cannot honour is refused with the code given (which values, why).
 * - `partly`: honoured with a limit (what).
 */

export type ParamNote =
  | { inert: string }
  | { ignored: string }
  | { refused: string; code: string }
  | { partly: string };

const NO_VPC = 'there is no VPC: functions reach the network through the sandbox';
const CLS = 'scf-local keeps every log itself (GetFunctionLogs), there is no CLS';

/** The settings shared by CreateFunction and UpdateFunctionConfiguration. */
const CONFIG_NOTES: Readonly<Record<string, ParamNote>> = {
  Role: { inert: 'there is no CAM here: a function has no credentials of a role' },
  InstallDependency: { inert: 'there is no dependency installer: the package is run as uploaded' },
  VpcConfig: { inert: NO_VPC },
  PublicNetConfig: { inert: 'outbound network is on for every function (docs/security.md); no EIP' },
  ClsLogsetId: { inert: CLS },
  ClsTopicId: { inert: CLS },
  DnsCache: { inert: 'the sandbox resolves names as the host does' },
  DeadLetterConfig: { inert: 'there is no CMQ/CKafka: a failed async event ends FAILED (ListAsyncEvents)' },
  CfsConfig: { inert: 'there is no CFS: nothing is mounted' },
  ProtocolParams: { inert: 'there is no WebSocket gateway (HTTP triggers only)' },
  InstanceConcurrencyConfig: { inert: 'an instance takes one request at a time' },
  IntranetConfig: { inert: 'there is no fixed intranet address (IpAddress is [])' },
  Layers: {
    refused: 'any layer named: scf-local has no layers (an empty list is accepted)',
    code: 'ResourceNotFound.Layer',
  },
};

const CODE_SOURCES = 'code from COS, a demo or an image (only a zip, ZipFile, is taken)';

export const PARAM_NOTES: Readonly<Record<string, Readonly<Record<string, ParamNote>>>> = {
  GetFunctionLogs: {
    SearchContext: {
      partly:
        'Keyword is the search; Offset and Limit are read when the top-level ones are absent; Type is not read (one text per record)',
    },
  },
  Invoke: {
    RoutingKey: {
      ignored:
        "it picks an alias's version by rule (AddtionVersionMatchs), which scf-local refuses on the alias",
    },
  },
  InvokeFunction: {
    RoutingKey: {
      ignored:
        "it picks an alias's version by rule (AddtionVersionMatchs), which scf-local refuses on the alias",
    },
  },
  CreateFunction: {
    ...CONFIG_NOTES,
    Tags: { inert: 'no tag service (ListFunctions Filters match them: tag-<key>)' },
    AsyncRunEnable: { inert: 'every function may be invoked asynchronously here (docs/triggers.md)' },
    TraceEnable: { inert: 'there is no tracing service' },
    ProtocolType: { inert: 'there is no WebSocket gateway (HTTP triggers only)' },
    Code: { refused: CODE_SOURCES, code: 'UnsupportedOperation' },
    CodeSource: { refused: 'anything but ZipFile', code: 'UnsupportedOperation' },
    AutoDeployClsTopicIndex: { ignored: CLS },
    AutoCreateClsTopic: { ignored: CLS },
  },
  UpdateFunctionCode: {
    CodeSource: { refused: 'anything but ZipFile', code: 'UnsupportedOperation' },
    CosBucketName: { refused: CODE_SOURCES, code: 'UnsupportedOperation' },
    CosObjectName: { refused: CODE_SOURCES, code: 'UnsupportedOperation' },
    CosBucketRegion: { ignored: 'code from COS is refused (CosBucketName, CosObjectName)' },
    InstallDependency: { ignored: 'there is no dependency installer: the package is run as uploaded' },
    EnvId: { ignored: 'there is no TCB environment' },
  },
  UpdateFunctionConfiguration: {
    ...CONFIG_NOTES,
    L5Enable: { ignored: 'there is no L5 service discovery' },
    IgnoreSysLog: { ignored: 'every record keeps its platform lines (START/END/Report)' },
  },
  CreateNamespace: {
    ResourceEnv: { ignored: 'there is no TCB environment' },
  },
  UpdateTriggerStatus: {
    TriggerDesc: { ignored: "it names a COS trigger's event; scf-local has no COS triggers" },
  },
  DeleteTrigger: {
    TriggerDesc: { ignored: "it names a COS trigger's event; scf-local has no COS triggers" },
  },
  TerminateAsyncEvent: {
    GraceShutdown: { ignored: 'the attempt is stopped either way (its record ends with retCode 3)' },
  },
  DeleteFunctionVersion: {
    ForceDelete: {
      ignored: 'a version an alias routes to is refused either way (UnsupportedOperation.AliasBind)',
    },
  },
  CreateAlias: {
    RoutingConfig: {
      refused:
        'AddtionVersionMatchs (routing by a key of the invocation); AdditionalVersionWeights is honoured',
      code: 'UnsupportedOperation',
    },
  },
  UpdateAlias: {
    RoutingConfig: {
      refused:
        'AddtionVersionMatchs (routing by a key of the invocation); AdditionalVersionWeights is honoured',
      code: 'UnsupportedOperation',
    },
  },
  PutProvisionedConcurrencyConfig: {
    TriggerActions: { refused: 'scheduled changes of the provisioned count', code: 'UnsupportedOperation' },
    ProvisionedType: { refused: 'any type but Default', code: 'InvalidParameterValue.ProvisionType' },
    TrackingTarget: { ignored: 'no scaling by utilisation: the count is fixed' },
    MinCapacity: { ignored: 'no scaling by utilisation: the count is fixed' },
    MaxCapacity: { ignored: 'no scaling by utilisation: the count is fixed' },
  },
};

/** Parameters scf-local reads that SCF's request model lacks, with what they do. */
export const EXTRA_PARAMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  UpdateFunctionConfiguration: {
    Handler: 'changes the handler, as UpdateFunctionCode does (older SCF documents had it here)',
  },
};
