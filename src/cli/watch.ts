/**
 * Watching a function folder for `scf-local dev`: changes to what a deploy packages are gathered until the
 * folder has been quiet for the debounce time, then handed over as one batch, and batches never overlap.
 *
 * - One batch per burst: a save storm (a `git checkout`, a formatter over the tree) is one batch however
 *   many files it touches, as long as no gap between two of its changes reaches the debounce time.
 * - Never two at once: changes made while a batch runs are gathered and handed over when it ends (after
 *   the debounce time, if they are still coming).
 * - What packaging skips (version control, `.scf-local`; `outsidePackage` in `pack.ts`) is not watched,
 *   so a server keeping its data in the folder does not trigger anything.
 *
 * The watching itself is chokidar's. Node 20's `fs.watch(dir, { recursive: true })` on Linux watches each
 * file by its inode and misses every change to a file after it was saved by writing a temporary file and
 * renaming it over the original (what many editors, `sed -i` and formatters do): measured on Node
 * 20.20, the second such save and every later in-place write of that file raised no event at all. It also
 * cannot leave the skipped folders out. chokidar watches each folder and re-attaches on a rename.
 */
import { relative, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import { outsidePackage } from './pack.js';

export interface FolderWatcherOptions {
  /** Quiet time after the last change before a batch is handed over, in ms. */
  debounceMs: number;
  /**
   * A batch: the paths that changed (relative to the folder, `/`-separated, sorted; none for `runNow`).
   * The next batch is handed over only once the promise settles; a rejection goes to `onError`.
   */
  onBatch: (paths: string[]) => Promise<void>;
  /** A watching fault (e.g. the system's limit of watches reached), or a batch that rejected. */
  onError: (err: unknown) => void;
}

export class FolderWatcher {
  readonly #dir: string;
  readonly #options: FolderWatcherOptions;
  readonly #watcher: FSWatcher;
  readonly #changed = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  /** A batch is due once the running one ends. */
  #due = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(dir: string, options: FolderWatcherOptions, watcher: FSWatcher) {
    this.#dir = dir;
    this.#options = options;
    this.#watcher = watcher;
    watcher.on('all', (_event, path) => this.#change(path));
    watcher.on('error', (err) => options.onError(err));
  }

  /** Watches `dir` (absolute); resolves once every file already there is watched. */
  static async open(dir: string, options: FolderWatcherOptions): Promise<FolderWatcher> {
    const watcher = watch(dir, {
      ignoreInitial: true,
      // Symbolic links are followed, as packaging follows them.
      followSymlinks: true,
      ignored: (path: string) => outsidePackage(relative(dir, path)),
    });
    const self = new FolderWatcher(dir, options, watcher);
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    return self;
  }

  /** Hands over a batch now, without waiting for the debounce time (after the running one, if any). */
  runNow(): void {
    this.#fire();
  }

  #change(path: string): void {
    if (this.#closed) return;
    const rel = relative(this.#dir, path);
    if (outsidePackage(rel)) return;
    this.#changed.add(rel.split(sep).join('/'));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fire(), this.#options.debounceMs);
  }

  #fire(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    if (this.#running) {
      this.#due = true;
      return;
    }
    this.#due = false;
    const paths = [...this.#changed].sort();
    this.#changed.clear();
    this.#running = this.#options
      .onBatch(paths)
      .catch((err: unknown) => this.#options.onError(err))
      .finally(() => {
        this.#running = undefined;
        // Changes still coming (a debounce pending) hand themselves over when they settle.
        if (this.#due && this.#timer === undefined) this.#fire();
      });
  }

  /** Stops watching and handing over batches; resolves once the running batch, if any, has settled. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      clearTimeout(this.#timer);
      this.#timer = undefined;
      await this.#watcher.close();
      await this.#running;
    })();
    return this.#closing;
  }
}
