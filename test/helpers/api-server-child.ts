/**
 * A platform alone in its own process, so a test or bench can measure the server's memory apart from its
 * clients: `node api-server-child.js <dataDir> [configJson]`. Credentials AKIDtest/secret. Prints
 * `LISTENING <port>` once it serves; stops cleanly on SIGTERM.
 */
import { createPlatform } from '../../src/platform.js';

const [dataDir, configJson] = process.argv.slice(2);
if (!dataDir) {
  console.error('usage: api-server-child <dataDir> [configJson]');
  process.exit(2);
}
const platform = await createPlatform({
  config: {
    // Request lines (info) would fill the test output; warnings and faults still show (a test may say otherwise).
    log: { level: 'warn' },
    ...(configJson ? (JSON.parse(configJson) as object) : {}),
    port: 0,
    dataDir,
    auth: { credentials: [{ secretId: 'AKIDtest', secretKey: 'secret' }] },
  },
  env: {},
});
const { port } = await platform.listen();
process.stdout.write(`LISTENING ${port}\n`);
process.once('SIGTERM', () => {
  void platform.close().then(() => process.exit(0));
});
