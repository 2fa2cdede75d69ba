import type { AsyncInvokeConfig, FunctionType, TriggerDefinition } from '../triggers/types.js';

/**
 * Function definitions: what a deployed function is. The registry (`registry.ts`) validates SCF's rules
 * and keeps definitions and code in its catalog (`catalog/`: files under `<dataDir>/functions/`, or
 * PostgreSQL shared by several nodes), so they survive restarts.
 */

export interface FunctionDefinition {
  namespace: string;
  functionName: string;
  handler: string;
  /** SCF runtime name as SCF spells it (`Nodejs18.15`). */
  runtime: string;
  /** MB: 64, or 128–3072 in steps of 128. */
  memorySize: number;
  /** Seconds, 1–900. */
  timeout: number;
  description: string;
  environment: Record<string, string>;
  /** Bytes of the zip package. */
  codeSize: number;
  /** Hex SHA-256 of the zip package. */
  codeSha256: string;
  /** Epoch ms. */
  addTime: number;
  /** Epoch ms. */
  modTime: number;
  /**
   * Grows on every change of code or configuration: by one on the file catalog; a shared catalog numbers
   * a change with the catalog's version, so a revision is never reused (not even after a delete).
   */
  revision: number;
  /** `Event` (a handler) or `HTTP` (a web function: `scf_bootstrap` serves HTTP on port 9000). */
  type: FunctionType;
  /** Its triggers, in creation order (`../triggers/types.ts`). */
  triggers: TriggerDefinition[];
  /** How its asynchronous invocations are retried and kept (UpdateFunctionEventInvokeConfig). */
  asyncConfig: AsyncInvokeConfig;
  /** SCF settings stored and returned as given; only `initTimeout` changes what runs (see `settings.ts`). */
  attributes: FunctionAttributes;
  /** Its published versions, oldest first (PublishVersion). */
  versions: PublishedVersion[];
  /** The number of the last version published (0: none yet); numbers are never reused. */
  lastVersion: number;
  /** Its aliases, in creation order (CreateAlias); `$DEFAULT` is implicit until one is stored. */
  aliases: AliasDefinition[];
}

/** What runs: the parts of a definition a published version freezes. */
export type VersionSnapshot = Pick<
  FunctionDefinition,
  | 'handler'
  | 'runtime'
  | 'memorySize'
  | 'timeout'
  | 'description'
  | 'environment'
  | 'codeSize'
  | 'codeSha256'
  | 'revision'
  | 'type'
  | 'attributes'
>;

/**
 * A published version: the function's code and configuration as they were when it was published, never
 * changed after. `function.revision` is the revision it was published from: it names the version's code
 * (the extracted folder and the stored package, both kept as long as the version exists).
 */
export interface PublishedVersion {
  /** `1`, `2`, ... */
  version: string;
  /** PublishVersion's Description. */
  description: string;
  /** Epoch ms. */
  addTime: number;
  modTime: number;
  function: VersionSnapshot;
}

/** An alias: a name that routes to one version, or splits traffic between two by weight. */
export interface AliasDefinition {
  name: string;
  /** The primary version (`$LATEST` or a published number). */
  functionVersion: string;
  description: string;
  /** At most one other version with the share of invocations (0–1) it takes from the primary. */
  additionalVersionWeights: { version: string; weight: number }[];
  addTime: number;
  modTime: number;
}

/**
 * What SCF accepts beyond the code and its run: kept so that a deploy tool reading a function back finds
 * what it wrote. `initTimeout` bounds a Custom Runtime's or web function's start; the others have no effect
 * here (no VPC, role, public-network switch, dependency installer or async-run mode: docs/api-v3.md).
 */
export interface FunctionAttributes {
  tags: { key: string; value: string }[];
  role: string;
  /** Seconds a Custom Runtime or web function may take to start (SCF's InitTimeout). */
  initTimeout: number;
  asyncRunEnable: boolean;
  installDependency: boolean;
  vpcConfig: { vpcId: string; subnetId: string };
  publicNetConfig: { publicNetStatus: 'ENABLE' | 'DISABLE'; eipStatus: 'ENABLE' | 'DISABLE' };
  /** CLS log set and topic (scf-local keeps logs itself). */
  clsLogsetId: string;
  clsTopicId: string;
  dnsCache: boolean;
  traceEnable: boolean;
  /** SCF's dead-letter queue: `type` CMQ/CKafka..., `name`, `filterType`. */
  deadLetterConfig: { type: string; name: string; filterType: string };
  /** CFS file systems to mount (SCF's CfsInsList items, as given): none is mounted here. */
  cfsMounts: CfsMount[];
  /** `WS` for a web function serving WebSockets, else ''; with its idle timeout (s, 1–1800; 0: unset). */
  protocolType: string;
  wsIdleTimeout: number;
  /** Requests one instance may take at once (SCF: 1–100; 0: unset); scf-local runs one at a time. */
  instanceConcurrency: { dynamicEnabled: string; maxConcurrency: number };
  /** A fixed intranet IP (SCF's IntranetConfig.IpFixed): `ENABLE`/`DISABLE`. */
  intranetIpFixed: 'ENABLE' | 'DISABLE';
}

/** One CFS mount as SCF describes it. */
export interface CfsMount {
  userId: string;
  userGroupId: string;
  cfsId: string;
  mountInsId: string;
  localMountDir: string;
  remoteMountDir: string;
}

/** Where a function's code comes from. */
export type CodeInput =
  | { zipBase64: string }
  | { zip: Uint8Array }
  /** A zip file on the server's disk. */
  | { zipFile: string }
  /** A directory on the server's disk, zipped on deploy. */
  | { directory: string };

export interface NamespaceDefinition {
  name: string;
  description: string;
  addTime: number;
  modTime: number;
}

/** Names one function; the namespace defaults to `default`. */
export interface FunctionRef {
  functionName: string;
  namespace?: string;
}

/**
 * A function's configuration as a caller gives it: each field validated; one left out takes its default
 * (create) or keeps its current value (update).
 */
export interface FunctionConfiguration {
  handler?: string;
  runtime?: string;
  memorySize?: number;
  timeout?: number;
  description?: string;
  environment?: Record<string, string>;
  /** The attributes given (each replaces its current value). */
  attributes?: Partial<FunctionAttributes>;
}

export interface CreateFunctionInput extends FunctionRef, FunctionConfiguration {
  code: CodeInput;
  /** Default `Event`. */
  type?: FunctionType;
}

export interface UpdateFunctionCodeInput extends FunctionRef {
  handler?: string;
  code: CodeInput;
  /** Publish the updated function as the next version (UpdateFunctionCode's `Publish`). */
  publish?: boolean;
}

export interface UpdateFunctionConfigurationInput extends FunctionRef, FunctionConfiguration {
  /** Publish the updated function as the next version (UpdateFunctionConfiguration's `Publish`). */
  publish?: boolean;
}

export interface ListFunctionsInput {
  namespace?: string;
  /** Case-insensitive substring match on the function name. */
  searchKey?: string;
  /** Case-insensitive substring match on the description. */
  description?: string;
  /** Only the functions it accepts (the operation's `Filters`); applied before paging and the total. */
  match?: (def: FunctionDefinition) => boolean;
  order?: 'ASC' | 'DESC';
  orderBy?: 'AddTime' | 'ModTime' | 'FunctionName';
  offset?: number;
  limit?: number;
}

export interface ListFunctionsOutput {
  total: number;
  functions: FunctionDefinition[];
}

export const DEFAULT_NAMESPACE = 'default';

/** SCF's name for the editable head of a function. */
export const LATEST = '$LATEST';
/** The alias every function has; it routes to `$LATEST` until it is updated. */
export const DEFAULT_ALIAS = '$DEFAULT';
