/** PostgreSQL plumbing shared by every part that keeps state there: pool, coded errors, migrations, LISTEN. */
export { isUnavailable, pgError } from './errors.js';
export { PgListener, type PgListenerOptions } from './listener.js';
export { migratePg, type PgMigration } from './migrations.js';
export {
  type Checkout,
  createPgPool,
  inTransaction,
  type PgPoolOptions,
  quoteIdent,
  transaction,
  withClient,
} from './pool.js';
