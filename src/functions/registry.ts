/**
 * The function registry: namespaces and function definitions with their code. It holds SCF's rules, this
 * node's view of the catalog in memory (lookups on the invocation path are synchronous) and its extracted
 * code (`code-cache.ts`); the catalog (`catalog/`, chosen by config) keeps them: files in
 * `<dataDir>/functions` for one node, or PostgreSQL shared by several nodes.
 *
 * Contract: every method validates SCF's rules and throws a coded ScfError (InvalidParameterValue.<Field>,
 * FunctionNotFound, FunctionInUse, NamespaceNotFound, NamespaceInUse); with a shared catalog, also
 * StoreUnavailable while the database cannot be reached. `onChange(namespace, name)` is called after a
 * function's code or configuration changed or it was deleted, so running instances can be retired; on
 * the other nodes of a shared catalog it is called once they learn of the change (and also when a function
 * appears there: a node cannot tell a create from a delete-and-create it missed).
 *
 * Shared catalog: a change is stored in the catalog first, and reaches this node's state (memory, code)
 * after; every change reaches it in the catalog's order, its own ones and the other nodes' alike. Lookups
 * read this node's state as of its last `sync()`: await `sync()` before them where another node's change
 * must be seen (the API does, for every request). Each change is planned from this node's state and
 * stored only if the function is still at the revision it was planned from; otherwise the registry
 * catches up and plans again, so concurrent changes on several nodes are applied one after the other,
 * none lost.
 *
 * Code is extracted with the `extract` caps. The `*Async` methods (what the API calls) extract in a worker
 * thread, so a big or hostile package never stalls the event loop; they are serialised per function among
 * themselves. The synchronous ones extract on the calling thread, work with the file catalog only, and
 * are for trusted callers (embedding, tests): do not mix both kinds on the same function at the same time.
 */
import { resolve } from 'node:path';
import { RULE, ScfError, toScfError } from '../errors/index.js';
import { stderrReport } from '../logger/index.js';
import { validateFunctionType } from '../triggers/validate.js';
import { FileCatalog } from './catalog/files.js';
import type {
  CatalogChanges,
  CatalogWrite,
  FunctionCatalog,
  LocalCatalog,
  SharedCatalog,
} from './catalog/types.js';
import { codeToZip, DEFAULT_EXTRACT_LIMITS, type ExtractLimits, sha256Hex } from './code.js';
import { CodeCache, type StagedCode } from './code-cache.js';
import {
  functionInUse,
  functionNotFound,
  namespaceExists,
  namespaceNotEmpty,
  namespaceNotFound,
} from './errors.js';
import { DEFAULT_ATTRIBUTES, type FunctionSettings, withSettingDefaults } from './settings.js';
import {
  type AliasDefinition,
  type CreateFunctionInput,
  DEFAULT_ALIAS,
  DEFAULT_NAMESPACE,
  type FunctionDefinition,
  type FunctionRef,
  type ListFunctionsInput,
  type ListFunctionsOutput,
  type NamespaceDefinition,
  type PublishedVersion,
  type UpdateFunctionCodeInput,
  type UpdateFunctionConfigurationInput,
} from './types.js';
import {
  DEFAULT_HANDLER,
  DEFAULT_MEMORY_MB,
  DEFAULT_RUNTIME,
  DEFAULT_TIMEOUT_S,
  validateAttributes,
  validateDescription,
  validateEnvironment,
  validateFunctionName,
  validateHandler,
  validateMemorySize,
  validateNamespace,
  validateRuntime,
  validateTimeout,
} from './validate.js';
import {
  type AliasInput,
  aliasesRoutingTo,
  aliasNotFound,
  findAlias,
  findVersion,
  nextVersion,
  planAlias,
  resolveRead,
  resolveRun,
  validateAliasName,
  versionView,
} from './versions.js';

export interface FunctionRegistryOptions {
  /** Called after a function's code or configuration changed, or it was deleted. Must not throw. */
  onChange?: (namespace: string, functionName: string) => void;
  /** Caps on unpacked code (config `functions.maxUnpackedBytes`, `functions.maxFiles`). */
  extract?: ExtractLimits;
  /** Clock, for tests. */
  now?: () => number;
  /**
   * Faults of work nobody awaits, retried by itself: catching up with a shared catalog after a wake-up
   * (reported once until it succeeds again), code from another node that cannot be extracted here.
   * Default: `error` lines on stderr.
   */
  onBackgroundError?: (err: ScfError) => void;
}

/** An invocation's hold on one revision's extracted code (see `FunctionRegistry.holdCode`). */
export interface CodeHold {
  codeDir: string;
  /** Idempotent. */
  release(): void;
}

/** A function change planned from this node's state: what to store, and the code it runs. */
interface FunctionPlan {
  write: Extract<CatalogWrite, { op: 'createFunction' | 'updateFunction' }>;
  /** Whose code is carried over (configuration changes); undefined when `write` brings a package. */
  carry?: FunctionDefinition;
}

/** Times a change is planned again after another node's change got in first, before giving up. */
const MAX_ATTEMPTS = 20;

const key = (ns: string, name: string): string => `${ns}/${name}`;
const keyOf = (f: { namespace: string; functionName: string }): string => key(f.namespace, f.functionName);

/** `def` and the views of its published versions (whose code must be in place too). */
const withVersionViews = (def: FunctionDefinition): FunctionDefinition[] => [
  def,
  ...def.versions.map((v) => versionView(def, v)),
];

/** `open()`'s own way in: a registry on a shared catalog is empty until opened. */
const OPENING: unique symbol = Symbol('opening');

export class FunctionRegistry {
  readonly #catalog: FunctionCatalog;
  readonly #code: CodeCache;
  readonly #functions = new Map<string, FunctionDefinition>();
  readonly #namespaces = new Map<string, NamespaceDefinition>();
  readonly #onChange: (namespace: string, functionName: string) => void;
  readonly #onBackgroundError: (err: ScfError) => void;
  readonly #now: () => number;
  /** Per function (or namespace), the tail of its chain of async changes. */
  readonly #chains = new Map<string, Promise<unknown>>();
  /** Shared catalog: the version this node's state is at. */
  #version = 0;
  /** Shared catalog: the tail of the chain every change takes into this node's state, in version order. */
  #applying: Promise<unknown> = Promise.resolve();
  /** Shared catalog: code this node staged for its own commits, by `key@revision`, until applied. */
  readonly #ownStaged = new Map<string, StagedCode>();
  /** Shared catalog: the version check under way, and the one queued behind it (see `sync`). */
  #checking: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /** Shared catalog: the last background catch-up failed (reported once until one succeeds). */
  #backgroundFailing = false;
  #closing: Promise<void> | undefined;

  /**
   * A registry on the file catalog in `<dataDir>/functions` (or on the given local catalog), loaded now.
   * A shared catalog is opened with `FunctionRegistry.open()`.
   */
  constructor(
    where: string | FunctionCatalog,
    options: FunctionRegistryOptions = {},
    opening?: typeof OPENING,
  ) {
    this.#catalog = typeof where === 'string' ? new FileCatalog(resolve(where, 'functions')) : where;
    this.#onChange = options.onChange ?? (() => {});
    this.#onBackgroundError = options.onBackgroundError ?? stderrReport('function catalog');
    this.#now = options.now ?? Date.now;
    if (this.#catalog.kind === 'shared' && opening !== OPENING) {
      throw new ScfError(
        'InternalError',
        'a registry on a shared catalog is made by FunctionRegistry.open()',
      );
    }
    this.#code = new CodeCache(this.#catalog.codeRoot, options.extract ?? DEFAULT_EXTRACT_LIMITS);
    if (this.#catalog.kind === 'local') {
      const { namespaces, functions } = this.#catalog.load();
      for (const ns of namespaces) this.#namespaces.set(ns.name, ns);
      for (const def of functions) {
        this.#functions.set(keyOf(def), def);
        this.#restoreVersionCode(this.#catalog, def);
      }
      if (!this.#namespaces.has(DEFAULT_NAMESPACE))
        this.createNamespace(DEFAULT_NAMESPACE, 'default namespace');
    }
  }

  /**
   * A registry on `catalog`, which it owns from now on (closing it with itself, or at once when opening
   * fails). A shared catalog is read whole, this node's cache brought in line with it (code extracted off
   * the event loop) and watched for changes.
   */
  static async open(
    catalog: FunctionCatalog,
    options: FunctionRegistryOptions = {},
  ): Promise<FunctionRegistry> {
    if (catalog.kind === 'local') return new FunctionRegistry(catalog, options);
    try {
      const registry = new FunctionRegistry(catalog, options, OPENING);
      await registry.#openShared(catalog);
      return registry;
    } catch (err) {
      await catalog.close().catch(() => {});
      throw err;
    }
  }

  async #openShared(catalog: SharedCatalog): Promise<void> {
    const { id } = await catalog.open();
    this.#code.adopt(id);
    await this.#enqueue(() => this.#pull({ quiet: true }));
    // What the cache holds of functions and namespaces the catalog no longer has (deleted while this node
    // was away) goes.
    const listed = this.#code.listed();
    for (const [ns, fn] of listed.functions) {
      if (!this.#functions.has(key(ns, fn))) this.#code.removeFunction(ns, fn);
    }
    for (const ns of listed.namespaces) if (!this.#namespaces.has(ns)) this.#code.removeNamespace(ns);
    if (!this.#namespaces.has(DEFAULT_NAMESPACE)) {
      try {
        await this.createNamespaceAsync(DEFAULT_NAMESPACE, 'default namespace');
      } catch (err) {
        // Another node starting at the same time made it first.
        if (!(err instanceof ScfError && err.code === 'NamespaceInUse')) throw err;
        await this.sync();
      }
    }
    catalog.watch(() => this.#wake());
  }

  /**
   * File catalog, at load: a published version whose extracted code is missing (removed by hand, or by a
   * version of scf-local before versions existed) gets it back from its package, so it can run.
   */
  #restoreVersionCode(catalog: LocalCatalog, def: FunctionDefinition): void {
    for (const view of withVersionViews(def).slice(1)) {
      if (this.#code.has(view)) continue;
      const zip = catalog.fetchCodeSync(view);
      if (!zip) continue;
      try {
        this.#code.install(view, this.#code.stage(zip));
      } catch (err) {
        this.#onBackgroundError(toScfError(err));
      }
    }
  }

  /**
   * Brings this node's state up to the catalog's current version: after it resolves, every change stored
   * before it was called (on any node) is seen by the lookups. A no-op for the file catalog; for a shared
   * one, one cheap read when nothing changed. Rejects with StoreUnavailable while the database cannot be
   * reached (the state stays as it was).
   */
  sync(): Promise<void> {
    if (this.#catalog.kind === 'local' || this.#closing) return Promise.resolve();
    // A check already under way may have read the version before this call: the caller needs one that
    // starts after it. All callers arriving meanwhile share the one queued behind it.
    if (!this.#checking) return this.#startCheck();
    this.#queued ??= this.#checking
      .catch(() => {})
      .then(() => {
        this.#queued = undefined;
        return this.#startCheck();
      });
    return this.#queued;
  }

  #startCheck(): Promise<void> {
    const check = this.#check();
    this.#checking = check;
    const clear = (): void => {
      if (this.#checking === check) this.#checking = undefined;
    };
    check.then(clear, clear);
    return check;
  }

  async #check(): Promise<void> {
    const catalog = this.#catalog as SharedCatalog;
    const version = await catalog.version();
    if (version > this.#version) await this.#enqueue(() => this.#pull());
  }

  /** A wake-up from the catalog: catch up, reporting a failure (once) to the background report. */
  #wake(): void {
    if (this.#closing) return;
    this.sync().then(
      () => {
        this.#backgroundFailing = false;
      },
      (err: unknown) => {
        if (this.#backgroundFailing) return;
        this.#backgroundFailing = true;
        this.#onBackgroundError(toScfError(err));
      },
    );
  }

  /** Runs `task` after every earlier change of this node's state (shared catalog). */
  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#applying.then(task);
    this.#applying = run.catch(() => {});
    return run;
  }

  /**
   * Reads what changed since this node's version and applies it (run through `#enqueue`). The code of
   * every changed function is made ready first (extracted off the event loop, from the package this node
   * staged itself or one fetched from the catalog), then everything is switched in one synchronous step.
   */
  async #pull(options: { quiet?: boolean } = {}): Promise<void> {
    const catalog = this.#catalog as SharedCatalog;
    for (let attempt = 1; ; attempt++) {
      const changes = await catalog.changesSince(this.#version);
      if (changes.version === this.#version && !options.quiet) return;
      const staged = new Map<string, StagedCode>();
      let superseded = false;
      try {
        for (const def of changes.changed.flatMap(withVersionViews)) {
          if (this.#code.has(def) || this.#ownStaged.has(`${keyOf(def)}@${def.revision}`)) continue;
          if (staged.has(`${keyOf(def)}@${def.revision}`)) continue;
          const zip = await catalog.fetchCode(def);
          if (!zip) {
            // Changed again since `changes` was read: read again.
            superseded = true;
            break;
          }
          try {
            staged.set(`${keyOf(def)}@${def.revision}`, await this.#code.stageOffThread(zip));
          } catch (err) {
            const e = toScfError(err);
            if (!e.isUserError) throw e;
            // Refused by this node's caps (another node's are larger): the definition still applies
            // (its invocations fail here for want of code), and the operator is told.
            this.#onBackgroundError(
              new ScfError(
                'InternalError',
                `code of ${keyOf(def)} cannot be extracted on this node: ${e.message}`,
                {
                  cause: e,
                },
              ),
            );
          }
        }
      } catch (err) {
        for (const s of staged.values()) this.#code.discard(s);
        throw err;
      }
      if (superseded) {
        for (const s of staged.values()) this.#code.discard(s);
        if (attempt >= MAX_ATTEMPTS) {
          throw new ScfError('InternalError', 'the function catalog kept changing while it was read');
        }
        continue;
      }
      this.#switch(changes, staged, options.quiet === true);
      return;
    }
  }

  /** Applies `changes` to this node's state in one synchronous step; `onChange` after (unless quiet). */
  #switch(changes: CatalogChanges, staged: Map<string, StagedCode>, quiet: boolean): void {
    const changed: FunctionDefinition[] = [];
    for (const ns of changes.namespaces) this.#namespaces.set(ns.name, ns);
    for (const def of changes.changed) {
      const own = `${keyOf(def)}@${def.revision}`;
      const code = staged.get(own) ?? this.#ownStaged.get(own);
      this.#ownStaged.delete(own);
      // Its versions' code first (a version published on another node, or this node's cache is new).
      for (const view of withVersionViews(def).slice(1)) {
        const v = staged.get(`${keyOf(view)}@${view.revision}`);
        if (v) this.#code.install(view, v);
      }
      this.#applyFunction(def, code);
      changed.push(def);
    }
    const present = new Set(changes.present.map(keyOf));
    for (const [k, def] of this.#functions) {
      if (present.has(k)) continue;
      this.#functions.delete(k);
      this.#code.removeFunction(def.namespace, def.functionName);
      changed.push(def);
    }
    const namespaces = new Set(changes.namespaces.map((n) => n.name));
    for (const name of [...this.#namespaces.keys()]) {
      if (namespaces.has(name)) continue;
      this.#namespaces.delete(name);
      this.#code.removeNamespace(name);
    }
    this.#version = changes.version;
    if (!quiet) for (const def of changed) this.#onChange(def.namespace, def.functionName);
  }

  /**
   * Makes `def` current on this node, its code installed from `staged` (when not in place already): the
   * definition is switched and the superseded revisions no invocation holds are removed in one synchronous
   * step (see `holdCode`).
   */
  #applyFunction(def: FunctionDefinition, staged: StagedCode | undefined): void {
    if (staged) this.#code.install(def, staged);
    this.#functions.set(keyOf(def), def);
    this.#code.retireOlderRevisions(def);
  }

  /**
   * Applies this node's own commit, stored as `version`, once every earlier change is applied: directly
   * when it is the next version, else by reading everything since (its own change included). `staged` is
   * the code of `def` (or undefined when already in place or for a write without code).
   */
  #applyOwn(
    version: number,
    write: CatalogWrite,
    def: FunctionDefinition | undefined,
    staged: StagedCode | undefined,
  ): Promise<void> {
    const own = def ? `${keyOf(def)}@${def.revision}` : undefined;
    if (own && staged) this.#ownStaged.set(own, staged);
    return this.#enqueue(async () => {
      try {
        if (version === this.#version + 1) {
          this.#applyWrite(write, def, own ? this.#ownStaged.get(own) : undefined);
          if (own) this.#ownStaged.delete(own);
          this.#version = version;
        } else if (version > this.#version) {
          await this.#pull();
        }
      } finally {
        // Not used: applied by an earlier pull, or superseded.
        const left = own ? this.#ownStaged.get(own) : undefined;
        if (own && left) {
          this.#ownStaged.delete(own);
          this.#code.discard(left);
        }
      }
    });
  }

  /** Applies one write (this node's own, already stored) to this node's state. */
  #applyWrite(
    write: CatalogWrite,
    def: FunctionDefinition | undefined,
    staged: StagedCode | undefined,
  ): void {
    switch (write.op) {
      case 'createNamespace':
        this.#namespaces.set(write.namespace.name, write.namespace);
        return;
      case 'deleteNamespace':
        this.#namespaces.delete(write.name);
        this.#code.removeNamespace(write.name);
        return;
      case 'createFunction':
      case 'updateFunction': {
        const stored = def ?? write.def;
        this.#applyFunction(stored, staged);
        if (write.op === 'updateFunction') this.#onChange(stored.namespace, stored.functionName);
        return;
      }
      case 'deleteFunction':
        this.#functions.delete(key(write.namespace, write.functionName));
        this.#code.removeFunction(write.namespace, write.functionName);
        this.#onChange(write.namespace, write.functionName);
        return;
      default: {
        const unknown: never = write;
        throw new ScfError('InternalError', `unknown catalog write ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** The file catalog, for the synchronous changes; UnsupportedOperation for a shared one. */
  #local(): LocalCatalog {
    if (this.#catalog.kind !== 'local') {
      throw new ScfError(
        'UnsupportedOperation',
        'synchronous changes need the file catalog; a shared catalog is changed through the *Async methods',
      );
    }
    return this.#catalog;
  }

  /**
   * Stores `write` and applies it here. File catalog: in the same tick as it was planned (nothing can come
   * between the checks and the change). Shared catalog: resolves once applied to this node's state;
   * `stale` when another node changed the function since it was planned (nothing was stored).
   */
  async #store(
    write: CatalogWrite,
    staged: StagedCode | undefined,
  ): Promise<{ stale: true } | { stale: false; def: FunctionDefinition | undefined }> {
    const planned = write.op === 'createFunction' || write.op === 'updateFunction' ? write.def : undefined;
    if (this.#catalog.kind === 'local') {
      this.#storeSync(write, staged);
      return { stale: false, def: planned };
    }
    const result = await this.#catalog.commit(write);
    if (!result.ok) return { stale: true };
    const def = result.def ?? planned;
    try {
      await this.#applyOwn(result.version, write, def, staged);
    } catch (err) {
      // The change is stored (the caller must hear so, or a retry would fail on it); only reading the
      // changes before it failed (the database went away just now). The next sync catches up.
      this.#onBackgroundError(toScfError(err));
    }
    return { stale: false, def };
  }

  /**
   * The same, synchronously (file catalog). The code goes in place before the definition that names it is
   * stored (a crash in between leaves an unused folder, not a definition without code), and is taken out
   * again if storing fails.
   */
  /** `#storeSync` with `zip` staged (extracted here) first; the staging goes if storing fails. */
  #storeWithCodeSync(write: CatalogWrite, zip: Uint8Array): void {
    const staged = this.#code.stage(zip);
    try {
      this.#storeSync(write, staged);
    } catch (err) {
      this.#code.discard(staged);
      throw err;
    }
  }

  #storeSync(write: CatalogWrite, staged: StagedCode | undefined): void {
    const catalog = this.#local();
    const planned = write.op === 'createFunction' || write.op === 'updateFunction' ? write.def : undefined;
    if (planned && staged) this.#code.install(planned, staged);
    try {
      catalog.commit(write);
    } catch (err) {
      if (planned && staged) this.#code.removeRevision(planned);
      throw err;
    }
    this.#applyWrite(write, planned, undefined);
  }

  /** Absolute path of the extracted code the runtime runs for this definition. */
  codeDir(def: FunctionDefinition): string {
    return this.#code.codeDir(def);
  }

  /**
   * `def`'s code, kept in place until `release()` even if the function is updated meanwhile: what an
   * invocation takes, in the same tick as it reads the definition (`get`), for as long as it runs, so it
   * runs one revision's code whole, never a removed or half-removed folder. Release it once, when the
   * runtime is done with the invocation. (Deleting the function removes its code regardless.)
   */
  holdCode(def: FunctionDefinition): CodeHold {
    return { codeDir: this.#code.codeDir(def), release: this.#code.hold(def) };
  }

  #requireNamespace(ns: string | undefined): string {
    const name = validateNamespace(ns ?? DEFAULT_NAMESPACE);
    if (!this.#namespaces.has(name)) throw namespaceNotFound(name);
    return name;
  }

  /** Runs `task` after every earlier async change of the same function (or namespace) has settled. */
  #serial<T>(chain: string, task: () => Promise<T>): Promise<T> {
    const run = (this.#chains.get(chain) ?? Promise.resolve()).then(task, task);
    // The chain's tail must not reject (the next task runs either way); callers get `run` itself.
    const tail = run.catch(() => {});
    this.#chains.set(chain, tail);
    void tail.then(() => {
      if (this.#chains.get(chain) === tail) this.#chains.delete(chain);
    });
    return run;
  }

  /** The definition, or FunctionNotFound. */
  get(functionName: string, namespace?: string): FunctionDefinition {
    const ns = namespace ?? DEFAULT_NAMESPACE;
    const def = this.#functions.get(key(ns, functionName));
    if (!def) throw functionNotFound(ns, functionName);
    return def;
  }

  /** True if the function exists. */
  has(functionName: string, namespace?: string): boolean {
    return this.#functions.has(key(namespace ?? DEFAULT_NAMESPACE, functionName));
  }

  /**
   * What an invocation with `qualifier` runs (absent: `$LATEST`; an alias picks one of its versions by
   * weight): the definition (a published version's view) and the version's name. FunctionNotFound,
   * VersionNotFound, AliasNotFound.
   */
  resolve(
    functionName: string,
    namespace: string | undefined,
    qualifier: string | undefined,
    random?: () => number,
  ): { def: FunctionDefinition; version: string } {
    return resolveRun(this.get(functionName, namespace), qualifier, random);
  }

  /** The definition `qualifier` names for reading (GetFunction): a version, or an alias's primary one. */
  getQualified(
    functionName: string,
    namespace: string | undefined,
    qualifier: string | undefined,
  ): { def: FunctionDefinition; version: string } {
    return resolveRead(this.get(functionName, namespace), qualifier);
  }

  /**
   * The zip package of `def`'s code as deployed, or undefined when the catalog no longer holds it (the
   * function was deleted or given other code since).
   */
  readCode(def: FunctionDefinition): Promise<Uint8Array | undefined> {
    return this.#catalog.fetchCode(def);
  }

  /** The current definition and its package (GetFunction with ShowCode), read together. */
  async getWithCode(
    functionName: string,
    namespace?: string,
  ): Promise<{ def: FunctionDefinition; zip: Uint8Array }> {
    for (let attempt = 1; ; attempt++) {
      await this.sync();
      const def = this.get(functionName, namespace);
      const zip = await this.#catalog.fetchCode(def);
      if (zip) return { def, zip };
      // A shared catalog's function changed between the two reads: read both again.
      if (this.#catalog.kind === 'local' || attempt >= MAX_ATTEMPTS) {
        throw new ScfError('InternalError', `the code package of ${keyOf(def)} is missing`);
      }
    }
  }

  /** A new function's validated definition (code not yet stored); FunctionInUse if the name is taken. */
  #define(input: CreateFunctionInput): FunctionDefinition {
    const functionName = validateFunctionName(input.functionName);
    const namespace = this.#requireNamespace(input.namespace);
    if (this.#functions.has(key(namespace, functionName))) throw functionInUse(namespace, functionName);
    return {
      namespace,
      functionName,
      handler: validateHandler(input.handler ?? DEFAULT_HANDLER),
      runtime: validateRuntime(input.runtime ?? DEFAULT_RUNTIME),
      memorySize: validateMemorySize(input.memorySize ?? DEFAULT_MEMORY_MB),
      timeout: validateTimeout(input.timeout ?? DEFAULT_TIMEOUT_S),
      description: validateDescription(input.description ?? ''),
      environment: validateEnvironment(input.environment ?? {}),
      codeSize: 0,
      codeSha256: '',
      addTime: this.#now(),
      modTime: this.#now(),
      revision: 1,
      ...withSettingDefaults({
        type: validateFunctionType(input.type ?? 'Event'),
        attributes: validateAttributes(input.attributes ?? {}, DEFAULT_ATTRIBUTES),
      }),
    };
  }

  #createPlan(input: CreateFunctionInput, zip: Uint8Array): FunctionPlan {
    const def = this.#define(input);
    def.codeSize = zip.byteLength;
    def.codeSha256 = sha256Hex(zip);
    return { write: { op: 'createFunction', def, zip } };
  }

  #codePlan(input: UpdateFunctionCodeInput, zip: Uint8Array): FunctionPlan {
    const prev = this.get(input.functionName, input.namespace);
    const def: FunctionDefinition = {
      ...prev,
      handler: input.handler === undefined ? prev.handler : validateHandler(input.handler),
      codeSize: zip.byteLength,
      codeSha256: sha256Hex(zip),
      modTime: this.#now(),
      revision: prev.revision + 1,
    };
    return { write: { op: 'updateFunction', def, zip, expectRevision: prev.revision } };
  }

  #configurationPlan(input: UpdateFunctionConfigurationInput): FunctionPlan {
    const prev = this.get(input.functionName, input.namespace);
    const def: FunctionDefinition = {
      ...prev,
      handler: input.handler === undefined ? prev.handler : validateHandler(input.handler),
      runtime: input.runtime === undefined ? prev.runtime : validateRuntime(input.runtime),
      memorySize: input.memorySize === undefined ? prev.memorySize : validateMemorySize(input.memorySize),
      timeout: input.timeout === undefined ? prev.timeout : validateTimeout(input.timeout),
      description:
        input.description === undefined ? prev.description : validateDescription(input.description),
      environment:
        input.environment === undefined ? prev.environment : validateEnvironment(input.environment),
      attributes:
        input.attributes === undefined
          ? prev.attributes
          : validateAttributes(input.attributes, prev.attributes),
      modTime: this.#now(),
      revision: prev.revision + 1,
    };
    // The code folder is per revision: the current code is carried over to the new one.
    return { write: { op: 'updateFunction', def, expectRevision: prev.revision }, carry: prev };
  }

  /**
   * An async function change: after every earlier one of the same function has settled and this node has
   * caught up, `plan()` makes it from the current state. Its code (the new package, or the current one
   * carried over) is extracted off the event loop first; then it is planned again and stored in the same
   * tick, and the stored change is applied here before this resolves. Planned again when another node's
   * change of the function got in first (the code staged again only if that change brought other code).
   */
  #changeAsync(ref: FunctionRef, plan: () => FunctionPlan): Promise<FunctionDefinition> {
    return this.#serial(key(ref.namespace ?? DEFAULT_NAMESPACE, ref.functionName), async () => {
      await this.sync();
      let staged: StagedCode | undefined;
      let stagedSha: string | undefined;
      try {
        for (let attempt = 1; ; attempt++) {
          if (attempt > MAX_ATTEMPTS) {
            throw new ScfError(
              'InternalError',
              `${key(ref.namespace ?? DEFAULT_NAMESPACE, ref.functionName)} kept changing on other nodes`,
            );
          }
          const { write, carry } = plan();
          const sha = carry ? carry.codeSha256 : write.def.codeSha256;
          if (stagedSha !== sha) {
            if (staged) this.#code.discard(staged);
            staged = undefined;
            stagedSha = undefined;
            const zip = write.zip ?? (carry ? await this.#catalog.fetchCode(carry) : undefined);
            if (!zip) {
              if (this.#catalog.kind === 'local') {
                throw new ScfError('InternalError', `the code package of ${keyOf(write.def)} is missing`);
              }
              // Another node changed the code since this node's state was read: catch up, plan again.
              await this.sync();
              continue;
            }
            staged = await this.#code.stageOffThread(zip);
            stagedSha = sha;
            // The extraction took time: plan again from the state as it is now, so (file catalog) the
            // checks and the change happen in one tick.
            continue;
          }
          const stored = await this.#store(write, staged);
          if (!stored.stale) {
            staged = undefined; // installed, or handed to the change that applies it
            return stored.def ?? write.def;
          }
          await this.sync();
        }
      } finally {
        if (staged) this.#code.discard(staged);
      }
    });
  }

  create(input: CreateFunctionInput): FunctionDefinition {
    this.#local();
    // The name, namespace and configuration are checked before the package is read.
    this.#define(input);
    const zip = codeToZip(input.code);
    const { write } = this.#createPlan(input, zip);
    this.#storeWithCodeSync(write, zip);
    return write.def;
  }

  /** `create`, with the code extracted off the event loop (the API's path). */
  createAsync(input: CreateFunctionInput): Promise<FunctionDefinition> {
    let zip: Uint8Array | undefined;
    return this.#changeAsync(input, () => {
      if (!zip) {
        this.#define(input);
        zip = codeToZip(input.code);
      }
      return this.#createPlan(input, zip);
    });
  }

  updateCode(input: UpdateFunctionCodeInput): FunctionDefinition {
    this.#local();
    this.get(input.functionName, input.namespace);
    const zip = codeToZip(input.code);
    const { write } = this.#codePlan(input, zip);
    this.#storeWithCodeSync(write, zip);
    return write.def;
  }

  /** `updateCode`, with the code extracted off the event loop (the API's path). */
  updateCodeAsync(input: UpdateFunctionCodeInput): Promise<FunctionDefinition> {
    let zip: Uint8Array | undefined;
    return this.#changeAsync(input, () => {
      // The function is looked up before the package is read.
      this.get(input.functionName, input.namespace);
      zip ??= codeToZip(input.code);
      return this.#codePlan(input, zip);
    });
  }

  updateConfiguration(input: UpdateFunctionConfigurationInput): FunctionDefinition {
    const catalog = this.#local();
    const { write, carry } = this.#configurationPlan(input);
    const zip = carry ? catalog.fetchCodeSync(carry) : undefined;
    if (!zip) throw new ScfError('InternalError', `the code package of ${keyOf(write.def)} is missing`);
    const staged = this.#code.stage(zip);
    try {
      this.#storeSync(write, staged);
    } catch (err) {
      this.#code.discard(staged);
      throw err;
    }
    return write.def;
  }

  /** `updateConfiguration`, with the carried-over code extracted off the event loop (the API's path). */
  updateConfigurationAsync(input: UpdateFunctionConfigurationInput): Promise<FunctionDefinition> {
    return this.#changeAsync(input, () => this.#configurationPlan(input));
  }

  /**
   * Changes a function's settings (triggers, async config): `change` is given the current definition and
   * returns the settings it changes, or throws a coded error; it runs again if another node changed the
   * function first. A configuration change like any other (a new revision).
   */
  updateSettingsAsync(
    ref: FunctionRef,
    change: (prev: FunctionDefinition) => Partial<FunctionSettings>,
  ): Promise<FunctionDefinition> {
    return this.#changeAsync(ref, () => {
      const prev = this.get(ref.functionName, ref.namespace);
      const def: FunctionDefinition = {
        ...prev,
        ...change(prev),
        modTime: this.#now(),
        revision: prev.revision + 1,
      };
      return { write: { op: 'updateFunction', def, expectRevision: prev.revision }, carry: prev };
    });
  }

  /**
   * A change of the function's versions or aliases: like `updateSettingsAsync`, but what the function is
   * (its ModTime) does not change.
   */
  #versioningChange(
    ref: FunctionRef,
    change: (prev: FunctionDefinition) => Partial<FunctionSettings>,
  ): Promise<FunctionDefinition> {
    return this.#changeAsync(ref, () => {
      const prev = this.get(ref.functionName, ref.namespace);
      const def: FunctionDefinition = { ...prev, ...change(prev), revision: prev.revision + 1 };
      return { write: { op: 'updateFunction', def, expectRevision: prev.revision }, carry: prev };
    });
  }

  /** Publishes `$LATEST` as it is now as the next version (PublishVersion). */
  async publishVersionAsync(ref: FunctionRef, description = ''): Promise<PublishedVersion> {
    let published: PublishedVersion | undefined;
    const def = await this.#versioningChange(ref, (prev) => {
      published = nextVersion(prev, description, this.#now());
      return { versions: [...prev.versions, published], lastVersion: prev.lastVersion + 1 };
    });
    // As stored (a shared catalog may have numbered the revisions).
    return findVersion(def, published?.version ?? '') ?? (published as PublishedVersion);
  }

  /**
   * Deletes one published version (DeleteFunction with a Qualifier): VersionNotFound, or VersionInUse while
   * an alias routes to it. Its records stay.
   */
  async deleteVersionAsync(ref: FunctionRef, version: string): Promise<void> {
    await this.#versioningChange(ref, (prev) => {
      if (!findVersion(prev, version)) {
        throw new ScfError(
          'VersionNotFound',
          `function ${prev.functionName} in namespace ${prev.namespace} has no version ${version}`,
          { rule: RULE.deleteVersion },
        );
      }
      const routing = aliasesRoutingTo(prev, version);
      if (routing.length > 0) {
        throw new ScfError(
          'VersionInUse',
          `version ${version} of ${prev.functionName} cannot be deleted: alias ${routing.map((a) => a.name).join(', ')} routes to it`,
        );
      }
      return { versions: prev.versions.filter((v) => v.version !== version) };
    });
  }

  /** Creates an alias (CreateAlias): AliasInUse if the name is taken (`$DEFAULT` always is). */
  async createAliasAsync(ref: FunctionRef, input: AliasInput): Promise<AliasDefinition> {
    const def = await this.#versioningChange(ref, (prev) => {
      if (findAlias(prev, input.name)) {
        throw new ScfError('AliasInUse', `function ${prev.functionName} already has an alias ${input.name}`);
      }
      return { aliases: [...prev.aliases, planAlias(prev, input, this.#now())] };
    });
    return findAlias(def, input.name) as AliasDefinition;
  }

  /** Changes an alias (UpdateAlias); `$DEFAULT` is stored the first time it is changed. AliasNotFound. */
  async updateAliasAsync(ref: FunctionRef, input: AliasInput): Promise<AliasDefinition> {
    validateAliasName(input.name);
    const def = await this.#versioningChange(ref, (prev) => {
      const current = findAlias(prev, input.name);
      if (!current) throw aliasNotFound(prev, input.name);
      const next = planAlias(prev, input, this.#now(), current);
      const others = prev.aliases.filter((a) => a.name !== input.name);
      const at = prev.aliases.findIndex((a) => a.name === input.name);
      const aliases =
        at < 0 ? [...others, next] : prev.aliases.map((a) => (a.name === input.name ? next : a));
      return { aliases };
    });
    return findAlias(def, input.name) as AliasDefinition;
  }

  /** Deletes an alias (DeleteAlias): AliasNotFound; `$DEFAULT` cannot be deleted. */
  async deleteAliasAsync(ref: FunctionRef, name: string): Promise<void> {
    await this.#versioningChange(ref, (prev) => {
      if (name === DEFAULT_ALIAS) {
        throw new ScfError('UnsupportedOperation', `the ${DEFAULT_ALIAS} alias cannot be deleted`);
      }
      if (!prev.aliases.some((a) => a.name === name)) throw aliasNotFound(prev, name);
      return { aliases: prev.aliases.filter((a) => a.name !== name) };
    });
  }

  #deleteWrite(functionName: string, namespace?: string): CatalogWrite {
    const def = this.get(functionName, namespace);
    return { op: 'deleteFunction', namespace: def.namespace, functionName: def.functionName };
  }

  delete(functionName: string, namespace?: string): void {
    this.#storeSync(this.#deleteWrite(functionName, namespace), undefined);
  }

  /** `delete`, for any catalog (the API's path). */
  deleteAsync(functionName: string, namespace?: string): Promise<void> {
    return this.#serial(key(namespace ?? DEFAULT_NAMESPACE, functionName), async () => {
      await this.sync();
      await this.#store(this.#deleteWrite(functionName, namespace), undefined);
    });
  }

  list(input: ListFunctionsInput = {}): ListFunctionsOutput {
    const namespace = this.#requireNamespace(input.namespace);
    const search = input.searchKey?.toLowerCase();
    const description = input.description?.toLowerCase();
    const all = [...this.#functions.values()].filter(
      (f) =>
        f.namespace === namespace &&
        (!search || f.functionName.toLowerCase().includes(search)) &&
        (!description || f.description.toLowerCase().includes(description)) &&
        (!input.match || input.match(f)),
    );
    const orderBy = input.orderBy ?? 'AddTime';
    const dir = (input.order ?? 'DESC') === 'ASC' ? 1 : -1;
    const field = (f: FunctionDefinition): string | number =>
      orderBy === 'FunctionName' ? f.functionName : orderBy === 'ModTime' ? f.modTime : f.addTime;
    all.sort((a, b) => {
      const x = field(a);
      const y = field(b);
      if (x !== y) return (x < y ? -1 : 1) * dir;
      return (a.functionName < b.functionName ? -1 : a.functionName > b.functionName ? 1 : 0) * dir;
    });
    const offset = input.offset ?? 0;
    const limit = input.limit ?? 20;
    return { total: all.length, functions: all.slice(offset, offset + limit) };
  }

  #namespaceWrite(name: string, description: string): Extract<CatalogWrite, { op: 'createNamespace' }> {
    const ns = validateNamespace(name);
    if (this.#namespaces.has(ns)) throw namespaceExists(ns);
    const def: NamespaceDefinition = {
      name: ns,
      description: validateDescription(description),
      addTime: this.#now(),
      modTime: this.#now(),
    };
    return { op: 'createNamespace', namespace: def };
  }

  createNamespace(name: string, description = ''): NamespaceDefinition {
    const write = this.#namespaceWrite(name, description);
    this.#storeSync(write, undefined);
    return write.namespace;
  }

  /** `createNamespace`, for any catalog (the API's path). */
  createNamespaceAsync(name: string, description = ''): Promise<NamespaceDefinition> {
    return this.#serial(`namespace:${name}`, async () => {
      await this.sync();
      const write = this.#namespaceWrite(name, description);
      await this.#store(write, undefined);
      return write.namespace;
    });
  }

  listNamespaces(): NamespaceDefinition[] {
    return [...this.#namespaces.values()].sort((a, b) => a.addTime - b.addTime || (a.name < b.name ? -1 : 1));
  }

  getNamespace(name: string): NamespaceDefinition | undefined {
    return this.#namespaces.get(name);
  }

  #deleteNamespaceWrite(name: string): CatalogWrite {
    const ns = validateNamespace(name);
    if (!this.#namespaces.has(ns)) throw namespaceNotFound(ns);
    if (ns === DEFAULT_NAMESPACE)
      throw new ScfError('UnsupportedOperation', 'the default namespace cannot be deleted', {
        rule: RULE.deleteDefaultNamespace,
      });
    if ([...this.#functions.values()].some((f) => f.namespace === ns)) throw namespaceNotEmpty(ns);
    return { op: 'deleteNamespace', name: ns };
  }

  deleteNamespace(name: string): void {
    this.#storeSync(this.#deleteNamespaceWrite(name), undefined);
  }

  /** `deleteNamespace`, for any catalog (the API's path). */
  deleteNamespaceAsync(name: string): Promise<void> {
    return this.#serial(`namespace:${name}`, async () => {
      await this.sync();
      await this.#store(this.#deleteNamespaceWrite(name), undefined);
    });
  }

  /**
   * Stops watching the catalog and closes it, once the changes under way reached this node's state.
   * Idempotent. Lookups keep answering from the last state.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#applying;
      await this.#catalog.close();
    })();
    return this.#closing;
  }
}
