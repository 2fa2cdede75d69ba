/**
 * This node's extracted code: `<root>/<namespace>/<function>/code-r<revision>/`, one folder per revision,
 * what the runtime runs. For the file catalog `root` is the catalog's own folder (`<dataDir>/functions`);
 * for a shared catalog it is a cache of its own (`<dataDir>/catalog-cache`), filled from the catalog.
 *
 * A package is extracted into a staging folder of its own (`<root>/.staging/<uuid>`, so a refused package
 * leaves nothing behind and stagings never meet) and renamed into place, so a revision's folder exists
 * only whole. It never changes once in place, and is removed only when it is neither the function's
 * current revision nor held by an invocation (`hold`): an invocation runs one revision's code from its
 * start to its end, whatever is deployed meanwhile (a cold start waiting in the queue, a lazy `require`).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExtractLimits, extractZip, extractZipOffThread } from './code.js';
import type { FunctionDefinition } from './types.js';

/** A package extracted into a staging folder, not yet any revision's. */
export interface StagedCode {
  readonly dir: string;
}

const STAGING = '.staging';
/** The shared catalog a cache was filled from (see `adopt`). */
const IDENTITY = '.catalog-id';

export class CodeCache {
  readonly #root: string;
  readonly #extract: ExtractLimits;
  /** Extracted revision folder -> invocations holding it. */
  readonly #holds = new Map<string, number>();
  /**
   * Function folder -> the revisions it runs (the current one and its published versions' ones), once
   * `retireOlderRevisions` has said them.
   */
  readonly #current = new Map<string, ReadonlySet<number>>();

  /** Creates `root` if missing; code is extracted within `extract`'s caps. */
  constructor(root: string, extract: ExtractLimits) {
    this.#root = root;
    this.#extract = extract;
    mkdirSync(root, { recursive: true });
    // Stagings a crash left are nobody's.
    rmSync(join(root, STAGING), { recursive: true, force: true });
    // Node decides whether a .js file is CommonJS or ESM from the nearest package.json. Without this one,
    // code extracted under a data folder inside an ESM project (scf-local's own repo, with `npm start`)
    // would inherit "type": "module" and SCF-style `exports.main_handler` would fail. A function's own
    // package.json still wins, being nearer.
    const boundary = join(root, 'package.json');
    if (!existsSync(boundary)) writeFileSync(boundary, '{ "type": "commonjs" }\n');
  }

  /**
   * Binds the cache to the shared catalog `id` (kept in the folder): a cache filled from another catalog
   * (the database was recreated, the node pointed elsewhere) is emptied first, as its revision numbers
   * mean other code there.
   */
  adopt(id: string): void {
    const path = join(this.#root, IDENTITY);
    const held = existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
    if (held === id) return;
    for (const entry of readdirSync(this.#root, { withFileTypes: true })) {
      if (entry.isDirectory()) rmSync(join(this.#root, entry.name), { recursive: true, force: true });
    }
    writeFileSync(path, `${id}\n`);
  }

  /** The functions (namespace, name) and namespaces with a folder here. */
  listed(): { namespaces: string[]; functions: [string, string][] } {
    const namespaces: string[] = [];
    const functions: [string, string][] = [];
    for (const ns of readdirSync(this.#root, { withFileTypes: true })) {
      if (!ns.isDirectory() || ns.name === STAGING) continue;
      namespaces.push(ns.name);
      for (const fn of readdirSync(join(this.#root, ns.name), { withFileTypes: true })) {
        if (fn.isDirectory()) functions.push([ns.name, fn.name]);
      }
    }
    return { namespaces, functions };
  }

  /** Absolute path of the extracted code of `def`'s revision. */
  codeDir(def: FunctionDefinition): string {
    return join(this.#fnDir(def.namespace, def.functionName), `code-r${def.revision}`);
  }

  /** True when `def`'s revision is extracted here. */
  has(def: FunctionDefinition): boolean {
    return existsSync(this.codeDir(def));
  }

  /** Extracts `zip` into a fresh staging folder on this thread (trusted callers; see the registry). */
  stage(zip: Uint8Array): StagedCode {
    const dir = this.#stagingDir();
    try {
      extractZip(zip, dir, this.#extract);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return { dir };
  }

  /** `stage` with the extraction in a worker thread. */
  async stageOffThread(zip: Uint8Array): Promise<StagedCode> {
    const dir = this.#stagingDir();
    try {
      await extractZipOffThread(zip, dir, this.#extract);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    return { dir };
  }

  /** Removes a staging folder that will not be installed. */
  discard(staged: StagedCode): void {
    rmSync(staged.dir, { recursive: true, force: true });
  }

  /**
   * Moves a staged package into place as `def`'s revision. Older revisions stay until the registry makes
   * this one current (`retireOlderRevisions`). A folder already there for the revision is replaced: it can
   * only be one a crash left before its definition was stored, which nothing runs.
   */
  install(def: FunctionDefinition, staged: StagedCode): void {
    const target = this.codeDir(def);
    mkdirSync(this.#fnDir(def.namespace, def.functionName), { recursive: true });
    rmSync(target, { recursive: true, force: true });
    renameSync(staged.dir, target);
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
      if (current !== undefined && !current.has(def.revision)) rmSync(code, { recursive: true, force: true });
    };
  }

  /**
   * `def`'s revision is now the function's current one: every other extracted revision that no invocation
   * holds and none of its published versions runs is removed (a held one goes at its last release). Called
   * in the same tick as the definition is switched, so no invocation can take a hold on a revision between
   * its being superseded and removed.
   */
  retireOlderRevisions(def: FunctionDefinition): void {
    const dir = this.#fnDir(def.namespace, def.functionName);
    const kept = new Set([def.revision, ...def.versions.map((v) => v.function.revision)]);
    this.#current.set(dir, kept);
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const m = /^code-r(\d+)$/.exec(entry);
      if (!m || kept.has(Number(m[1]))) continue;
      const code = join(dir, entry);
      if (!this.#holds.has(code)) rmSync(code, { recursive: true, force: true });
    }
  }

  /** Removes `def`'s revision, installed for a change that was then not stored (nothing holds it). */
  removeRevision(def: FunctionDefinition): void {
    rmSync(this.codeDir(def), { recursive: true, force: true });
  }

  /** Removes a function's folder with every extracted revision, held or not (the function is gone). */
  removeFunction(namespace: string, functionName: string): void {
    const dir = this.#fnDir(namespace, functionName);
    this.#current.delete(dir);
    rmSync(dir, { recursive: true, force: true });
  }

  /** Removes a namespace's folder. */
  removeNamespace(name: string): void {
    rmSync(join(this.#root, name), { recursive: true, force: true });
  }

  #fnDir(ns: string, name: string): string {
    return join(this.#root, ns, name);
  }

  #stagingDir(): string {
    const parent = join(this.#root, STAGING);
    mkdirSync(parent, { recursive: true });
    return join(parent, randomUUID());
  }
}
