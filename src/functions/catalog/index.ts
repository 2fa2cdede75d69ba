/**
 * The catalog's import surface: the seam (`types.ts`), its two backends, and `createCatalog`, the one place
 * where config picks one.
 */
import { join } from 'node:path';
import type pg from 'pg';
import type { Config } from '../../config/index.js';
import { ScfError } from '../../errors/index.js';
import { FileCatalog } from './files.js';
import { PgCatalog } from './postgres.js';
import type { FunctionCatalog } from './types.js';

export { FileCatalog } from './files.js';
export { CATALOG_MIGRATIONS, PgCatalog, type PgCatalogOptions } from './postgres.js';
export * from './types.js';

export interface CreateCatalogOptions {
  /** The data folder: the file catalog's home, and the shared catalog's code cache. */
  dataDir: string;
  /** The server's one PostgreSQL pool (store.backend postgres); its owner closes it after the catalog. */
  pool?: pg.Pool;
  /** Where a shared catalog reports its listening connection lost (retried by itself). */
  onError?: (err: ScfError) => void;
}

/**
 * The configured catalog: files in `<dataDir>/functions` for store.backend `sqlite`; PostgreSQL (the
 * tables next to the log store's, in store.postgres.schema) for `postgres`, with this node's extracted
 * code cached in `<dataDir>/catalog-cache`. The registry opens it (`FunctionRegistry.open`) and closes it.
 */
export function createCatalog(config: Config, options: CreateCatalogOptions): FunctionCatalog {
  const backend = config.store.backend;
  switch (backend) {
    case 'sqlite':
      return new FileCatalog(join(options.dataDir, 'functions'));
    case 'postgres':
      if (!options.pool) throw new ScfError('InternalError', 'the postgres catalog needs the server pool');
      return new PgCatalog(options.pool, {
        cacheDir: join(options.dataDir, 'catalog-cache'),
        schema: config.store.postgres.schema,
        ...(options.onError ? { onError: options.onError } : {}),
      });
    default: {
      const unknown: never = backend;
      throw new ScfError('InternalError', `unknown store backend ${String(unknown)}`);
    }
  }
}
