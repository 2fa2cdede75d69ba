/**
 * A platform in its own process, for crash tests: `node platform-child.js <dataDir> <functionDir>`.
 * Creates function `sleeper` from <functionDir> (timeout 900 s), invokes it asynchronously and prints
 * `STARTED <requestId>` once its running record is durable. Then it stays up until killed.
 */
import { createPlatform } from '../../src/platform.js';

const [dataDir, functionDir] = process.argv.slice(2);
if (!dataDir || !functionDir) {
  console.error('usage: platform-child <dataDir> <functionDir>');
  process.exit(2);
}
const platform = await createPlatform({
  config: { port: 0, dataDir, auth: { credentials: [{ secretId: 'AKIDtest', secretKey: 'secret' }] } },
  env: {},
});
platform.functions.create({ functionName: 'sleeper', timeout: 900, code: { directory: functionDir } });
const { requestId } = await platform.invoker.invoke({
  functionName: 'sleeper',
  event: '{"n":1}',
  async: true,
});
process.stdout.write(`STARTED ${requestId}\n`);
