/** The LogStore conformance suite on the SQLite backend, on real database files in temp folders. */
import { join } from 'node:path';
import { SqliteLogStore } from '../../src/store/index.js';
import { tempDir } from '../helpers/tmp.js';
import { logStoreConformance } from './logstore.js';

logStoreConformance('sqlite', {
  async fresh(t) {
    const path = join(tempDir(t), 'scf-local.db');
    return () => new SqliteLogStore({ path });
  },
});
