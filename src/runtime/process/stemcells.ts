/**
 * Stem cells: bootstrap processes started ahead of demand and bound to no function yet (Apache OpenWhisk's
 * "stem cell" prewarmed containers), one reserve per language. The interpreter's own start-up (Node ~100 ms,
 * Python ~20 ms, more on a busy machine, plus the sandbox's) is most of a cold start; a stem cell has paid
 * it already, so a cold start that takes one costs only `init` (cwd + environment, well under a
 * millisecond) and the module load.
 *
 * Limits, and why:
 * - A process's memory settings are fixed at spawn (Node's V8 heap cap, `--max-old-space-size`), so the
 *   cells serve only functions of the one memory size they were started for (`runtime.stemCellMemorySize`,
 *   SCF's default 128 MB).
 * - A variable the interpreter or the C library reads when the process starts (NODE_OPTIONS, PYTHONPATH,
 *   OPENSSL_CONF, LANG, LC_*, ...: the language's `startupVariable`) cannot take effect in a process that
 *   has already started; a function that sets one is started fresh instead, so it sees no difference.
 * - A language's reserve is filled with the runtime (Node's) or only after its first cold start
 *   (Python's), so a platform that never runs Python never starts Python processes.
 *
 * Contract: `take()` hands out a cell (ready, or still starting: either is ahead of a fresh spawn) or
 * nothing; the caller binds it (`Instance.bind`) and owns it from then on, and calls `replenish()` once
 * its invocation is dispatched, so the replacement's spawn (~2-3 ms of the server's time to fork) is never on
 * the invocation's path. A cell that dies while it waits is replaced, up to MAX_FAILURES in a row; after
 * that the reserve stays short until the next `take()`, so a machine that cannot start processes is not
 * hammered. `close()` stops refilling; the runtime stops the processes (they are in its set of all
 * processes from the moment they exist). Cells never hold the server's event loop open.
 */
import type { FunctionRunSpec } from '../types.js';
import type { Instance, InstanceHooks } from './instance.js';

/** Cells lost in a row (failed to start, died waiting) before the reserve stops refilling on its own. */
const MAX_FAILURES = 3;

export interface StemCellOptions {
  /** Cells to keep (`runtime.stemCells`); 0 disables. */
  count: number;
  /** MB (`runtime.stemCellMemorySize`). */
  memorySize: number;
  /** Variables a process reads at start-up (the language's): a function that sets one is started fresh. */
  startupVariable: RegExp;
  /** Fill the reserve at once (true), or only once a cold start has asked for a cell (`replenish`). */
  eager: boolean;
  /** Starts one cell (`Instance.startStem` with the runtime's options). */
  start: (memorySize: number, hooks: InstanceHooks) => Promise<Instance>;
  /** The cell's process has exited and its stdio closed (the runtime forgets it). */
  onDead: (instance: Instance) => void;
}

interface Cell {
  /** Resolves when the process is ready; rejects when it could not start. */
  started: Promise<Instance>;
  ready: boolean;
}

export class StemCells {
  readonly #opts: StemCellOptions;
  /** Cells starting or waiting, oldest first. */
  #cells: Cell[] = [];
  #failures = 0;
  #refill: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(opts: StemCellOptions) {
    this.#opts = opts;
    if (opts.eager) this.#fill();
  }

  /** True when a cold start of `fn` may use a stem cell (memory size match, no start-up variables). */
  serves(fn: FunctionRunSpec): boolean {
    return (
      this.#opts.count > 0 &&
      fn.memorySize === this.#opts.memorySize &&
      !Object.keys(fn.environment).some((k) => this.#opts.startupVariable.test(k))
    );
  }

  /** A cell for a cold start (a ready one first, else the one that started earliest), or undefined. */
  take(): Promise<Instance> | undefined {
    if (this.#closed) return undefined;
    const at = Math.max(
      0,
      this.#cells.findIndex((c) => c.ready),
    );
    const [cell] = this.#cells.splice(at, 1);
    return cell?.started;
  }

  /** Starts replacements in the background (next turn of the event loop) for the cells taken. */
  replenish(): void {
    // A demand for cells: worth trying again even after failures.
    this.#failures = 0;
    this.#schedule();
  }

  /** Stops refilling. The processes themselves are stopped by the runtime. Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#refill) clearImmediate(this.#refill);
    this.#refill = undefined;
    this.#cells = [];
  }

  #schedule(): void {
    if (this.#closed || this.#refill) return;
    this.#refill = setImmediate(() => {
      this.#refill = undefined;
      this.#fill();
    });
    this.#refill.unref();
  }

  #fill(): void {
    while (!this.#closed && this.#cells.length < this.#opts.count) {
      const cell: Cell = { started: undefined as unknown as Promise<Instance>, ready: false };
      cell.started = this.#opts.start(this.#opts.memorySize, {
        onGone: () => this.#lost(cell),
        onDead: (inst) => this.#opts.onDead(inst),
      });
      this.#cells.push(cell);
      cell.started.then(
        () => {
          cell.ready = true;
        },
        // Could not start: the taker (if any) sees the rejection; the reserve replaces it.
        () => this.#lost(cell),
      );
    }
  }

  /** A waiting cell died or failed to start (a taken cell is its taker's business). Idempotent per cell. */
  #lost(cell: Cell): void {
    const at = this.#cells.indexOf(cell);
    if (at < 0) return;
    this.#cells.splice(at, 1);
    this.#failures++;
    if (this.#failures < MAX_FAILURES) this.#schedule();
  }
}
