/**
 * Stem cells: bootstrap processes started ahead of demand and bound to no function yet (Apache OpenWhisk's
 * "stem cell" prewarmed containers). Node's own start-up (~100 ms, more on a busy machine) is most of a cold
 * start; a stem cell has paid it already, so a cold start that takes one costs only `init` (cwd + environment,
 * well under a millisecond) and the module load.
 *
 * Limits, and why:
 * - The V8 heap cap (`--max-old-space-size`) is fixed at spawn, so the cells serve only functions of the
 *   one memory size they were started for (`runtime.stemCellMemorySize`, SCF's default 128 MB).
 * - A variable Node, libuv, OpenSSL or the C library reads when the process starts (NODE_OPTIONS, NODE_PATH,
 *   UV_THREADPOOL_SIZE, OPENSSL_CONF, LANG, LC_*, ...) cannot take effect in a process that has already
 *   started; a function that sets one is started fresh instead, so it sees no difference.
 *
 * Contract: `take()` hands out a cell (ready, or still starting: either is ahead of a fresh spawn) or
 * nothing; the caller binds it (`NodeInstance.bind`) and owns it from then on, and calls `replenish()` once
 * its invocation is dispatched, so the replacement's spawn (~2-3 ms of the server's time to fork) is never on
 * the invocation's path. A cell that dies while it waits is replaced, up to MAX_FAILURES in a row; after
 * that the reserve stays short until the next `take()`, so a machine that cannot start processes is not
 * hammered. `close()` stops refilling; the runtime stops the processes (they are in its set of all
 * processes from the moment they exist). Cells never hold the server's event loop open.
 */
import type { FunctionRunSpec } from '../types.js';
import type { InstanceHooks, NodeInstance } from './instance.js';

/**
 * Environment variables read at process start-up (by Node, V8, libuv, OpenSSL, ICU or the C library's
 * locale): setting them in `process.env` of a running process would not have the effect a fresh start has.
 */
const STARTUP_VARIABLE = /^(NODE_|UV_|OPENSSL_|SSL_CERT_|LC_)|^(LANG|LANGUAGE|ICU_DATA)$/;

/** Cells lost in a row (failed to start, died waiting) before the reserve stops refilling on its own. */
const MAX_FAILURES = 3;

export interface StemCellOptions {
  /** Cells to keep (`runtime.stemCells`); 0 disables. */
  count: number;
  /** MB (`runtime.stemCellMemorySize`). */
  memorySize: number;
  /** Starts one cell (`NodeInstance.startStem` with the runtime's options). */
  start: (memorySize: number, hooks: InstanceHooks) => Promise<NodeInstance>;
  /** The cell's process has exited and its stdio closed (the runtime forgets it). */
  onDead: (instance: NodeInstance) => void;
}

interface Cell {
  /** Resolves when the process is ready; rejects when it could not start. */
  started: Promise<NodeInstance>;
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
    this.#fill();
  }

  /** True when a cold start of `fn` may use a stem cell (memory size match, no start-up variables). */
  serves(fn: FunctionRunSpec): boolean {
    return (
      this.#opts.count > 0 &&
      fn.memorySize === this.#opts.memorySize &&
      !Object.keys(fn.environment).some((k) => STARTUP_VARIABLE.test(k))
    );
  }

  /** A cell for a cold start (a ready one first, else the one that started earliest), or undefined. */
  take(): Promise<NodeInstance> | undefined {
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
      const cell: Cell = { started: undefined as unknown as Promise<NodeInstance>, ready: false };
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
