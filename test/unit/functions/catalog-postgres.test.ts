/**
 * Several nodes on one PostgreSQL catalog: registries with pools and data folders of their own on one
 * schema of the test server, as `scf-local serve` processes sharing a database. A change made on one is
 * seen by another after `sync()`, and by notification without it (awaited through `onChange`); each node
 * extracts code into its own cache and runs it; concurrent changes from two nodes are applied one after
 * the other, none lost; a database that goes away is StoreUnavailable, never a crash, and a node catches
 * up when it comes back. The conformance suite (test/conformance/catalog*.ts) holds the single-node
 * contract.
 */
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { zipSync } from 'fflate';
import type pg from 'pg';
import { credentialsPath, setupSharedCredentials } from '../../../src/api/auth/index.js';
import * as ops from '../../../src/api/operations/index.js';
import type { ActionContext } from '../../../src/api/operations/types.js';
import { v3Error } from '../../../src/api/protocol/v3/errors.js';
import { ScfError } from '../../../src/errors/index.js';
import { PgCatalog } from '../../../src/functions/catalog/index.js';
import { FunctionRegistry } from '../../../src/functions/registry.js';
import { Invoker } from '../../../src/invocations/invoker.js';
import { SqliteLogStore } from '../../../src/store/sqlite/index.js';
import { RecordWriter } from '../../../src/store/writer.js';
import { type PgTestSchema, pgBehindProxy, pgTestSchema } from '../../helpers/pg.js';
import { tempDir } from '../../helpers/tmp.js';
import { makeRuntime } from '../runtime/helpers.js';

const zip = (files: Record<string, string>): Uint8Array =>
  zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])));
/** The package of version `v` (made once: a zip made again carries another time). */
const versions = new Map<number, { zip: Uint8Array }>();
const version = (v: number): { zip: Uint8Array } => {
  const known = versions.get(v) ?? { zip: zip({ 'index.js': `exports.main_handler = async () => ${v};` }) };
  versions.set(v, known);
  return known;
};

/** One node: its registry, the changes it was told of (as events named `ns/name`), its folders. */
interface Node {
  registry: FunctionRegistry;
  catalog: PgCatalog;
  changes: EventEmitter;
  /** Faults the registry reported in the background. */
  background: ScfError[];
  /** Faults the catalog's listener reported. */
  listenerErrors: EventEmitter;
  dataDir: string;
}

async function node(
  t: TestContext,
  db: PgTestSchema,
  options: { pool?: pg.Pool; dataDir?: string } = {},
): Promise<Node> {
  const dataDir = options.dataDir ?? tempDir(t);
  const changes = new EventEmitter();
  const listenerErrors = new EventEmitter();
  const background: ScfError[] = [];
  const catalog = new PgCatalog(options.pool ?? db.pool(), {
    cacheDir: join(dataDir, 'catalog-cache'),
    schema: db.schema,
    onError: (err) => listenerErrors.emit('error-reported', err),
  });
  const registry = await FunctionRegistry.open(catalog, {
    onChange: (ns, name) => changes.emit(`${ns}/${name}`),
    onBackgroundError: (err) => background.push(err),
  });
  db.closeFirst(() => registry.close());
  return { registry, catalog, changes, background, listenerErrors, dataDir };
}

/** Resolves at the next `onChange` of `ns/name` on `n`. */
const changed = (n: Node, name: string, ns = 'default'): Promise<unknown> => once(n.changes, `${ns}/${name}`);

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ScfError, String(err));
    assert.equal(err.code, code, err.message);
    return true;
  });
}

/** The test database reached through `proxy` (which can take it away and bring it back). */
describe('the PostgreSQL catalog shared by several nodes', () => {
  test('a change on one node is seen on another after sync(), extracted into its own cache', async (t) => {
    const db = pgTestSchema(t);
    const a = await node(t, db);
    const b = await node(t, db);

    await a.registry.createNamespaceAsync('team', 'the team');
    const v1 = await a.registry.createAsync({ functionName: 'fn', namespace: 'team', code: version(1) });
    await b.registry.sync();
    assert.deepEqual(b.registry.getNamespace('team'), a.registry.getNamespace('team'));
    assert.deepEqual(b.registry.get('fn', 'team'), v1);
    const codeB = b.registry.codeDir(v1);
    assert.ok(codeB.startsWith(b.dataDir), `${codeB} is in B's own data folder`);
    assert.notEqual(codeB, a.registry.codeDir(v1));
    assert.match(readFileSync(join(codeB, 'index.js'), 'utf8'), /=> 1/);

    const v2 = await a.registry.updateCodeAsync({ functionName: 'fn', namespace: 'team', code: version(2) });
    const v3 = await a.registry.updateConfigurationAsync({
      functionName: 'fn',
      namespace: 'team',
      timeout: 7,
    });
    await b.registry.sync();
    assert.deepEqual(b.registry.get('fn', 'team'), v3);
    assert.match(readFileSync(join(b.registry.codeDir(v3), 'index.js'), 'utf8'), /=> 2/);
    assert.equal(existsSync(b.registry.codeDir(v1)), false, "B's superseded revision is removed");
    assert.deepEqual(
      Buffer.from((await b.registry.getWithCode('fn', 'team')).zip),
      Buffer.from(version(2).zip),
    );
    assert.ok(v3.revision > v2.revision && v2.revision > v1.revision);

    // B changes it; A sees it.
    const v4 = await b.registry.updateConfigurationAsync({
      functionName: 'fn',
      namespace: 'team',
      memorySize: 512,
    });
    await a.registry.sync();
    assert.deepEqual(a.registry.get('fn', 'team'), v4);
    assert.equal(v4.timeout, 7, "B planned from A's change");

    await a.registry.deleteAsync('fn', 'team');
    await a.registry.deleteNamespaceAsync('team');
    await b.registry.sync();
    assert.equal(b.registry.has('fn', 'team'), false);
    assert.equal(b.registry.getNamespace('team'), undefined);
    assert.equal(existsSync(join(b.dataDir, 'catalog-cache', 'team')), false, "B's cache of it is gone");
    await rejectsWith(
      b.registry.updateCodeAsync({ functionName: 'fn', namespace: 'team', code: version(5) }),
      'FunctionNotFound',
    );
  });

  test('another node learns of changes by notification, without sync(), and onChange fires there', async (t) => {
    const db = pgTestSchema(t);
    const a = await node(t, db);
    const b = await node(t, db);

    let seen = changed(b, 'fn');
    const v1 = await a.registry.createAsync({ functionName: 'fn', code: version(1) });
    await seen;
    assert.deepEqual(b.registry.get('fn'), v1);
    assert.match(readFileSync(join(b.registry.codeDir(v1), 'index.js'), 'utf8'), /=> 1/);

    seen = changed(b, 'fn');
    const v2 = await a.registry.updateConfigurationAsync({ functionName: 'fn', description: 'two' });
    await seen;
    assert.deepEqual(b.registry.get('fn'), v2);

    seen = changed(b, 'fn');
    await a.registry.deleteAsync('fn');
    await seen;
    assert.equal(b.registry.has('fn'), false);
    assert.deepEqual(a.background, []);
    assert.deepEqual(b.background, []);
  });

  test("code deployed on one node runs on another, and an update retires the other node's instances", async (t) => {
    const db = pgTestSchema(t);
    const a = await node(t, db);
    const runtime = makeRuntime(t);
    const dataDir = tempDir(t);
    const catalog = new PgCatalog(db.pool(), { cacheDir: join(dataDir, 'catalog-cache'), schema: db.schema });
    const retired: string[] = [];
    const functions = await FunctionRegistry.open(catalog, {
      onChange: (ns, name) => {
        retired.push(`${ns}/${name}`);
        void runtime.retire(ns, name).catch(() => {});
      },
    });
    db.closeFirst(() => functions.close());
    const store = new SqliteLogStore({ path: join(dataDir, 'records.db') });
    await store.open();
    const writer = new RecordWriter(store);
    t.after(async () => {
      await writer.close();
      await store.close();
    });
    const invoker = new Invoker({ functions, runtime, writer }, { billingGranularityMs: 1 });

    await a.registry.createAsync({ functionName: 'fn', code: version(1) });
    // Straight after the deploy answered on A: the invoker syncs first.
    const first = await invoker.invoke({ functionName: 'fn', event: '{}' });
    assert.equal(first.record?.retMsg, '1');
    await a.registry.updateCodeAsync({ functionName: 'fn', code: version(2) });
    const second = await invoker.invoke({ functionName: 'fn', event: '{}' });
    assert.equal(second.record?.retMsg, '2');
    assert.ok(retired.includes('default/fn'));
    await invoker.drain();
  });

  test('concurrent changes from two nodes are applied one after the other, none lost', async (t) => {
    const db = pgTestSchema(t);
    const a = await node(t, db);
    const b = await node(t, db);
    await a.registry.createAsync({ functionName: 'fn', code: version(0) });
    await b.registry.sync();

    const rounds = 5;
    const results = await Promise.all([
      ...Array.from({ length: rounds }, (_, i) =>
        a.registry.updateConfigurationAsync({ functionName: 'fn', memorySize: 128 * (i + 2) }),
      ),
      ...Array.from({ length: rounds }, (_, i) =>
        b.registry.updateConfigurationAsync({ functionName: 'fn', timeout: 10 + i }),
      ),
      a.registry.updateCodeAsync({ functionName: 'fn', code: version(7) }),
    ]);
    const revisions = results.map((d) => d.revision);
    assert.equal(new Set(revisions).size, revisions.length, 'every change is a revision of its own');
    await a.registry.sync();
    await b.registry.sync();
    const final = a.registry.get('fn');
    assert.deepEqual(b.registry.get('fn'), final);
    assert.equal(final.revision, Math.max(...revisions));
    assert.equal(final.memorySize, 128 * (rounds + 1), "A's last change kept");
    assert.equal(final.timeout, 10 + rounds - 1, "B's last change kept");
    assert.equal(final.codeSha256, results.at(-1)?.codeSha256, 'the code update kept');
    for (const n of [a, b]) {
      assert.match(readFileSync(join(n.registry.codeDir(final), 'index.js'), 'utf8'), /=> 7/);
    }

    // Two creates of one name at once: one wins, the other is told the name is taken.
    const created = await Promise.allSettled([
      a.registry.createAsync({ functionName: 'twin', code: version(1) }),
      b.registry.createAsync({ functionName: 'twin', code: version(2) }),
    ]);
    assert.equal(created.filter((r) => r.status === 'fulfilled').length, 1);
    const lost = created.find((r) => r.status === 'rejected');
    assert.ok(lost?.status === 'rejected' && lost.reason instanceof ScfError);
    assert.equal(lost.reason.code, 'FunctionInUse');
    await a.registry.sync();
    await b.registry.sync();
    assert.deepEqual(a.registry.get('twin'), b.registry.get('twin'));
  });

  test('an unreachable database is StoreUnavailable: at open, at sync, and the node catches up when it is back', async (t) => {
    // Nothing listens on a port just closed.
    const closed = await pgBehindProxy(t);
    await closed.proxy.cut();
    const db = pgTestSchema(t);
    const nowhere = db.pool({ connectionString: closed.url, connectionTimeoutMillis: 1000 });
    await rejectsWith(
      FunctionRegistry.open(
        new PgCatalog(nowhere, { cacheDir: join(tempDir(t), 'cache'), schema: db.schema }),
      ),
      'StoreUnavailable',
    );

    const a = await node(t, db);
    const { proxy: relay, url: viaRelay } = await pgBehindProxy(t);
    const b = await node(t, db, {
      pool: db.pool({ connectionString: viaRelay, connectionTimeoutMillis: 1000 }),
    });
    let seen = changed(b, 'fn');
    await a.registry.createAsync({ functionName: 'fn', code: version(1) });
    await seen;

    const lost = once(b.listenerErrors, 'error-reported');
    await relay.cut();
    const [listenerError] = (await lost) as [ScfError];
    assert.equal(listenerError.code, 'StoreUnavailable');
    await rejectsWith(b.registry.sync(), 'StoreUnavailable');
    // The API answers with that code (API 3.0: ResourceUnavailable), whatever the action.
    const ctx = { functions: b.registry } as unknown as ActionContext;
    for (const call of [
      ops.getFunction(ctx, { functionName: 'fn' }),
      ops.listFunctions(ctx, {}),
      ops.listNamespaces(ctx, {}),
      ops.deleteFunction(ctx, { functionName: 'fn' }),
    ]) {
      await assert.rejects(call, (err: unknown) => {
        assert.ok(err instanceof ScfError);
        assert.equal(v3Error(err).Code, 'ResourceUnavailable');
        return true;
      });
    }
    await rejectsWith(
      b.registry.updateCodeAsync({ functionName: 'fn', code: version(3) }),
      'StoreUnavailable',
    );
    assert.match(readFileSync(join(b.registry.codeDir(b.registry.get('fn')), 'index.js'), 'utf8'), /=> 1/);

    // Changed while B cannot hear: B catches up when the database is back, by itself.
    const v2 = await a.registry.updateCodeAsync({ functionName: 'fn', code: version(2) });
    seen = changed(b, 'fn');
    await relay.restore();
    await seen;
    assert.deepEqual(b.registry.get('fn'), v2);
    assert.match(readFileSync(join(b.registry.codeDir(v2), 'index.js'), 'utf8'), /=> 2/);
  });

  test('a cache filled from another catalog is not trusted', async (t) => {
    const dataDir = tempDir(t);
    const first = pgTestSchema(t);
    const a = await node(t, first, { dataDir });
    const old = await a.registry.createAsync({ functionName: 'fn', code: version(1) });
    await a.registry.close();

    // Another catalog (a recreated database) whose function has the same name and revision.
    const second = pgTestSchema(t);
    const writer = await node(t, second);
    const other = await writer.registry.createAsync({ functionName: 'fn', code: version(2) });
    assert.equal(other.revision, old.revision);
    const b = await node(t, second, { dataDir });
    assert.match(readFileSync(join(b.registry.codeDir(other), 'index.js'), 'utf8'), /=> 2/);
  });

  test('nodes share the generated credential through the catalog', async (t) => {
    const db = pgTestSchema(t);
    const a = await node(t, db);
    const b = await node(t, db);
    // A data folder that already had a generated pair (a single node moved onto the database) offers it.
    const mine = { secretId: 'AKIDmine', secretKey: 'mykey' };
    writeFileSync(credentialsPath(a.dataDir), JSON.stringify(mine));
    const setupA = await setupSharedCredentials([], a.dataDir, (c) => a.catalog.shareCredential(c));
    assert.deepEqual(setupA.store.first(), mine);
    assert.equal(setupA.generatedAt, undefined, 'the file already held it');
    const setupB = await setupSharedCredentials([], b.dataDir, (c) => b.catalog.shareCredential(c));
    assert.deepEqual(setupB.store.first(), mine, 'every node accepts the same pair');
    assert.equal(setupB.generatedAt, credentialsPath(b.dataDir));
    assert.deepEqual(JSON.parse(readFileSync(credentialsPath(b.dataDir), 'utf8')), mine, 'for the CLI');
    // Configured credentials win, and nothing is read.
    const configured = [{ secretId: 'AKIDconf', secretKey: 'k' }];
    const setupC = await setupSharedCredentials(configured, tempDir(t), () => assert.fail('not shared'));
    assert.deepEqual(setupC.store.first(), configured[0]);
  });

  test('the listening connection is one of its own, and closing the registry closes it', async (t) => {
    const db = pgTestSchema(t);
    const applicationName = `scf-t-${db.schema}`;
    const n = await node(t, db, { pool: db.pool({ applicationName }) });
    const admin = db.pool();
    const listening = async (): Promise<number> => {
      const { rows } = await admin.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN%'",
        [applicationName],
      );
      return Number(rows[0]?.n);
    };
    // The listener connects in the background: the first notification it passes on says it listens.
    const seen = changed(n, 'fn');
    const other = await node(t, db);
    await other.registry.createAsync({ functionName: 'fn', code: version(1) });
    await seen;
    assert.equal(await listening(), 1);
    await n.registry.close();
    await n.registry.close();
    // The server ends a closed connection's backend shortly after: nothing to await but its absence.
    for (let i = 0; (await listening()) > 0; i++) {
      assert.ok(i < 200, 'the listening connection is still open after close()');
      await new Promise((r) => setTimeout(r, 25));
    }
  });
});
