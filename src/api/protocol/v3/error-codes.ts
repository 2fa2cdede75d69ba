/**
 * The API 3.0 error codes each implemented action may answer, in one table. Sources: SCF's per-action lists
 * ("可能返回的错误码") in `tencentcloud-sdk-go` `tencentcloud/scf/v20180416/client.go` (the Node SDK
 * carries no such lists) and the common codes of `../shared/spec/scf-reference.md` §3.5. A row's `scf`
 * codes are in SCF's list for the action; its `local` codes are scf-local's own, each saying why.
 * `test/compat/v3-models.test.ts` checks that every code an action answers through the real SDK is in its
 * row, and provokes every code of every row (a code no request reaches does not belong here);
 * `test/unit/api/v3/error-codes.test.ts` checks that the table stays consistent.
 */

/** Codes any action may answer (§3.5 common codes): authentication, envelope and platform faults. */
export const COMMON_V3_CODES: readonly string[] = [
  'AuthFailure.InvalidAuthorization',
  'AuthFailure.SecretIdNotFound',
  'AuthFailure.SignatureExpire',
  'AuthFailure.SignatureFailure',
  'InternalError',
  'InvalidAction',
  'InvalidParameter',
  'InvalidParameterValue',
  'MissingParameter',
  'NoSuchVersion',
  'RequestLimitExceeded',
  'RequestSizeLimitExceeded',
  'ResourceUnavailable',
  'UnknownParameter',
  'UnsupportedOperation',
];

/** One action's row: the codes SCF lists for it that scf-local answers, and scf-local's own, each with why. */
export interface V3CodeRow {
  readonly scf: readonly string[];
  readonly local?: Readonly<Record<string, string>>;
}

const QUALIFIER = 'a Qualifier naming no version or alias of the function';
const NO_VERSION = 'a Qualifier naming no published version of the function';
const NO_ALIAS = 'a Qualifier naming no alias of the function';
const NAMESPACE = 'an unknown namespace, named as such (as the other function actions do)';

/** Per action: what it may answer besides `COMMON_V3_CODES`. */
export const V3_ACTION_CODES: Readonly<Record<string, V3CodeRow>> = {
  GetFunctionLogs: {
    scf: [
      'InvalidParameterValue.DateTime',
      'InvalidParameterValue.Offset',
      'InvalidParameterValue.Order',
      'InvalidParameterValue.OrderBy',
      'InvalidParameterValue.RetCode',
      'InvalidParameterValue.StartTimeOrEndTime',
      'LimitExceeded.Offset',
      'ResourceNotFound.Function',
    ],
    local: {
      'InvalidParameterValue.Limit': "a Limit that is not a count (SCF's errors.go has the code)",
      'ResourceNotFound.Namespace':
        'Namespace without FunctionName names no function: an unknown one is named as a namespace',
    },
  },
  GetRequestStatus: {
    scf: [
      'InvalidParameterValue.DateTime',
      'InvalidParameterValue.StartTimeOrEndTime',
      'ResourceNotFound.Function',
    ],
  },
  Invoke: {
    scf: ['InvalidParameterValue.Param', 'ResourceNotFound.Function'],
    local: {
      'InvalidParameterValue.ClientContext':
        "an event over the size limit (SCF's InvokeFunction list has the code; Invoke's only the bare one)",
      'InvalidParameterValue.InvocationType': 'InvocationType other than RequestResponse or Event',
      'InvalidParameterValue.LogType': 'LogType other than None or Tail',
      'ResourceNotFound.Version': NO_VERSION,
      'ResourceNotFound.Alias': NO_ALIAS,
      'LimitExceeded.Concurrency':
        "every instance busy and the function's queue full (SCF reports it inside the invocation, status 432)",
    },
  },
  InvokeFunction: {
    scf: ['InvalidParameterValue.Param', 'ResourceNotFound.Function'],
    local: {
      'InvalidParameterValue.Event': 'an event over the size limit, named by its parameter',
      'InvalidParameterValue.LogType': 'LogType other than None or Tail',
      'ResourceNotFound.Version': NO_VERSION,
      'ResourceNotFound.Alias': NO_ALIAS,
      'LimitExceeded.Concurrency': "as Invoke's",
    },
  },
  CreateFunction: {
    scf: [
      'InvalidParameterValue.AsyncRunEnable',
      'InvalidParameterValue.CfsParameterError',
      'InvalidParameterValue.Description',
      'InvalidParameterValue.Environment',
      'InvalidParameterValue.FunctionName',
      'InvalidParameterValue.Handler',
      'InvalidParameterValue.IdleTimeOut',
      'InvalidParameterValue.InstanceConcurrencyConfig',
      'InvalidParameterValue.Layers',
      'InvalidParameterValue.MaxConcurrency',
      'InvalidParameterValue.MemorySize',
      'InvalidParameterValue.Namespace',
      'InvalidParameterValue.ProtocolType',
      'InvalidParameterValue.PublicNetConfig',
      'InvalidParameterValue.Runtime',
      'InvalidParameterValue.Type',
      'InvalidParameterValue.ZipFile',
      'InvalidParameterValue.ZipFileBase64BinasciiError',
      'LimitExceeded.InitTimeout',
      'LimitExceeded.Timeout',
      'MissingParameter.Code',
      'ResourceInUse.Function',
      'ResourceNotFound.Layer',
      'ResourceNotFound.Namespace',
    ],
    local: {
      'InvalidParameterValue.Timeout': 'a Timeout that is not an integer',
      'InvalidParameterValue.Tags': 'a tag without a Key, or a Key given twice',
      'InvalidParameterValue.IntranetConfig': 'IntranetConfig.IpFixed other than ENABLE or DISABLE',
    },
  },
  UpdateFunctionCode: {
    scf: [
      'InvalidParameterValue.Handler',
      'InvalidParameterValue.ZipFile',
      'InvalidParameterValue.ZipFileBase64BinasciiError',
      'ResourceNotFound.Function',
      'ResourceNotFound.Namespace',
    ],
    local: { 'InvalidParameterValue.Publish': 'Publish other than TRUE or FALSE' },
  },
  UpdateFunctionConfiguration: {
    scf: [
      'InvalidParameterValue.CfsParameterError',
      'InvalidParameterValue.Description',
      'InvalidParameterValue.Environment',
      'InvalidParameterValue.Handler',
      'InvalidParameterValue.IdleTimeOut',
      'InvalidParameterValue.InstanceConcurrencyConfig',
      'InvalidParameterValue.Layers',
      'InvalidParameterValue.MaxConcurrency',
      'InvalidParameterValue.MemorySize',
      'InvalidParameterValue.PublicNetConfig',
      'InvalidParameterValue.Runtime',
      'LimitExceeded.InitTimeout',
      'LimitExceeded.Timeout',
      'ResourceNotFound.Function',
      'ResourceNotFound.Layer',
      'ResourceNotFound.Namespace',
    ],
    local: {
      'InvalidParameterValue.Timeout': 'a Timeout that is not an integer',
      'InvalidParameterValue.IntranetConfig': 'IntranetConfig.IpFixed other than ENABLE or DISABLE',
      'InvalidParameterValue.Publish': 'Publish other than TRUE or FALSE',
    },
  },
  GetFunction: {
    scf: ['ResourceNotFound.Function', 'ResourceNotFound.Namespace', 'ResourceNotFound.Version'],
    local: { 'InvalidParameterValue.ShowCode': 'ShowCode other than TRUE or FALSE' },
  },
  ListFunctions: {
    scf: [
      'InvalidParameterValue.Limit',
      'InvalidParameterValue.Namespace',
      'InvalidParameterValue.Offset',
      'InvalidParameterValue.Order',
      'ResourceNotFound.Namespace',
    ],
    local: {
      'InvalidParameterValue.Orderby': 'Orderby other than AddTime, ModTime or FunctionName',
      'InvalidParameterValue.Filters':
        'a malformed filter (SCF lists the code for ListNamespaces and ListTriggers)',
      'InvalidParameterValue.SearchKey': 'a SearchKey that is not text',
      'InvalidParameterValue.Description': 'a Description that is not text',
    },
  },
  DeleteFunction: {
    scf: [
      'ResourceNotFound.Function',
      'ResourceNotFound.Namespace',
      'ResourceNotFound.Qualifier',
      'UnsupportedOperation.AliasBind',
    ],
  },
  DeleteFunctionVersion: {
    scf: [
      'InvalidParameterValue.Qualifier',
      'ResourceNotFound.Function',
      'ResourceNotFound.Namespace',
      'ResourceNotFound.Qualifier',
      'UnsupportedOperation.AliasBind',
    ],
  },
  PublishVersion: {
    scf: ['InvalidParameterValue.Description', 'ResourceNotFound.Function', 'ResourceNotFound.Namespace'],
  },
  ListVersionByFunction: {
    scf: ['InvalidParameterValue.Order', 'ResourceNotFound.Function', 'ResourceNotFound.Namespace'],
    local: {
      'InvalidParameterValue.OrderBy': 'OrderBy other than AddTime or ModTime',
      'InvalidParameterValue.Limit': 'a Limit that is not a count',
      'InvalidParameterValue.Offset': 'an Offset that is not a count',
    },
  },
  CreateAlias: {
    scf: [
      'InvalidParameterValue.AdditionalVersionWeights',
      'InvalidParameterValue.Description',
      'InvalidParameterValue.Name',
      'InvalidParameterValue.RoutingConfig',
      'ResourceInUse.Alias',
      'ResourceNotFound.Function',
      'ResourceNotFound.FunctionVersion',
    ],
    local: { 'ResourceNotFound.Namespace': NAMESPACE },
  },
  UpdateAlias: {
    scf: [
      'InvalidParameterValue.AdditionalVersionWeights',
      'InvalidParameterValue.Description',
      'InvalidParameterValue.Name',
      'InvalidParameterValue.RoutingConfig',
      'ResourceNotFound.Alias',
      'ResourceNotFound.Function',
      'ResourceNotFound.FunctionVersion',
      'ResourceNotFound.Namespace',
    ],
  },
  GetAlias: {
    scf: ['ResourceNotFound.Alias', 'ResourceNotFound.Function', 'ResourceNotFound.Namespace'],
  },
  ListAliases: {
    scf: ['ResourceNotFound.Function', 'ResourceNotFound.Namespace'],
    local: {
      'InvalidParameterValue.FunctionVersion': 'a FunctionVersion the function does not have',
      'InvalidParameterValue.Limit': 'a Limit that is not a count',
      'InvalidParameterValue.Offset': 'an Offset that is not a count',
    },
  },
  DeleteAlias: {
    scf: ['ResourceNotFound.Alias', 'ResourceNotFound.Function'],
    local: { 'ResourceNotFound.Namespace': NAMESPACE },
  },
  CreateNamespace: {
    scf: [
      'InvalidParameterValue.DefaultNamespace',
      'InvalidParameterValue.Description',
      'InvalidParameterValue.Namespace',
      'ResourceInUse.Namespace',
    ],
  },
  ListNamespaces: {
    scf: ['InvalidParameterValue.Order', 'InvalidParameterValue.SearchKey'],
    local: {
      'InvalidParameterValue.Orderby': 'Orderby other than Name or Updatetime',
      'InvalidParameterValue.Limit': 'a Limit that is not a count',
      'InvalidParameterValue.Offset': 'an Offset that is not a count',
    },
  },
  DeleteNamespace: {
    scf: [
      'FailedOperation.DeleteNamespace',
      'InvalidParameterValue.Namespace',
      'ResourceInUse.Namespace',
      'ResourceNotFound.Namespace',
    ],
  },
  CreateTrigger: {
    scf: [
      'InvalidParameterValue.CustomArgument',
      'InvalidParameterValue.Description',
      'InvalidParameterValue.Enable',
      'InvalidParameterValue.TriggerDesc',
      'InvalidParameterValue.TriggerName',
      'InvalidParameterValue.Type',
      'ResourceInUse.Trigger',
      'ResourceNotFound.Function',
      'ResourceNotFound.Namespace',
      'UnsupportedOperation.Trigger',
    ],
    local: { 'InvalidParameterValue.Qualifier': QUALIFIER },
  },
  UpdateTrigger: {
    scf: [
      'InvalidParameterValue.Description',
      'InvalidParameterValue.Enable',
      'InvalidParameterValue.TriggerDesc',
      'InvalidParameterValue.TriggerName',
      'InvalidParameterValue.Type',
      'ResourceNotFound.Function',
      'ResourceNotFound.Namespace',
      'ResourceNotFound.Trigger',
    ],
    local: {
      'InvalidParameterValue.CustomArgument':
        "as CreateTrigger's: a CustomArgument for a trigger other than a timer, or over 4 KB",
      'InvalidParameterValue.Qualifier': QUALIFIER,
    },
  },
  UpdateTriggerStatus: {
    scf: [
      'InvalidParameterValue.Enable',
      'InvalidParameterValue.TriggerName',
      'InvalidParameterValue.Type',
      'ResourceNotFound.Function',
      'ResourceNotFound.Namespace',
      'ResourceNotFound.Trigger',
    ],
    local: { 'InvalidParameterValue.Qualifier': QUALIFIER },
  },
  DeleteTrigger: {
    scf: ['InvalidParameterValue.Type', 'ResourceNotFound.Function', 'ResourceNotFound.Trigger'],
    local: {
      'InvalidParameterValue.Qualifier': QUALIFIER,
      'ResourceNotFound.Namespace': 'an unknown namespace, named as such (as the other trigger actions do)',
    },
  },
  ListTriggers: {
    scf: ['InvalidParameterValue.Filters', 'InvalidParameterValue.Order', 'InvalidParameterValue.OrderBy'],
    local: {
      'InvalidParameterValue.Limit': 'a Limit that is not a count',
      'InvalidParameterValue.Offset': 'an Offset that is not a count',
      'ResourceNotFound.Function': 'the function does not exist (SCF lists no code for it here)',
      'ResourceNotFound.Namespace': 'the namespace does not exist (SCF lists no code for it here)',
    },
  },
  UpdateFunctionEventInvokeConfig: {
    scf: [
      'InvalidParameterValue.AsyncTriggerConfig',
      'LimitExceeded.MsgTTL',
      'LimitExceeded.RetryNum',
      'ResourceNotFound.Function',
      'ResourceNotFound.Namespace',
    ],
  },
  ListAsyncEvents: {
    scf: [
      'InvalidParameterValue.Limit',
      'InvalidParameterValue.Order',
      'InvalidParameterValue.Status',
      'ResourceNotFound.Function',
      'ResourceNotFound.Namespace',
    ],
    local: {
      'InvalidParameterValue.Orderby': 'Orderby other than StartTime or EndTime',
      'InvalidParameterValue.Offset': 'an Offset that is not a count',
      'InvalidParameterValue.StartTimeInterval': 'a StartTimeInterval whose Start or End is not an API time',
      'InvalidParameterValue.EndTimeInterval': 'an EndTimeInterval whose Start or End is not an API time',
    },
  },
  GetAsyncEventStatus: { scf: ['ResourceNotFound.AsyncEvent'] },
  TerminateAsyncEvent: {
    scf: [
      'FailedOperation.AsyncEventStatus',
      'ResourceNotFound.AsyncEvent',
      'ResourceNotFound.Function',
      'ResourceNotFound.Namespace',
    ],
  },
  GetFunctionEventInvokeConfig: {
    scf: ['ResourceNotFound.Function', 'ResourceNotFound.Namespace', 'ResourceNotFound.Version'],
    local: { 'ResourceNotFound.Alias': NO_ALIAS },
  },
};

/** True when `action` may answer `code`: the common codes, or its row. */
export function v3ActionMayAnswer(action: string, code: string): boolean {
  const row = V3_ACTION_CODES[action];
  if (row === undefined) return false;
  return COMMON_V3_CODES.includes(code) || row.scf.includes(code) || Object.hasOwn(row.local ?? {}, code);
}
