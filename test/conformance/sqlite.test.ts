/**
 * The LogStore conformance suite on the SQLite backend, on real database files in temp folders, in each
 * full-text indexing mode: the worker thread (queries race the indexer, so they see any mix of indexed and
 * queued records), the worker with every query made after the indexer caught up (FTS path only), and
 * inline indexing on the store's connection (the `:memory:` mode, here on a file so that reopen works).
 * The first reads through a reader thread from the first read on (its `open()` waits for the thread);
 * the second as a server does, inline until its thread is ready, then through it; the third inline on the
 * store's connection (`readers: 0`), as `:memory:` does. One thread each: every property run opens a
 * fresh store, and each thread is a V8 isolate to start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { SqliteLogStore, type SqliteLogStoreOptions } from '../../src/store/index.js';
import type { LogQuery, LogStore } from '../../src/store/types.js';
import { logStoreConformance } from './logstore.js';

// One folder for the file, removed when the whole file's tests are done: a test's own cleanup closes its
// stores, and the indexer thread must not find its folder gone before that.
const root = mkdtempSync(join(tmpdir(), 'scf-local-conf-'));
after(() => rmSync(root, { recursive: true, force: true }));
const freshPath = () => join(mkdtempSync(join(root, 't-')), 'scf-local.db');

/** A store that reads through its reader threads from the first read (not inline while they start). */
class ThreadedStore extends SqliteLogStore {
  override async open(): Promise<void> {
    await super.open();
    await this.whenReadersReady();
  }
}

/** A store whose queries first wait for the full-text indexer to catch up. */
class SettledStore implements LogStore {
  readonly #s: SqliteLogStore;
  constructor(options: SqliteLogStoreOptions) {
    this.#s = new SqliteLogStore(options);
  }
  open = () => this.#s.open();
  write: LogStore['write'] = (b) => this.#s.write(b);
  recoverInterrupted = () => this.#s.recoverInterrupted();
  get = (id: string) => this.#s.get(id);
  prune = (before: number) => this.#s.prune(before);
  rollups: LogStore['rollups'] = (q) => this.#s.rollups(q);
  close = () => this.#s.close();
  async query(q: LogQuery) {
    await this.#s.whenIndexed();
    return this.#s.query(q);
  }
}

logStoreConformance('sqlite, worker indexing', {
  async fresh() {
    const path = freshPath();
    return () => new ThreadedStore({ path, readers: 1 });
  },
});

logStoreConformance('sqlite, worker indexing, queried once indexed', {
  async fresh() {
    const path = freshPath();
    return () => new SettledStore({ path, readers: 1 });
  },
});

logStoreConformance('sqlite, inline indexing', {
  async fresh() {
    const path = freshPath();
    return () => new SqliteLogStore({ path, ftsIndexing: 'inline', readers: 0 });
  },
});
