/** The function catalog conformance suite on the file catalog, in temp data folders. */
import { join } from 'node:path';
import { FileCatalog } from '../../src/functions/catalog/index.js';
import { FunctionRegistry } from '../../src/functions/registry.js';
import { tempDir } from '../helpers/tmp.js';
import { catalogConformance } from './catalog.js';

catalogConformance('files', {
  async fresh(t) {
    const dataDir = tempDir(t);
    return async (options) => {
      const registry = await FunctionRegistry.open(new FileCatalog(join(dataDir, 'functions')), options);
      t.after(() => registry.close());
      return registry;
    };
  },
});
