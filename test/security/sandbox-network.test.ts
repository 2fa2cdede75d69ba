/**
 * A function's network (issue 8, item 1): the host's loopback is out of reach — the platform's own API, the
 * PostgreSQL server on 127.0.0.1:5432 (when this machine has one) and a listener the test opens there —
 * both as 127.0.0.1 (which inside is the sandbox's own loopback) and through slirp4netns's gateway 10.0.2.2.
 * What is reachable: the sandbox's own loopback (a listener inside answers itself) and other hosts (here
 * the host's own non-loopback address, as any other machine would be reached).
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { deploy, run, type Started, startSandboxed, stillServes, suiteScope } from './sandbox-helpers.js';

/** Tries each `host:port`; answers `{ target: 'connected: <first bytes>' | error code }`. */
const DIAL = `
const net = require('net');
const dial = (host, port) => new Promise((resolve) => {
  const sock = net.connect({ host, port });
  let data = '';
  const done = (v) => { clearTimeout(timer); sock.destroy(); resolve(v); };
  const timer = setTimeout(() => done(data ? 'connected: ' + data : (sock.readyState === 'open' ? 'connected' : 'TIMEOUT')), 3000);
  sock.on('connect', () => { if (!event.wait) done('connected'); });
  sock.on('data', (d) => { data += d; done('connected: ' + data); });
  sock.on('error', (e) => done(e.code));
});
const out = {};
await Promise.all(event.targets.map(async ([h, p]) => { out[h + ':' + p] = await dial(h, p); }));
return out;
`;

/** A host listener that greets whoever connects; resolves with its port. */
async function greeter(host: string, greeting: string): Promise<{ server: Server; port: number }> {
  const server = createServer((sock) => {
    // A dialer that hangs up first resets the connection: nothing to report.
    sock.on('error', () => {});
    sock.end(greeting);
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0 };
}

/** Whether this (host) process can connect to host:port. */
function hostCanReach(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.setTimeout(2000, () => {
      sock.destroy();
      resolve(false);
    });
    sock.on('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.on('error', () => resolve(false));
  });
}

describe('sandbox: network', () => {
  const scope = suiteScope(after);
  let s: Started;

  before(async () => {
    s = await startSandboxed(scope);
    await deploy(scope, s.c, 'dialer', { timeout: 30 });
  });

  test('the host’s loopback (the API, PostgreSQL, any listener) is unreachable, also through 10.0.2.2', async (t) => {
    const loop = await greeter('127.0.0.1', 'host loopback secret');
    scope.after(() => new Promise<void>((r) => loop.server.close(() => r())));
    assert.ok(await hostCanReach('127.0.0.1', s.port), 'the API listens on the host loopback');
    assert.ok(await hostCanReach('127.0.0.1', loop.port));
    const ports = [s.port, loop.port];
    if (await hostCanReach('127.0.0.1', 5432)) ports.push(5432);
    else t.diagnostic('no PostgreSQL on 127.0.0.1:5432 here: tried the API and a test listener only');
    const targets = ports.flatMap((p) => [
      ['127.0.0.1', p],
      ['10.0.2.2', p],
      ['localhost', p],
    ]);
    const out = await run(s.c, 'dialer', DIAL, { targets, wait: true });
    for (const [h, p] of targets) {
      const got = out[`${h}:${p}`] as string;
      assert.ok(!got.startsWith('connected'), `${h}:${p} from inside: ${got}`);
    }
  });

  test('the sandbox’s own loopback works for itself', async () => {
    const out = await run(
      s.c,
      'dialer',
      `const net = require('net');
       const server = net.createServer((sock) => sock.end('inside ' + sock.remoteAddress));
       await new Promise((r) => server.listen(0, '127.0.0.1', r));
       const port = server.address().port;
       const got = await new Promise((resolve, reject) => {
         let data = '';
         net.connect({ host: '127.0.0.1', port }).on('data', (d) => { data += d; }).on('end', () => resolve(data)).on('error', reject);
       });
       server.close();
       return got;`,
    );
    assert.equal(out, 'inside 127.0.0.1');
  });

  test('other hosts are reachable (the host’s own external address stands for one)', async (t) => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!external) {
      t.skip('this machine has no non-loopback IPv4 address');
      return;
    }
    const open = await greeter('0.0.0.0', 'hello from another host');
    scope.after(() => new Promise<void>((r) => open.server.close(() => r())));
    const out = await run(s.c, 'dialer', DIAL, { targets: [[external, open.port]], wait: true });
    assert.equal(out[`${external}:${open.port}`], 'connected: hello from another host');
    await stillServes(scope, s.c);
  });
});
