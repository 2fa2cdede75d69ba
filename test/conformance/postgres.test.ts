/**
 * The LogStore conformance suite on the PostgreSQL backend, against the real server, one schema per test.
 */
import { PostgresLogStore } from '../../src/store/postgres/index.js';
import { freshSchema, PG_URL } from '../helpers/pg.js';
import { logStoreConformance } from './logstore.js';

logStoreConformance('postgres', {
  async fresh(t) {
    const schema = freshSchema(t);
    return () => new PostgresLogStore({ connectionString: PG_URL, schema, nodeId: 'node-a', poolSize: 4 });
  },
});
