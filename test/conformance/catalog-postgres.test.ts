/**
 * The function catalog conformance suite on PostgreSQL (the test server; a schema per test). A restart is
 * a new pool and registry on the same schema and data folder; the code cache in the data folder is then
 * found in place, as a restarted node finds it.
 */
import { join } from 'node:path';
import { PgCatalog } from '../../src/functions/catalog/index.js';
import { FunctionRegistry } from '../../src/functions/registry.js';
import { pgTestSchema } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { catalogConformance } from './catalog.js';

catalogConformance('postgres', {
  async fresh(t) {
    const db = pgTestSchema(t);
    const dataDir = tempDir(t);
    return async (options) => {
      const catalog = new PgCatalog(db.pool(), {
        cacheDir: join(dataDir, 'catalog-cache'),
        schema: db.schema,
      });
      const registry = await FunctionRegistry.open(catalog, options);
      db.closeFirst(() => registry.close());
      return registry;
    };
  },
});
