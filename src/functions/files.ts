/**
 * The registry's files under `<dataDir>/functions/`: `<namespace>/namespace.json`, and per function
 * `<namespace>/<function>/function.json`, `code.zip` (the package as deployed) and `code-r<revision>/` (its
 * extracted code, one folder per revision). JSON is written atomically (write + rename); code is extracted
 * into a staging folder of its own and renamed into place, so a refused package leaves nothing behind.
 * No rules here: the registry validates before it writes.
 *
 * A revision's folder never changes once in place, and is removed only when it is neither the function's
 * current revision nor held by an invocation (`hold`): an invocation runs one revision's code from its
 * start to its end, whatever is deployed meanwhile (a cold start waiting in the queue, a lazy `require`).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExtractLimits, extractZip, extractZipOffThread } from './code.js';
import type { FunctionDefinition, NamespaceDefinition } from './types.js';

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, path);
}

export class FunctionFiles {
  readonly #root: string;
  readonly #extract: ExtractLimits;
  /** Extracted revision folder -> invocations holding it. */
  readonly #holds = new Map<string, number>();
  /** Function folder -> its current revision, once `retireOlderRevisions` has said it. */
  readonly #current = new Map<string, number>();

  /** Creates `root` if missing; code is extracted within `extract`'s caps. */
  constructor(root: string, extract: ExtractLimits) {
    this.#root = root;
    this.#extract = extract;
    mkdirSync(root, { recursive: true });
    // Node decides whether a .js file is CommonJS or ESM from the nearest package.json. Without this one,
    // code extracted under a data folder inside an ESM project (scf-local's own repo, with `npm start`)
    // would inherit "type": "module" and SCF-style `exports.main_handler` would fail. A function's own
    // package.json still wins, being nearer.
    const boundary = join(root, 'package.json');
    if (!existsSync(boundary)) writeFileSync(boundary, '{ "type": "commonjs" }\n');
  }

  /**
   * Every namespace (by the name of its folder) and function on disk, in the order of the folders; a
   * folder without its JSON file is not one.
   */
  load(): { namespaces: [string, NamespaceDefinition][]; functions: FunctionDefinition[] } {
    const namespaces: [string, NamespaceDefinition][] = [];
    const functions: FunctionDefinition[] = [];
    for (const ns of readdirSync(this.#root, { withFileTypes: true })) {
      if (!ns.isDirectory()) continue;
      const nsDir = join(this.#root, ns.name);
      const nsFile = join(nsDir, 'namespace.json');
      if (!existsSync(nsFile)) continue;
      namespaces.push([ns.name, JSON.parse(readFileSync(nsFile, 'utf8')) as NamespaceDefinition]);
      for (const fn of readdirSync(nsDir, { withFileTypes: true })) {
        const defFile = join(nsDir, fn.name, 'function.json');
        if (!fn.isDirectory() || !existsSync(defFile)) continue;
        functions.push(JSON.parse(readFileSync(defFile, 'utf8')) as FunctionDefinition);
      }
    }
    return { namespaces, functions };
  }

  saveNamespace(def: NamespaceDefinition): void {
    const dir = join(this.#root, def.name);
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(join(dir, 'namespace.json'), def);
  }

  /** Removes a namespace's folder with everything left in it. */
  removeNamespace(name: string): void {
    rmSync(join(this.#root, name), { recursive: true, force: true });
  }

  saveFunction(def: FunctionDefinition): void {
    writeJsonAtomic(join(this.#fnDir(def.namespace, def.functionName), 'function.json'), def);
  }

  /** Removes a function's folder: its definition, package and every extracted revision. */
  removeFunction(namespace: string, functionName: string): void {
    const dir = this.#fnDir(namespace, functionName);
    this.#current.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  }

  /**
   * Keeps `def`'s extracted revision in place until the returned release is called (idempotent), even when
   * a newer revision becomes current meanwhile; the last release of a revision that is no longer current
   * removes it.
   */
  hold(def: FunctionDefinition): () => void {
    const code = this.codeDir(def);
    this.#holds.set(code, (this.#holds.get(code) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#holds.get(code) ?? 1) - 1;
      if (left > 0) {
        this.#holds.set(code, left);
        return;
      }
      this.#holds.delete(code);
      const current = this.#current.get(this.#fnDir(def.namespace, def.functionName));
      if (current !== undefined && current !== def.revision) rmSync(code, { recursive: true, force: true });
    };
  }

  /**
   * `def`'s revision is now the function's current one: every other extracted revision that no invocation
   * holds is removed (a held one goes at its last release). Called in the same tick as the definition is
   * switched, so no invocation can take a hold on a revision between its being superseded and removed.
   */
  retireOlderRevisions(def: FunctionDefinition): void {
    const dir = this.#fnDir(def.namespace, def.functionName);
    this.#current.set(dir, def.revision);
    for (const entry of readdirSync(dir)) {
      const m = /^code-r(\d+)$/.exec(entry);
      if (!m || Number(m[1]) === def.revision) continue;
      const code = join(dir, entry);
      if (!this.#holds.has(code)) rmSync(code, { recursive: true, force: true });
    }
  }

  /** Absolute path of the extracted code of `def`'s revision. */
  codeDir(def: FunctionDefinition): string {
    return join(this.#fnDir(def.namespace, def.functionName), `code-r${def.revision}`);
  }

  /** The zip package as deployed. */
  readCode(def: FunctionDefinition): Buffer {
    return readFileSync(join(this.#fnDir(def.namespace, def.functionName), 'code.zip'));
  }

  /** Writes the zip and extracts it for `def.revision` on this thread; removes older extracted revisions. */
  storeCode(def: FunctionDefinition, zip: Uint8Array): void {
    const staging = this.#stagingDir(def);
    try {
      extractZip(zip, staging, this.#extract);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    this.#installCode(def, staging, zip);
  }

  /** `storeCode` with the extraction in a worker thread. */
  async storeCodeOffThread(def: FunctionDefinition, zip: Uint8Array): Promise<void> {
    const staging = this.#stagingDir(def);
    try {
      await extractZipOffThread(zip, staging, this.#extract);
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    this.#installCode(def, staging, zip);
  }

  #fnDir(ns: string, name: string): string {
    return join(this.#root, ns, name);
  }

  /** A fresh staging folder in the function's directory (unique, so concurrent stagings never meet). */
  #stagingDir(def: FunctionDefinition): string {
    const dir = this.#fnDir(def.namespace, def.functionName);
    mkdirSync(dir, { recursive: true });
    return join(dir, `.staging-${randomUUID()}`);
  }

  /** Moves an extracted staging folder into place as `revision` and keeps the zip beside it. */
  #installCode(def: FunctionDefinition, staging: string, zip: Uint8Array): void {
    const dir = this.#fnDir(def.namespace, def.functionName);
    const target = this.codeDir(def);
    rmSync(target, { recursive: true, force: true });
    renameSync(staging, target);
    const tmp = join(dir, 'code.zip.tmp');
    writeFileSync(tmp, zip);
    renameSync(tmp, join(dir, 'code.zip'));
    // Older revisions stay until the registry makes this one current (`retireOlderRevisions`).
  }
}
