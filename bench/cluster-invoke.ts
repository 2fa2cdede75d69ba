/**
 * Invoke throughput of several nodes on one PostgreSQL database against one node: each node is a real
 * `scf-local serve` process (its own event loop and instances), the callers run in this process, spread
 * evenly over the nodes, each with a kept-alive connection, TC3-signed API 3.0 Invoke of a warm no-op
 * (sandbox off, so the platform's own work is as large a share of each call as it can be). Layouts:
 * SQLite with one node (the default, for reference), PostgreSQL with one node, PostgreSQL with two nodes.
 * Rounds interleave the layouts (the order rotates) so the machine's load weighs on each alike; the
 * figure is the median of the rounds' calls/s, and the ratios are 2 nodes / 1 node on PostgreSQL.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/cluster-invoke.js [--rounds 6] [--seconds 3] [--callers 8]
 *
 * On a 2-core machine the callers, the nodes, their instances and PostgreSQL share two cores: the ratio
 * says what a second node buys when the cores are already busy, not what it buys on a second machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { invoke } from './http-invoke.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    seconds: { type: 'string', default: '3' },
    callers: { type: 'string', default: '8' },
  },
});
const ROUNDS = Number(values.rounds);
const MS = Number(values.seconds) * 1000;
const CALLERS = Number(values.callers);
const PG_URL = process.env['SCF_LOCAL_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRET_ID = 'AKIDbenchcluster';
const SECRET_KEY = 'bench-cluster-secret';
const bin = fileURLToPath(new URL('../../bin/scf-local.js', import.meta.url));

const work = mkdtempSync(join(tmpdir(), 'scf-bench-cluster-'));
const fnDir = mkdtempSync(join(work, 'fn-'));
writeFileSync(join(fnDir, 'index.js'), "exports.main_handler = async () => 'ok';\n");
const schema = `scf_bench_${randomBytes(4).toString('hex')}`;

interface Node {
  child: ChildProcess;
  port: number;
  agent: Agent;
}

/** A `serve` process; resolves once it listens. */
function startNode(name: string, env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', join(work, name)], {
    env: {
      PATH: process.env['PATH'] ?? '',
      SCF_LOCAL_SECRET_ID: SECRET_ID,
      SCF_LOCAL_SECRET_KEY: SECRET_KEY,
      SCF_LOCAL_SANDBOX: 'off',
      SCF_LOCAL_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m)
        resolve({ child, port: Number(m[1]), agent: new Agent({ keepAlive: true, maxSockets: CALLERS }) });
    });
    child.once('exit', (code) => reject(new Error(`node ${name} exited ${code}: ${out}`)));
  });
}

function deploy(node: Node): void {
  const r = spawn(
    process.execPath,
    [
      bin,
      '--endpoint',
      `http://127.0.0.1:${node.port}`,
      '--secret-id',
      SECRET_ID,
      '--secret-key',
      SECRET_KEY,
      'deploy',
      fnDir,
      '--name',
      'noop',
    ],
    { stdio: 'ignore' },
  );
  return void r;
}

async function deployed(node: Node): Promise<void> {
  deploy(node);
  // Until the function answers (deploy returns once stored; this also warms the instance).
  for (let i = 0; ; i++) {
    try {
      await invoke(target(node));
      return;
    } catch {
      if (i > 200) throw new Error('the function never answered');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const target = (n: Node) => ({
  port: n.port,
  agent: n.agent,
  secretId: SECRET_ID,
  secretKey: SECRET_KEY,
  functionName: 'noop',
});

/** Calls/s of CALLERS callers spread over `nodes` for MS. */
async function measure(nodes: Node[]): Promise<number> {
  let done = 0;
  const end = performance.now() + MS;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, c) => {
      const node = nodes[c % nodes.length]!;
      while (performance.now() < end) {
        await invoke(target(node));
        done++;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const all: Node[] = [];
try {
  console.log(
    `Invoke throughput, nodes on one PostgreSQL vs one node; ${cpus().length} CPUs, ${cpus()[0]?.model ?? ''}, Node ${process.version}; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const pgEnv = (id: string, s: string) => ({
    SCF_LOCAL_STORE: 'postgres',
    SCF_LOCAL_DATABASE_URL: PG_URL,
    SCF_LOCAL_PG_SCHEMA: s,
    SCF_LOCAL_NODE_ID: id,
  });
  const sqlite = await startNode('sqlite', {});
  const pgOne = await startNode('pg1', pgEnv('solo', `${schema}_solo`));
  const pgA = await startNode('pgA', pgEnv('a', schema));
  const pgB = await startNode('pgB', pgEnv('b', schema));
  all.push(sqlite, pgOne, pgA, pgB);
  await deployed(sqlite);
  await deployed(pgOne);
  await deployed(pgA);
  // Deployed once through A; B learns of it from the shared catalog.
  for (let i = 0; ; i++) {
    try {
      await invoke(target(pgB));
      break;
    } catch {
      if (i > 200) throw new Error('node B never saw the function');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const layouts: { name: string; nodes: Node[]; rates: number[] }[] = [
    { name: 'sqlite, 1 node', nodes: [sqlite], rates: [] },
    { name: 'postgres, 1 node', nodes: [pgOne], rates: [] },
    { name: 'postgres, 2 nodes', nodes: [pgA, pgB], rates: [] },
  ];
  for (const l of layouts) await measure(l.nodes); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < layouts.length; k++) {
      const l = layouts[(k + r) % layouts.length]!;
      l.rates.push(await measure(l.nodes));
    }
  }
  console.log(`${ROUNDS} rounds of ${MS / 1000} s, ${CALLERS} callers spread over the layout's nodes`);
  for (const l of layouts)
    console.log(
      `${l.name.padEnd(18)} ${median(l.rates).toFixed(0).padStart(6)} calls/s (median; rounds ${l.rates.map((x) => x.toFixed(0)).join(' ')})`,
    );
  const one = median(layouts[1]!.rates);
  const two = median(layouts[2]!.rates);
  console.log(
    `postgres 2 nodes / 1 node: ${(two / one).toFixed(2)}; postgres 1 node / sqlite: ${(one / median(layouts[0]!.rates)).toFixed(2)}`,
  );
  console.log(
    `load at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  for (const n of all) {
    n.agent.destroy();
    n.child.kill('SIGTERM');
  }
  await Promise.all(
    all.map((n) => new Promise((r) => (n.child.exitCode !== null ? r(null) : n.child.once('exit', r)))),
  );
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.query(`DROP SCHEMA IF EXISTS "${schema}_solo" CASCADE`);
  await c.end();
  rmSync(work, { recursive: true, force: true });
}
