/**
 * The function catalog seam: where namespaces, function definitions and their code packages are kept, as
 * the registry (`../registry.ts`) sees it. The registry holds SCF's rules, this node's view in memory
 * (synchronous lookups on the invocation path) and its extracted code (`../code-cache.ts`); a catalog only
 * stores what the registry decided, and says when a write no longer applies. Chosen by config in one
 * switch (`createCatalog` in `index.ts`):
 *
 * - `LocalCatalog` (`files.ts`, store.backend `sqlite`): files in `<dataDir>/functions`, this node's own.
 *   Synchronous; the registry writes through it and nothing else changes it.
 * - `SharedCatalog` (`postgres.ts`, store.backend `postgres`): PostgreSQL, the source of truth for every
 *   node on the database. Each write is one transaction that bumps the catalog's `version`; a node's state
 *   is the catalog at one version, and it reads what changed since (`changesSince`) when it is behind
 *   (`version`), when woken (`watch`) and periodically.
 *
 * Errors: conflicts are the registry's own coded errors, worded as the registry words them (`../errors.ts`):
 * FunctionNotFound, FunctionInUse, NamespaceNotFound, NamespaceInUse. A shared catalog rejects with
 * `StoreUnavailable` (retryable) when the database cannot be reached, `InternalError` otherwise.
 */
import type { FunctionDefinition, NamespaceDefinition } from '../types.js';

/** One change of the catalog, as the registry planned it from its current state. */
export type CatalogWrite =
  | { op: 'createNamespace'; namespace: NamespaceDefinition }
  | { op: 'deleteNamespace'; name: string }
  /** FunctionInUse if it exists, NamespaceNotFound without its namespace. */
  | { op: 'createFunction'; def: FunctionDefinition; zip: Uint8Array }
  /**
   * `def` replaces the function's definition if its revision is still `expectRevision` (else the write is
   * stale); `zip` replaces its code when given (the code stays otherwise). FunctionNotFound if it is gone.
   */
  | { op: 'updateFunction'; def: FunctionDefinition; zip?: Uint8Array; expectRevision: number }
  | { op: 'deleteFunction'; namespace: string; functionName: string };

/** A function, by name. */
export interface FunctionKey {
  namespace: string;
  functionName: string;
}

/** The catalog at `version`, against a node's state at an older one. */
export interface CatalogChanges {
  version: number;
  /** Every namespace (there are few). */
  namespaces: NamespaceDefinition[];
  /** Functions created or changed since the older version (all of them, from version 0). */
  changed: FunctionDefinition[];
  /** Every function that exists: one the node has and this lacks was deleted. */
  present: FunctionKey[];
}

interface CatalogBase {
  /** Where the registry keeps this node's extracted code (absolute). */
  readonly codeRoot: string;
  /**
   * The package of `def`'s code; undefined when the catalog no longer holds that code (the function was
   * deleted or given other code since: re-read its definition).
   */
  fetchCode(def: FunctionDefinition): Promise<Uint8Array | undefined>;
  /** Releases what the catalog holds (connections, timers). Idempotent; the registry calls it. */
  close(): Promise<void>;
}

/** A catalog on this node's disk: synchronous, and changed by this registry alone. */
export interface LocalCatalog extends CatalogBase {
  readonly kind: 'local';
  /** Everything stored. */
  load(): { namespaces: NamespaceDefinition[]; functions: FunctionDefinition[] };
  /**
   * Stores `write` durably before it returns. The registry checked it against its state in the same tick,
   * so it is never stale.
   */
  commit(write: CatalogWrite): void;
  fetchCodeSync(def: FunctionDefinition): Uint8Array | undefined;
}

/** A generated API credential (see `shareCredential`). */
export interface SharedCredential {
  secretId: string;
  secretKey: string;
}

/** What a shared catalog's commit did. */
export type CommitResult =
  /**
   * Stored as the catalog's `version`. `def` is the function as stored: a shared catalog numbers
   * revisions with the version of their change, so a revision is never reused, not even by a function
   * deleted and created again.
   */
  | { ok: true; version: number; def?: FunctionDefinition }
  /** An `updateFunction` whose `expectRevision` no longer holds: nothing was stored. */
  | { ok: false };

/** A catalog several nodes share. */
export interface SharedCatalog extends CatalogBase {
  readonly kind: 'shared';
  /**
   * Prepares the storage (migrations) and says which catalog this is: an id made when the storage was
   * created, so a node's cache filled from another catalog is not mistaken for this one's.
   */
  open(): Promise<{ id: string }>;
  /** The current version: one cheap read. */
  version(): Promise<number>;
  /** What changed after `version`, read as of one moment. */
  changesSince(version: number): Promise<CatalogChanges>;
  /** Stores `write` in one transaction, as the next version; other nodes are woken once it is durable. */
  commit(write: CatalogWrite): Promise<CommitResult>;
  /**
   * Calls `onWake` whenever the catalog may have changed elsewhere: on another node's commit (a wake-up,
   * nothing more: it may be lost or spurious), on (re)connecting to the database, and periodically. Once.
   */
  watch(onWake: () => void): void;
  /**
   * The platform's generated credential: `candidate` when none is stored yet (it is stored), else the one
   * stored first, so every node accepts the same.
   */
  shareCredential(candidate: SharedCredential): Promise<SharedCredential>;
}

export type FunctionCatalog = LocalCatalog | SharedCatalog;
