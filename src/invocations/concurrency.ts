/**
 * Applies the functions' concurrency settings (`FunctionDefinition.concurrency`) to this node's runtime:
 * each reservation to the budget, and each version's provisioned instances, started from the definition
 * that version runs. It reconciles one function at every change of it (the registry's `onChange`, on this
 * node and, with a shared catalog, on every other node once it learns of the change), and all of them at
 * start.
 *
 * Provisioned instances are for published versions (the operations' rule), which never change: a change
 * of the function retires `$LATEST`'s instances only, and here the same spec is given again (nothing
 * happens). The machinery does not depend on it: for a version whose definition changed (a new revision)
 * the old instances are let go and new ones started at once, and a provisioned instance of the revision
 * still wanted survives `retire` (the pool keeps it). A version deleted is let go. The code of what is
 * provisioned is held (`FunctionRegistry.holdCode`) for as long as it is, so an idle provisioned instance
 * never finds its code folder gone.
 *
 * Limits apply per node: each node of a shared catalog enforces the reservations on its own instances and
 * starts the provisioned instances itself.
 */
import type { CodeHold, FunctionRegistry } from '../functions/registry.js';
import { type FunctionDefinition, LATEST } from '../functions/types.js';
import { findVersion, versionView } from '../functions/versions.js';
import type { FunctionRunSpec, ProvisionState, Runtime } from '../runtime/types.js';
import { runSpec } from './invoker.js';

export type ConcurrencySource = Pick<
  FunctionRegistry,
  'listNamespaces' | 'list' | 'has' | 'get' | 'holdCode'
>;
export type ConcurrencyTarget = Pick<Runtime, 'reserve' | 'provision' | 'provisioned'>;

/** One version's provisioned instances as last given to the runtime, and the code held for them. */
interface Provisioned {
  spec: FunctionRunSpec;
  hold: CodeHold;
}

export class ConcurrencyReconciler {
  readonly #functions: ConcurrencySource;
  readonly #runtime: ConcurrencyTarget;
  /** Per function key, per version: the code held for its provisioned instances. */
  readonly #held = new Map<string, Map<string, Provisioned>>();
  #started = false;
  #closed = false;

  constructor(parts: { functions: ConcurrencySource; runtime: ConcurrencyTarget }) {
    this.#functions = parts.functions;
    this.#runtime = parts.runtime;
  }

  /** Applies every function's settings. Idempotent. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    for (const ns of this.#functions.listNamespaces()) {
      const { functions } = this.#functions.list({ namespace: ns.name, limit: Number.MAX_SAFE_INTEGER });
      for (const def of functions) this.#apply(def.namespace, def.functionName, def);
    }
  }

  /** The function changed, was created or deleted: applies what it says now. Never throws. */
  changed(namespace: string, functionName: string): void {
    if (!this.#started || this.#closed) return;
    const def = this.#functions.has(functionName, namespace)
      ? this.#functions.get(functionName, namespace)
      : undefined;
    this.#apply(namespace, functionName, def);
  }

  /** This node's provisioned instances of each version of the function that has some configured. */
  provisioned(namespace: string, functionName: string): Map<string, ProvisionState> {
    return this.#runtime.provisioned(namespace, functionName);
  }

  /** Lets go of the code held (the runtime is closed first, which stops the instances). Idempotent. */
  close(): void {
    this.#closed = true;
    for (const versions of this.#held.values()) for (const v of versions.values()) v.hold.release();
    this.#held.clear();
  }

  #apply(namespace: string, functionName: string, def: FunctionDefinition | undefined): void {
    const key = `${namespace}/${functionName}`;
    this.#runtime.reserve(namespace, functionName, def?.concurrency.reservedMem);
    const wanted = def?.concurrency.provisioned ?? {};
    const held = this.#held.get(key) ?? new Map<string, Provisioned>();
    // Versions no longer provisioned (or the function is gone): stop keeping them, let the code go.
    for (const [version, h] of held) {
      if (def && (wanted[version] ?? 0) > 0 && this.#definitionOf(def, version)) continue;
      this.#runtime.provision(h.spec, 0);
      h.hold.release();
      held.delete(version);
    }
    if (def) {
      for (const [version, count] of Object.entries(wanted)) {
        if (count <= 0) continue;
        const runs = this.#definitionOf(def, version);
        if (!runs) continue;
        const prev = held.get(version);
        const same = prev?.spec.revision === runs.revision;
        const hold = prev && same ? prev.hold : this.#functions.holdCode(runs);
        const spec = prev && same ? prev.spec : runSpec(runs, hold.codeDir, version);
        this.#runtime.provision(spec, count);
        if (prev && !same) prev.hold.release();
        held.set(version, { spec, hold });
      }
    }
    if (held.size > 0) this.#held.set(key, held);
    else this.#held.delete(key);
  }

  /** The definition `version` of `def` runs; undefined when it has none (a version since deleted). */
  #definitionOf(def: FunctionDefinition, version: string): FunctionDefinition | undefined {
    if (version === LATEST) return def;
    const v = findVersion(def, version);
    return v && versionView(def, v);
  }
}
