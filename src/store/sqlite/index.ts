/** The SQLite backend of the LogStore seam. */
export { MIGRATIONS, type Migration, migrate } from './migrations.js';
export { SqliteLogStore, type SqliteLogStoreOptions } from './store.js';
