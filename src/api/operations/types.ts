/**
 * Typed inputs and outputs of the operations. Actions never see HTTP or a wire spelling: each protocol
 * (`api/protocol/v2`, `api/protocol/v3`) parses its own parameters into these inputs and serialises the
 * outputs into its own envelope. Values here are canonical: epoch ms for times, camelCase names.
 */

import type { AsyncInvocations } from '../../async/invocations.js';
import type { Config } from '../../config/index.js';
import type { FunctionRegistry } from '../../functions/registry.js';
import type { FunctionDefinition, ListFunctionsInput, NamespaceDefinition } from '../../functions/types.js';
import type { Invoker } from '../../invocations/invoker.js';
import type { LogStore, Order, OrderBy, RetCodeFilter, StoredRecord } from '../../store/types.js';

export type {
  CreateFunctionInput,
  FunctionAttributes,
  FunctionDefinition,
  ListFunctionsInput,
  ListFunctionsOutput,
  NamespaceDefinition,
  UpdateFunctionCodeInput,
  UpdateFunctionConfigurationInput,
} from '../../functions/types.js';

/** What every action may use. Built once by the platform. */
export interface ActionContext {
  readonly config: Config;
  readonly functions: FunctionRegistry;
  readonly invoker: Invoker;
  readonly store: LogStore;
  /** Asynchronous invocations (Invoke with InvocationType Event; ListAsyncEvents and the like). */
  readonly async: AsyncInvocations;
}

/** One of ListFunctions' `Filters`: the functions whose attribute `name` is one of `values`. */
export interface FunctionFilter {
  name: string;
  values: string[];
}

/** ListFunctions' input: the registry's listing, plus SCF's `Filters` (see `functions.ts`). */
export interface ListFunctionsQuery extends Omit<ListFunctionsInput, 'match'> {
  filters?: FunctionFilter[];
}

export interface GetFunctionLogsInput {
  functionName?: string;
  /** Default `default`. Only used with functionName or to narrow the search. */
  namespace?: string;
  qualifier?: string;
  requestId?: string;
  /** Default 0. offset + limit ≤ 10000. */
  offset?: number;
  /** Default 20. */
  limit?: number;
  /** Default desc. */
  order?: Order;
  /** Default startTime. */
  orderBy?: OrderBy;
  /** Absent = all. */
  retCode?: RetCodeFilter;
  /** Epoch ms, inclusive. */
  startTime?: number;
  /** Epoch ms, inclusive. */
  endTime?: number;
  keyword?: string;
}

export interface GetFunctionLogsOutput {
  total: number;
  items: StoredRecord[];
}

export interface InvokeInput {
  functionName: string;
  namespace?: string;
  /** `$LATEST` (the only version scf-local has; `$DEFAULT` is read as it). */
  qualifier?: string;
  /** Default RequestResponse. */
  invocationType?: 'RequestResponse' | 'Event';
  /** The event as JSON text; default `{}`. Must parse as JSON. */
  event?: string;
  /** Tail: the last 4 KB of the log in the result. */
  logType?: 'None' | 'Tail';
}

export interface InvokeResultFields {
  /** Full log, or its last 4 KB with logType Tail; '' with None. */
  log: string;
  retMsg: string;
  errMsg: string;
  memUsage: number;
  duration: number;
  billDuration: number;
  /** 0 ok, otherwise the SCF status code (retCode). */
  invokeResult: number;
  retCode: number;
}

export interface InvokeOutput {
  /** The invocation's request id (FunctionRequestId). */
  requestId: string;
  /** Absent for Event (async) invocations. */
  result?: InvokeResultFields;
}

export interface FunctionRef {
  functionName: string;
  namespace?: string;
}

export interface GetFunctionInput extends FunctionRef {
  qualifier?: string;
  /** Include the code zip as base64. */
  showCode?: boolean;
}

export interface GetFunctionOutput extends FunctionDefinition {
  /** The version shown: `$LATEST` (absent) or a published version's number. */
  version?: string;
  /** A published version's own description (PublishVersion's). */
  versionDescription?: string;
  /** With showCode: the entry file's source (`entrySource`), '' when not shown. */
  code?: string;
  /** What runs it, when not the version its runtime name says (`Runtime.ranOn`). */
  ranOn?: string;
}

export interface CreateNamespaceInput {
  namespace: string;
  description?: string;
}

export interface ListNamespacesInput {
  offset?: number;
  limit?: number;
  /** Case-insensitive substring of the name. */
  searchKey?: string;
  /** Case-insensitive substring of the description. */
  description?: string;
  /** Default: the order the namespaces were made in. */
  orderBy?: 'name' | 'modTime';
  /** Default ASC. */
  order?: 'ASC' | 'DESC';
}

export interface ListNamespacesOutput {
  total: number;
  namespaces: NamespaceDefinition[];
}

export interface GetRequestStatusInput {
  functionName: string;
  functionRequestId: string;
  namespace?: string;
  /** Epoch ms; default now − 15 min. */
  startTime?: number;
  /** Epoch ms; default now. */
  endTime?: number;
}

export interface GetRequestStatusOutput {
  total: number;
  items: StoredRecord[];
}
