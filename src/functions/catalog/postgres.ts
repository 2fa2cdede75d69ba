/**
 * The PostgreSQL catalog (store.backend `postgres`): the source of truth every node on the database shares.
 *
 * Tables (component `catalog` of `migratePg`): `catalog_state` (one row: the catalog's id and `version`),
 * `catalog_namespaces`, `catalog_functions` (a definition per row; `revision` is the version of its last
 * change, `code_revision` the revision whose package is its code) and `catalog_code` (packages as bytea,
 * by function and digest: `$LATEST`'s and its published versions' are kept), and `shared_credentials` (the platform's
 * generated credential).
 *
 * Every write is one transaction that first bumps `catalog_state.version`: that row's lock puts the writes
 * of all nodes in one order (deploys are rare; an invocation never writes here), so each check made in the
 * transaction (the name is free, the revision is the one the change was planned from) holds at its commit,
 * and a reader at version v has seen exactly the writes up to v. The commit notifies channel `scf_catalog`
 * with the catalog's id as payload (schemas on one database share channels), and `watch` turns that, a
 * (re)connection of its listener and a periodic tick into wake-ups.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ScfError } from '../../errors/index.js';
import { inTransaction, migratePg, PgListener, type PgMigration, pgError } from '../../pg/index.js';
import {
  functionInUse,
  functionNotFound,
  namespaceExists,
  namespaceNotEmpty,
  namespaceNotFound,
} from '../errors.js';
import { type FunctionSettings, settingsOf, withSettingDefaults } from '../settings.js';
import type { FunctionDefinition, NamespaceDefinition } from '../types.js';
import type {
  CatalogChanges,
  CatalogWrite,
  CommitResult,
  FunctionKey,
  SharedCatalog,
  SharedCredential,
} from './types.js';

export const CATALOG_CHANNEL = 'scf_catalog';

export const CATALOG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'function catalog: namespaces, functions, code packages; shared credentials',
    up: async (client) => {
      await client.query(`
        CREATE TABLE catalog_state (
          id         smallint PRIMARY KEY CHECK (id = 1),
          catalog_id text     NOT NULL,
          version    bigint   NOT NULL);
        CREATE TABLE catalog_namespaces (
          name        text   PRIMARY KEY,
          description text   NOT NULL,
          add_time    bigint NOT NULL,
          mod_time    bigint NOT NULL);
        CREATE TABLE catalog_functions (
          namespace     text    NOT NULL REFERENCES catalog_namespaces (name),
          function_name text    NOT NULL,
          handler       text    NOT NULL,
          runtime       text    NOT NULL,
          memory_size   integer NOT NULL,
          timeout       integer NOT NULL,
          description   text    NOT NULL,
          environment   json    NOT NULL,
          code_size     bigint  NOT NULL,
          code_sha256   text    NOT NULL,
          add_time      bigint  NOT NULL,
          mod_time      bigint  NOT NULL,
          revision      bigint  NOT NULL,
          code_revision bigint  NOT NULL,
          PRIMARY KEY (namespace, function_name));
        CREATE INDEX catalog_functions_revision ON catalog_functions (revision);
        CREATE TABLE catalog_code (
          namespace     text   NOT NULL,
          function_name text   NOT NULL,
          revision      bigint NOT NULL,
          zip           bytea  NOT NULL,
          PRIMARY KEY (namespace, function_name, revision),
          FOREIGN KEY (namespace, function_name)
            REFERENCES catalog_functions (namespace, function_name) ON DELETE CASCADE);
        CREATE TABLE shared_credentials (
          id         smallint    PRIMARY KEY CHECK (id = 1),
          secret_id  text        NOT NULL,
          secret_key text        NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now());`);
      await client.query('INSERT INTO catalog_state (id, catalog_id, version) VALUES (1, $1, 0)', [
        randomUUID(),
      ]);
    },
  },
  {
    version: 2,
    description: 'function settings beyond the columns (type, triggers, async config), as one JSON object',
    up: async (client) => {
      await client.query(`ALTER TABLE catalog_functions ADD COLUMN settings json NOT NULL DEFAULT '{}'`);
    },
  },
  {
    version: 3,
    description: 'packages found by their digest, so published versions keep theirs',
    up: async (client) => {
      await client.query(`
        ALTER TABLE catalog_code ADD COLUMN code_sha256 text;
        UPDATE catalog_code c SET code_sha256 = f.code_sha256 FROM catalog_functions f
         WHERE c.namespace = f.namespace AND c.function_name = f.function_name AND c.revision = f.code_revision;
        CREATE INDEX catalog_code_sha256 ON catalog_code (namespace, function_name, code_sha256);`);
    },
  },
];

export interface PgCatalogOptions {
  /** This node's cache of extracted code (absolute). */
  cacheDir: string;
  /** The schema the pool's search_path names (where the tables are made). */
  schema: string;
  /** Wake-ups without a notification, so a lost one only delays (ms). Default 30 s. */
  resyncIntervalMs?: number;
  /** The listening connection was lost (once per outage); it is retried by itself. */
  onError?: (err: ScfError) => void;
}

interface FunctionRow {
  namespace: string;
  function_name: string;
  handler: string;
  runtime: string;
  memory_size: number;
  timeout: number;
  description: string;
  environment: Record<string, string>;
  code_size: string;
  code_sha256: string;
  add_time: string;
  mod_time: string;
  revision: string;
  settings: Partial<FunctionSettings>;
}

interface NamespaceRow {
  name: string;
  description: string;
  add_time: string;
  mod_time: string;
}

const FUNCTION_COLUMNS =
  'namespace, function_name, handler, runtime, memory_size, timeout, description, environment, code_size, code_sha256, add_time, mod_time, revision, settings';

const toFunction = (r: FunctionRow): FunctionDefinition => ({
  namespace: r.namespace,
  functionName: r.function_name,
  handler: r.handler,
  runtime: r.runtime,
  memorySize: r.memory_size,
  timeout: r.timeout,
  description: r.description,
  environment: r.environment,
  codeSize: Number(r.code_size),
  codeSha256: r.code_sha256,
  addTime: Number(r.add_time),
  modTime: Number(r.mod_time),
  revision: Number(r.revision),
  ...withSettingDefaults(r.settings),
});

const toNamespace = (r: NamespaceRow): NamespaceDefinition => ({
  name: r.name,
  description: r.description,
  addTime: Number(r.add_time),
  modTime: Number(r.mod_time),
});

/** Thrown inside a commit's transaction to roll it back: the write was planned from an older revision. */
class Stale extends Error {}

export class PgCatalog implements SharedCatalog {
  readonly kind = 'shared';
  readonly codeRoot: string;
  readonly #pool: pg.Pool;
  readonly #options: PgCatalogOptions;
  #opened: Promise<{ id: string }> | undefined;
  #listener: PgListener | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** Uses `pool` (its owner closes it, after this catalog). Nothing is read before `open()`. */
  constructor(pool: pg.Pool, options: PgCatalogOptions) {
    this.#pool = pool;
    this.#options = options;
    this.codeRoot = options.cacheDir;
  }

  open(): Promise<{ id: string }> {
    // A failed open is retried by the next call.
    this.#opened ??= this.#open().catch((err: unknown) => {
      this.#opened = undefined;
      throw err;
    });
    return this.#opened;
  }

  async #open(): Promise<{ id: string }> {
    await migratePg(this.#pool, this.#options.schema, 'catalog', CATALOG_MIGRATIONS);
    const { rows } = await this.#query<{ catalog_id: string }>(
      'reading the catalog id',
      'SELECT catalog_id FROM catalog_state',
    );
    const row = rows[0];
    if (!row) throw new ScfError('InternalError', 'the function catalog has no catalog_state row');
    return { id: row.catalog_id };
  }

  async #query<R extends pg.QueryResultRow>(
    what: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (err) {
      throw pgError(err, what);
    }
  }

  async version(): Promise<number> {
    const { rows } = await this.#query<{ version: string }>(
      'reading the catalog version',
      'SELECT version FROM catalog_state',
    );
    return Number(rows[0]?.version ?? 0);
  }

  async changesSince(version: number): Promise<CatalogChanges> {
    try {
      return await inTransaction(this.#pool, async (c) => {
        // One snapshot for all four reads: the version and the rows agree.
        await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        const state = await c.query<{ version: string }>('SELECT version FROM catalog_state');
        const namespaces = await c.query<NamespaceRow>(
          'SELECT name, description, add_time, mod_time FROM catalog_namespaces',
        );
        const changed = await c.query<FunctionRow>(
          `SELECT ${FUNCTION_COLUMNS} FROM catalog_functions WHERE revision > $1`,
          [version],
        );
        const present = await c.query<{ namespace: string; function_name: string }>(
          'SELECT namespace, function_name FROM catalog_functions',
        );
        return {
          version: Number(state.rows[0]?.version ?? 0),
          namespaces: namespaces.rows.map(toNamespace),
          changed: changed.rows.map(toFunction),
          present: present.rows.map(
            (r): FunctionKey => ({ namespace: r.namespace, functionName: r.function_name }),
          ),
        };
      });
    } catch (err) {
      throw pgError(err, 'reading the function catalog');
    }
  }

  async fetchCode(def: FunctionDefinition): Promise<Uint8Array | undefined> {
    // By digest: `$LATEST`'s package and every published version's are kept (`keepCode`).
    const { rows } = await this.#query<{ zip: Buffer }>(
      `reading the code of ${def.namespace}/${def.functionName}`,
      `SELECT zip FROM catalog_code
        WHERE namespace = $1 AND function_name = $2 AND code_sha256 = $3
        ORDER BY revision DESC LIMIT 1`,
      [def.namespace, def.functionName, def.codeSha256],
    );
    return rows[0]?.zip;
  }

  async commit(write: CatalogWrite): Promise<CommitResult> {
    try {
      return await inTransaction(this.#pool, async (c) => {
        const state = await c.query<{ version: string; catalog_id: string }>(
          'UPDATE catalog_state SET version = version + 1 RETURNING version, catalog_id',
        );
        const row = state.rows[0];
        if (!row) throw new ScfError('InternalError', 'the function catalog has no catalog_state row');
        const version = Number(row.version);
        const def = await this.#write(c, write, version);
        // Delivered at commit, to every node listening (this one too: a wake-up it finds nothing in).
        await c.query('SELECT pg_notify($1, $2)', [CATALOG_CHANNEL, row.catalog_id]);
        return def === undefined ? { ok: true, version } : { ok: true, version, def };
      });
    } catch (err) {
      if (err instanceof Stale) return { ok: false };
      throw pgError(err, 'changing the function catalog');
    }
  }

  /** The statements of one write, in its transaction; the function as stored, for a function write. */
  async #write(
    c: pg.PoolClient,
    write: CatalogWrite,
    version: number,
  ): Promise<FunctionDefinition | undefined> {
    switch (write.op) {
      case 'createNamespace': {
        const ns = write.namespace;
        const r = await c.query(
          `INSERT INTO catalog_namespaces (name, description, add_time, mod_time) VALUES ($1, $2, $3, $4)
           ON CONFLICT (name) DO NOTHING`,
          [ns.name, ns.description, ns.addTime, ns.modTime],
        );
        if (r.rowCount === 0) throw namespaceExists(ns.name);
        return undefined;
      }
      case 'deleteNamespace': {
        const exists = await c.query('SELECT 1 FROM catalog_namespaces WHERE name = $1', [write.name]);
        if (exists.rowCount === 0) throw namespaceNotFound(write.name);
        const used = await c.query('SELECT 1 FROM catalog_functions WHERE namespace = $1 LIMIT 1', [
          write.name,
        ]);
        if (used.rowCount !== 0) throw namespaceNotEmpty(write.name);
        await c.query('DELETE FROM catalog_namespaces WHERE name = $1', [write.name]);
        return undefined;
      }
      case 'createFunction': {
        const def = { ...write.def, revision: version };
        const ns = await c.query('SELECT 1 FROM catalog_namespaces WHERE name = $1', [def.namespace]);
        if (ns.rowCount === 0) throw namespaceNotFound(def.namespace);
        const r = await c.query(
          `INSERT INTO catalog_functions (${FUNCTION_COLUMNS}, code_revision)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13)
           ON CONFLICT (namespace, function_name) DO NOTHING`,
          functionParams(def),
        );
        if (r.rowCount === 0) throw functionInUse(def.namespace, def.functionName);
        await insertCode(c, def, write.zip);
        return def;
      }
      case 'updateFunction': {
        const def = { ...write.def, revision: version };
        const cur = await c.query<{ revision: string }>(
          'SELECT revision FROM catalog_functions WHERE namespace = $1 AND function_name = $2',
          [def.namespace, def.functionName],
        );
        const at = cur.rows[0];
        if (!at) throw functionNotFound(def.namespace, def.functionName);
        if (Number(at.revision) !== write.expectRevision) throw new Stale();
        await c.query(
          `UPDATE catalog_functions SET handler = $3, runtime = $4, memory_size = $5, timeout = $6,
             description = $7, environment = $8, code_size = $9, code_sha256 = $10, add_time = $11,
             mod_time = $12, revision = $13, settings = $14,
             code_revision = CASE WHEN $15 THEN $13 ELSE code_revision END
           WHERE namespace = $1 AND function_name = $2`,
          [...functionParams(def), write.zip !== undefined],
        );
        if (write.zip !== undefined) await insertCode(c, def, write.zip);
        // Packages neither `$LATEST` nor a published version runs go.
        await c.query(
          `DELETE FROM catalog_code WHERE namespace = $1 AND function_name = $2
             AND (code_sha256 IS NULL OR NOT (code_sha256 = ANY($3::text[])))`,
          [
            def.namespace,
            def.functionName,
            [def.codeSha256, ...def.versions.map((v) => v.function.codeSha256)],
          ],
        );
        return def;
      }
      case 'deleteFunction': {
        const r = await c.query('DELETE FROM catalog_functions WHERE namespace = $1 AND function_name = $2', [
          write.namespace,
          write.functionName,
        ]);
        if (r.rowCount === 0) throw functionNotFound(write.namespace, write.functionName);
        return undefined;
      }
      default: {
        const unknown: never = write;
        throw new ScfError('InternalError', `unknown catalog write ${JSON.stringify(unknown)}`);
      }
    }
  }

  watch(onWake: () => void): void {
    if (this.#closed || this.#listener) return;
    const wake = (): void => {
      if (!this.#closed) onWake();
    };
    // The id is known once open() resolved (the registry opens before it watches).
    const id = this.#opened;
    this.#listener = new PgListener(this.#pool, {
      channel: CATALOG_CHANNEL,
      onNotification: (payload) => {
        // Another catalog on the same database (another schema) notifies the same channel.
        void id?.then(
          (own) => {
            if (payload === own.id) wake();
          },
          () => {},
        );
      },
      onListening: wake,
      ...(this.#options.onError ? { onError: this.#options.onError } : {}),
    });
    this.#timer = setInterval(wake, this.#options.resyncIntervalMs ?? 30_000);
    this.#timer.unref();
  }

  async shareCredential(candidate: SharedCredential): Promise<SharedCredential> {
    await this.open();
    try {
      return await inTransaction(this.#pool, async (c) => {
        await c.query(
          `INSERT INTO shared_credentials (id, secret_id, secret_key) VALUES (1, $1, $2)
           ON CONFLICT (id) DO NOTHING`,
          [candidate.secretId, candidate.secretKey],
        );
        const { rows } = await c.query<{ secret_id: string; secret_key: string }>(
          'SELECT secret_id, secret_key FROM shared_credentials WHERE id = 1',
        );
        const row = rows[0];
        if (!row) throw new ScfError('InternalError', 'the shared credential was not stored');
        return { secretId: row.secret_id, secretKey: row.secret_key };
      });
    } catch (err) {
      throw pgError(err, 'reading the shared credential');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#listener?.close();
  }
}

/** $1..$14 of a function row, in FUNCTION_COLUMNS order. */
function functionParams(def: FunctionDefinition): unknown[] {
  return [
    def.namespace,
    def.functionName,
    def.handler,
    def.runtime,
    def.memorySize,
    def.timeout,
    def.description,
    JSON.stringify(def.environment),
    def.codeSize,
    def.codeSha256,
    def.addTime,
    def.modTime,
    def.revision,
    JSON.stringify(settingsOf(def)),
  ];
}

/** Stores `def`'s package (one row per digest: the same package deployed again replaces its row). */
async function insertCode(c: pg.PoolClient, def: FunctionDefinition, zip: Uint8Array): Promise<void> {
  await c.query('DELETE FROM catalog_code WHERE namespace = $1 AND function_name = $2 AND code_sha256 = $3', [
    def.namespace,
    def.functionName,
    def.codeSha256,
  ]);
  await c.query(
    `INSERT INTO catalog_code (namespace, function_name, revision, zip, code_sha256)
     VALUES ($1, $2, $3, $4, $5)`,
    [
      def.namespace,
      def.functionName,
      def.revision,
      Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength),
      def.codeSha256,
    ],
  );
}
