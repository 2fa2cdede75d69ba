/**
 * The file catalog (store.backend `sqlite`): namespaces, definitions and packages as files in
 * `<dataDir>/functions` (`../files.ts`), this node's alone. Its extracted code lives in the same folders
 * (the registry's code cache has the same root). Synchronous; a write is durable when `commit` returns.
 */
import { ScfError } from '../../errors/index.js';
import { sha256Hex } from '../code.js';
import { FunctionFiles } from '../files.js';
import type { FunctionDefinition, NamespaceDefinition } from '../types.js';
import type { CatalogWrite, LocalCatalog } from './types.js';

export class FileCatalog implements LocalCatalog {
  readonly kind = 'local';
  readonly #files: FunctionFiles;

  /** The catalog in `root` (created if missing). */
  constructor(root: string) {
    this.#files = new FunctionFiles(root);
  }

  get codeRoot(): string {
    return this.#files.root;
  }

  load(): { namespaces: NamespaceDefinition[]; functions: FunctionDefinition[] } {
    return this.#files.load();
  }

  commit(write: CatalogWrite): void {
    switch (write.op) {
      case 'createNamespace':
        this.#files.saveNamespace(write.namespace);
        return;
      case 'deleteNamespace':
        this.#files.removeNamespace(write.name);
        return;
      case 'createFunction':
        try {
          this.#files.saveFunction(write.def, write.zip);
        } catch (err) {
          // A create that failed half-way leaves nothing behind (the name was free: the folder is its own).
          this.#files.removeFunction(write.def.namespace, write.def.functionName);
          throw err;
        }
        return;
      case 'updateFunction':
        this.#files.saveFunction(write.def, write.zip);
        return;
      case 'deleteFunction':
        this.#files.removeFunction(write.namespace, write.functionName);
        return;
      default: {
        const unknown: never = write;
        throw new ScfError('InternalError', `unknown catalog write ${JSON.stringify(unknown)}`);
      }
    }
  }

  fetchCodeSync(def: FunctionDefinition): Uint8Array | undefined {
    // The package is written before its definition: after a crash in between, the file holds code no
    // definition names. Only the package `def` describes will do. A published version's (`def` is its
    // view) is `code.zip` while `$LATEST` has the same code, else kept apart by its digest.
    for (const sha of [undefined, def.codeSha256]) {
      const zip = this.#files.readCode(def.namespace, def.functionName, sha);
      if (zip && zip.byteLength === def.codeSize && sha256Hex(zip) === def.codeSha256) return zip;
    }
    return undefined;
  }

  async fetchCode(def: FunctionDefinition): Promise<Uint8Array | undefined> {
    return this.fetchCodeSync(def);
  }

  async close(): Promise<void> {}
}
