/**
 * The function registry: namespaces and function definitions with their code, kept on disk under
 * `<dataDir>/functions/<namespace>/<function>/` (`function.json`, `code.zip`, `code-r<revision>/`; the
 * files themselves are `files.ts`'s) so they survive restarts, and in memory for lookups on the invocation
 * path.
 *
 * Contract: every method validates SCF's rules and throws a coded ScfError (InvalidParameterValue.<Field>,
 * FunctionNotFound, FunctionInUse, NamespaceNotFound, NamespaceInUse). Writes are atomic per file
 * (write + rename). `onChange(namespace, name)` is called after a function's code or configuration changed
 * or it was deleted, so running instances can be retired.
 *
 * Code is extracted with the `extract` caps. The `*Async` methods (what the API calls) extract in a worker
 * thread, so a big or hostile package never stalls the event loop; they are serialised per function among
 * themselves. The synchronous ones extract on the calling thread and are for trusted callers (embedding,
 * tests): do not mix both kinds on the same function at the same time.
 */
import { resolve } from 'node:path';
import { ScfError } from '../errors/index.js';
import { codeToZip, DEFAULT_EXTRACT_LIMITS, type ExtractLimits, sha256Hex } from './code.js';
import { FunctionFiles } from './files.js';
import {
  type CreateFunctionInput,
  DEFAULT_NAMESPACE,
  type FunctionDefinition,
  type FunctionRef,
  type ListFunctionsInput,
  type ListFunctionsOutput,
  type NamespaceDefinition,
  type UpdateFunctionCodeInput,
  type UpdateFunctionConfigurationInput,
} from './types.js';
import {
  DEFAULT_HANDLER,
  DEFAULT_MEMORY_MB,
  DEFAULT_RUNTIME,
  DEFAULT_TIMEOUT_S,
  validateDescription,
  validateEnvironment,
  validateFunctionName,
  validateHandler,
  validateMemorySize,
  validateNamespace,
  validateRuntime,
  validateTimeout,
} from './validate.js';

export interface FunctionRegistryOptions {
  /** Called after a function's code or configuration changed, or it was deleted. */
  onChange?: (namespace: string, functionName: string) => void;
  /** Caps on unpacked code (config `functions.maxUnpackedBytes`, `functions.maxFiles`). */
  extract?: ExtractLimits;
  /** Clock, for tests. */
  now?: () => number;
}

/** An invocation's hold on one revision's extracted code (see `FunctionRegistry.holdCode`). */
export interface CodeHold {
  codeDir: string;
  /** Idempotent. */
  release(): void;
}

const key = (ns: string, name: string): string => `${ns}/${name}`;

export class FunctionRegistry {
  readonly #files: FunctionFiles;
  readonly #functions = new Map<string, FunctionDefinition>();
  readonly #namespaces = new Map<string, NamespaceDefinition>();
  readonly #onChange: (namespace: string, functionName: string) => void;
  readonly #now: () => number;
  /** Functions being created by `createAsync` (name reserved while their code is extracted). */
  readonly #creating = new Set<string>();
  /** Per function, the tail of its chain of async changes. */
  readonly #chains = new Map<string, Promise<unknown>>();

  /** Loads every namespace and function found under `<dataDir>/functions`. */
  constructor(dataDir: string, options: FunctionRegistryOptions = {}) {
    this.#onChange = options.onChange ?? (() => {});
    this.#now = options.now ?? Date.now;
    this.#files = new FunctionFiles(resolve(dataDir, 'functions'), options.extract ?? DEFAULT_EXTRACT_LIMITS);
    const { namespaces, functions } = this.#files.load();
    for (const [name, def] of namespaces) this.#namespaces.set(name, def);
    for (const def of functions) this.#functions.set(key(def.namespace, def.functionName), def);
    if (!this.#namespaces.has(DEFAULT_NAMESPACE)) {
      this.#saveNamespace({
        name: DEFAULT_NAMESPACE,
        description: 'default namespace',
        addTime: this.#now(),
        modTime: this.#now(),
      });
    }
  }

  #saveNamespace(def: NamespaceDefinition): void {
    this.#files.saveNamespace(def);
    this.#namespaces.set(def.name, def);
  }

  /** Absolute path of the extracted code the runtime runs for this definition. */
  codeDir(def: FunctionDefinition): string {
    return this.#files.codeDir(def);
  }

  /**
   * `def`'s code, kept in place until `release()` even if the function is updated meanwhile: what an
   * invocation takes, in the same tick as it reads the definition (`get`), for as long as it runs, so it
   * runs one revision's code whole, never a removed or half-removed folder. Release it once, when the
   * runtime is done with the invocation. (Deleting the function removes its code regardless.)
   */
  holdCode(def: FunctionDefinition): CodeHold {
    return { codeDir: this.#files.codeDir(def), release: this.#files.hold(def) };
  }

  #requireNamespace(ns: string | undefined): string {
    const name = validateNamespace(ns ?? DEFAULT_NAMESPACE);
    if (!this.#namespaces.has(name))
      throw new ScfError('NamespaceNotFound', `namespace ${name} does not exist`);
    return name;
  }

  /** Runs `task` after every earlier async change of the same function has settled. */
  #serial<T>(namespace: string, functionName: string, task: () => Promise<T>): Promise<T> {
    const k = key(namespace, functionName);
    const run = (this.#chains.get(k) ?? Promise.resolve()).then(task, task);
    // The chain's tail must not reject (the next task runs either way); callers get `run` itself.
    const tail = run.catch(() => {});
    this.#chains.set(k, tail);
    void tail.then(() => {
      if (this.#chains.get(k) === tail) this.#chains.delete(k);
    });
    return run;
  }

  #save(def: FunctionDefinition): void {
    this.#files.saveFunction(def);
    this.#functions.set(key(def.namespace, def.functionName), def);
  }

  /**
   * Saves a changed function whose code is stored, and says so (`onChange`). The definition is switched
   * and the superseded revisions no invocation holds are removed in one synchronous step (see `holdCode`).
   */
  #changed(def: FunctionDefinition): FunctionDefinition {
    this.#save(def);
    this.#files.retireOlderRevisions(def);
    this.#onChange(def.namespace, def.functionName);
    return def;
  }

  /**
   * An async change of a function: after every earlier one has settled, `next()` makes its new definition
   * and code, which is stored off the event loop.
   */
  #changeAsync(
    input: FunctionRef,
    next: () => { def: FunctionDefinition; zip: Uint8Array },
  ): Promise<FunctionDefinition> {
    return this.#serial(input.namespace ?? DEFAULT_NAMESPACE, input.functionName, async () => {
      const { def, zip } = next();
      await this.#files.storeCodeOffThread(def, zip);
      return this.#changed(def);
    });
  }

  /** The definition, or FunctionNotFound. */
  get(functionName: string, namespace?: string): FunctionDefinition {
    const ns = namespace ?? DEFAULT_NAMESPACE;
    const def = this.#functions.get(key(ns, functionName));
    if (!def) {
      throw new ScfError('FunctionNotFound', `function not found: [${functionName}] in namespace [${ns}]`);
    }
    return def;
  }

  /** True if the function exists. */
  has(functionName: string, namespace?: string): boolean {
    return this.#functions.has(key(namespace ?? DEFAULT_NAMESPACE, functionName));
  }

  /** The zip package as deployed. */
  readCode(def: FunctionDefinition): Buffer {
    return this.#files.readCode(def);
  }

  /** A new function's validated definition (code not yet stored); FunctionInUse if the name is taken. */
  #define(input: CreateFunctionInput): FunctionDefinition {
    const functionName = validateFunctionName(input.functionName);
    const namespace = this.#requireNamespace(input.namespace);
    const k = key(namespace, functionName);
    if (this.#functions.has(k) || this.#creating.has(k)) {
      throw new ScfError(
        'FunctionInUse',
        `function ${functionName} already exists in namespace ${namespace}`,
      );
    }
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
    };
  }

  /** Removes what a failed create left, unless the function exists (then the folder is its own). */
  #undoCreate(def: FunctionDefinition): void {
    if (!this.#functions.has(key(def.namespace, def.functionName))) {
      this.#files.removeFunction(def.namespace, def.functionName);
    }
  }

  create(input: CreateFunctionInput): FunctionDefinition {
    const def = this.#define(input);
    const zip = codeToZip(input.code);
    def.codeSize = zip.byteLength;
    def.codeSha256 = sha256Hex(zip);
    try {
      this.#files.storeCode(def, zip);
      this.#save(def);
    } catch (err) {
      this.#undoCreate(def);
      throw err;
    }
    return def;
  }

  /** `create`, with the code extracted off the event loop (the API's path). */
  async createAsync(input: CreateFunctionInput): Promise<FunctionDefinition> {
    const def = this.#define(input);
    const k = key(def.namespace, def.functionName);
    this.#creating.add(k);
    try {
      const zip = codeToZip(input.code);
      def.codeSize = zip.byteLength;
      def.codeSha256 = sha256Hex(zip);
      await this.#files.storeCodeOffThread(def, zip);
      this.#save(def);
      return def;
    } catch (err) {
      this.#undoCreate(def);
      throw err;
    } finally {
      this.#creating.delete(k);
    }
  }

  #codeUpdate(input: UpdateFunctionCodeInput): { def: FunctionDefinition; zip: Uint8Array } {
    const prev = this.get(input.functionName, input.namespace);
    const zip = codeToZip(input.code);
    const def: FunctionDefinition = {
      ...prev,
      handler: input.handler === undefined ? prev.handler : validateHandler(input.handler),
      codeSize: zip.byteLength,
      codeSha256: sha256Hex(zip),
      modTime: this.#now(),
      revision: prev.revision + 1,
    };
    return { def, zip };
  }

  updateCode(input: UpdateFunctionCodeInput): FunctionDefinition {
    const { def, zip } = this.#codeUpdate(input);
    this.#files.storeCode(def, zip);
    return this.#changed(def);
  }

  /** `updateCode`, with the code extracted off the event loop (the API's path). */
  updateCodeAsync(input: UpdateFunctionCodeInput): Promise<FunctionDefinition> {
    return this.#changeAsync(input, () => this.#codeUpdate(input));
  }

  #configurationUpdate(input: UpdateFunctionConfigurationInput): FunctionDefinition {
    const prev = this.get(input.functionName, input.namespace);
    return {
      ...prev,
      handler: input.handler === undefined ? prev.handler : validateHandler(input.handler),
      runtime: input.runtime === undefined ? prev.runtime : validateRuntime(input.runtime),
      memorySize: input.memorySize === undefined ? prev.memorySize : validateMemorySize(input.memorySize),
      timeout: input.timeout === undefined ? prev.timeout : validateTimeout(input.timeout),
      description:
        input.description === undefined ? prev.description : validateDescription(input.description),
      environment:
        input.environment === undefined ? prev.environment : validateEnvironment(input.environment),
      modTime: this.#now(),
      revision: prev.revision + 1,
    };
  }

  updateConfiguration(input: UpdateFunctionConfigurationInput): FunctionDefinition {
    const def = this.#configurationUpdate(input);
    // The code folder is per revision: carry the current code over to the new revision.
    this.#files.storeCode(def, this.#files.readCode(def));
    return this.#changed(def);
  }

  /** `updateConfiguration`, with the carried-over code extracted off the event loop (the API's path). */
  updateConfigurationAsync(input: UpdateFunctionConfigurationInput): Promise<FunctionDefinition> {
    return this.#changeAsync(input, () => {
      const def = this.#configurationUpdate(input);
      return { def, zip: this.#files.readCode(def) };
    });
  }

  delete(functionName: string, namespace?: string): void {
    const def = this.get(functionName, namespace);
    this.#functions.delete(key(def.namespace, def.functionName));
    this.#files.removeFunction(def.namespace, def.functionName);
    this.#onChange(def.namespace, def.functionName);
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

  createNamespace(name: string, description = ''): NamespaceDefinition {
    const ns = validateNamespace(name);
    if (this.#namespaces.has(ns)) throw new ScfError('NamespaceInUse', `namespace ${ns} already exists`);
    const def: NamespaceDefinition = {
      name: ns,
      description: validateDescription(description),
      addTime: this.#now(),
      modTime: this.#now(),
    };
    this.#saveNamespace(def);
    return def;
  }

  listNamespaces(): NamespaceDefinition[] {
    return [...this.#namespaces.values()].sort((a, b) => a.addTime - b.addTime || (a.name < b.name ? -1 : 1));
  }

  getNamespace(name: string): NamespaceDefinition | undefined {
    return this.#namespaces.get(name);
  }

  deleteNamespace(name: string): void {
    const ns = validateNamespace(name);
    if (!this.#namespaces.has(ns)) throw new ScfError('NamespaceNotFound', `namespace ${ns} does not exist`);
    if (ns === DEFAULT_NAMESPACE)
      throw new ScfError('UnsupportedOperation', 'the default namespace cannot be deleted');
    if ([...this.#functions.values()].some((f) => f.namespace === ns)) {
      throw new ScfError('NamespaceInUse', `namespace ${ns} still holds functions; delete them first`);
    }
    this.#namespaces.delete(ns);
    this.#files.removeNamespace(ns);
  }
}
