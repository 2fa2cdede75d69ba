/** The async queue contract on its SQLite file (a file per test; a restart opens the same file). */
import { join } from 'node:path';
import { SqliteAsyncQueue } from '../../src/async/sqlite.js';
import { tempDir } from '../helpers/tmp.js';
import { asyncQueueConformance } from './async-queue.js';

asyncQueueConformance('sqlite', {
  shared: false,
  async fresh(t) {
    const file = join(tempDir(t), 'async.db');
    const opened: SqliteAsyncQueue[] = [];
    t.after(async () => {
      for (const q of opened) await q.close();
    });
    return () => {
      const q = new SqliteAsyncQueue(file);
      opened.push(q);
      return q;
    };
  },
});
