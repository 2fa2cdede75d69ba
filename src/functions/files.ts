/**
 * The file catalog's files under `<dataDir>/functions/`: `<namespace>/namespace.json`, and per function
 * `<namespace>/<function>/function.json` and `code.zip` (the package as deployed), and the packages of its
 * published versions whose code differs from it, `code-<sha256>.zip`. JSON and zips are
 * written atomically (write to a unique temporary name + rename). No rules here: the registry validates
 * before anything is written. The extracted code (`code-r<revision>/`) lives in the same folders but is the
 * code cache's (`code-cache.ts`).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from './code.js';
import { withSettingDefaults } from './settings.js';
import type { FunctionDefinition, NamespaceDefinition } from './types.js';

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${randomUUID()}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

export class FunctionFiles {
  readonly #root: string;

  /** Creates `root` if missing. */
  constructor(root: string) {
    this.#root = root;
    mkdirSync(root, { recursive: true });
  }

  get root(): string {
    return this.#root;
  }

  /**
   * Every namespace (by the name of its folder) and function on disk, in the order of the folders; a
   * folder without its JSON file is not one.
   */
  load(): { namespaces: NamespaceDefinition[]; functions: FunctionDefinition[] } {
    const namespaces: NamespaceDefinition[] = [];
    const functions: FunctionDefinition[] = [];
    for (const ns of readdirSync(this.#root, { withFileTypes: true })) {
      if (!ns.isDirectory()) continue;
      const nsDir = join(this.#root, ns.name);
      const nsFile = join(nsDir, 'namespace.json');
      if (!existsSync(nsFile)) continue;
      const def = JSON.parse(readFileSync(nsFile, 'utf8')) as NamespaceDefinition;
      namespaces.push({ ...def, name: ns.name });
      for (const fn of readdirSync(nsDir, { withFileTypes: true })) {
        const defFile = join(nsDir, fn.name, 'function.json');
        if (!fn.isDirectory() || !existsSync(defFile)) continue;
        const stored = JSON.parse(readFileSync(defFile, 'utf8')) as FunctionDefinition;
        // Written before the settings existed: they take their defaults.
        functions.push({ ...stored, ...withSettingDefaults(stored) });
      }
    }
    return { namespaces, functions };
  }

  saveNamespace(def: NamespaceDefinition): void {
    const dir = join(this.#root, def.name);
    mkdirSync(dir, { recursive: true });
    writeAtomic(join(dir, 'namespace.json'), JSON.stringify(def, null, 2));
  }

  /** Removes a namespace's folder with everything left in it. */
  removeNamespace(name: string): void {
    rmSync(join(this.#root, name), { recursive: true, force: true });
  }

  /**
   * Stores a function's definition, and first its package when given: the definition is what makes the
   * function exist, so a crash in between leaves the previous definition (with its own code in place).
   */
  saveFunction(def: FunctionDefinition, zip?: Uint8Array): void {
    const dir = this.#fnDir(def.namespace, def.functionName);
    mkdirSync(dir, { recursive: true });
    // A published version's package is kept apart before `code.zip` can be replaced: the version runs it
    // for as long as it exists.
    const versionShas = new Set(def.versions.map((v) => v.function.codeSha256));
    const missing = [...versionShas].filter((sha) => !existsSync(join(dir, `code-${sha}.zip`)));
    if (missing.length > 0) {
      const current = this.readCode(def.namespace, def.functionName);
      const sha = current ? sha256Hex(current) : undefined;
      if (current && sha && missing.includes(sha)) writeAtomic(join(dir, `code-${sha}.zip`), current);
    }
    if (zip) writeAtomic(join(dir, 'code.zip'), zip);
    writeAtomic(join(dir, 'function.json'), JSON.stringify(def, null, 2));
    // Packages of versions deleted since go.
    for (const entry of readdirSync(dir)) {
      const m = /^code-([0-9a-f]{64})\.zip$/.exec(entry);
      if (m?.[1] && !versionShas.has(m[1])) rmSync(join(dir, entry), { force: true });
    }
  }

  /** Removes a function's folder: its definition, package and every extracted revision. */
  removeFunction(namespace: string, functionName: string): void {
    rmSync(this.#fnDir(namespace, functionName), { recursive: true, force: true });
  }

  /**
   * The zip package as deployed, or (with `sha256`) a published version's package kept apart; undefined
   * when there is none.
   */
  readCode(namespace: string, functionName: string, sha256?: string): Buffer | undefined {
    const name = sha256 === undefined ? 'code.zip' : `code-${sha256}.zip`;
    const path = join(this.#fnDir(namespace, functionName), name);
    try {
      return readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  #fnDir(ns: string, name: string): string {
    return join(this.#root, ns, name);
  }
}
