/** The async queue contract on PostgreSQL (a schema per test; each queue its own pool, as a node has). */
import { PgAsyncQueue } from '../../src/async/postgres.js';
import { pgTestSchema } from '../helpers/pg.js';
import { asyncQueueConformance } from './async-queue.js';

asyncQueueConformance('postgres', {
  shared: true,
  async fresh(t) {
    const db = pgTestSchema(t);
    return () => {
      const q = new PgAsyncQueue(db.pool(), { schema: db.schema });
      db.closeFirst(() => q.close());
      return q;
    };
  },
});
