/**
 * SQLite store files for the store's unit tests: one folder per test file, removed after all of its tests
 * (an indexer or reader thread must not find its folder gone while its store is open), a fresh database
 * path per call, and a store opened now and closed when the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, type TestContext } from 'node:test';
import { SqliteLogStore, type SqliteLogStoreOptions } from '../../src/store/index.js';

export function sqliteStores(prefix: string): {
  dbPath: () => string;
  openStore: (t: Pick<TestContext, 'after'>, options: SqliteLogStoreOptions) => Promise<SqliteLogStore>;
} {
  const root = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(root, { recursive: true, force: true }));
  return {
    dbPath: () => join(mkdtempSync(join(root, 't-')), 'scf-local.db'),
    async openStore(t, options) {
      const store = new SqliteLogStore(options);
      t.after(() => store.close());
      await store.open();
      return store;
    },
  };
}
