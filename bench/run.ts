/**
 * `npm run bench -- <name> [args...]` runs one benchmark (`dist/bench/<name>.js`) with its arguments;
 * without a name it lists them. Each prints its figures and the machine; `bench/README.md` has the method,
 * the figures of earlier runs and each one's usual arguments. They are run one at a time on purpose: on a
 * 2-core machine two benchmarks at once measure each other.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Modules of this folder that are not benchmarks. */
const NOT_BENCHES = new Set(['run', 'procfs', 'store-shared', 'http-invoke']);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.js'))
  .map((f) => f.slice(0, -3))
  .filter((n) => !NOT_BENCHES.has(n))
  .sort();

const [name, ...args] = process.argv.slice(2);
if (name === undefined) {
  process.stdout.write(
    `benchmarks (npm run bench -- <name> [args]; see bench/README.md):\n${benches.map((b) => `  ${b}`).join('\n')}\n`,
  );
} else if (!benches.includes(name)) {
  process.stderr.write(`no benchmark ${JSON.stringify(name)}; there are: ${benches.join(', ')}\n`);
  process.exitCode = 2;
} else {
  const r = spawnSync(process.execPath, [`${here}${name}.js`, ...args], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
