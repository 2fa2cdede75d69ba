/**
 * The store's import surface: the LogStore seam, its backends, the RecordWriter that batches writes, the
 * Retention service that prunes old records, and `createLogStore`, the one place where config picks a
 * backend.
 */
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { ScfError } from '../errors/index.js';
import { PostgresLogStore } from './postgres/index.js';
import { SqliteLogStore } from './sqlite/index.js';
import type { LogStore } from './types.js';

export { type KeywordTerm, matchKeyword, parseKeyword, tokenize } from './keyword.js';
export { PostgresLogStore, type PostgresLogStoreOptions } from './postgres/index.js';
export { logPruned, Retention, type RetentionOptions, retentionCutoff } from './retention.js';
export { searchText } from './search-text.js';
export { SqliteLogStore, type SqliteLogStoreOptions } from './sqlite/index.js';
export * from './types.js';
export { RecordWriter, type RecordWriterOptions } from './writer.js';

export interface CreateLogStoreOptions {
  /** Overrides `config.dataDir` (where the default SQLite file goes). */
  dataDir?: string;
  /**
   * Where the backend reports the faults of work nobody awaits, which it retries by itself (SQLite: its
   * full-text indexer failing). Default: the backend's own (`error` lines on stderr).
   */
  onBackgroundError?: (err: ScfError) => void;
  /** PostgreSQL: the node id recorded with the records written (default `local`). */
  nodeId?: string;
}

/**
 * The configured backend, not yet opened: the caller calls `open()` (migrations) and later `close()`.
 * SQLite's default file is `<dataDir>/scf-local.db`; its folder is created on open.
 */
export function createLogStore(config: Config, options: CreateLogStoreOptions = {}): LogStore {
  const backend = config.store.backend;
  switch (backend) {
    case 'sqlite':
      return new SqliteLogStore({
        path: config.store.sqlite.path ?? join(options.dataDir ?? config.dataDir, 'scf-local.db'),
        synchronous: config.store.sqlite.synchronous,
        readers: config.store.sqlite.readers,
        onIndexerError: options.onBackgroundError,
      });
    case 'postgres':
      // A store with its own pool; a server shares one pool among its PostgreSQL parts instead
      // (`cluster/backend.ts`).
      return new PostgresLogStore({
        connectionString: config.store.postgres.connectionString,
        schema: config.store.postgres.schema,
        poolSize: config.store.postgres.poolSize,
        nodeId: options.nodeId ?? 'local',
      });
    default: {
      const unknown: never = backend;
      throw new ScfError('InternalError', `unknown store backend ${String(unknown)}`);
    }
  }
}
