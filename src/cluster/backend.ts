/**
 * Opening the state backend the config names, with what comes with it: the log store (its migrations
 * applied and the records a crash left running recovered), the live event hub, and for PostgreSQL the
 * connection pool every PostgreSQL part shares, this node's cluster membership and the feed that fills
 * the hub from the database. The composition root (`platform.ts`) calls `openBackend` once and the
 * `stop*` / `close` methods in its stop order.
 *
 * Start order (PostgreSQL): pool -> store migrations -> cluster migrations -> join (a fresh lease, before
 * any record is written) -> recover this node's own running records (its previous life's) -> the feed's
 * starting cursor -> the hub -> the feed.
 */
import type pg from 'pg';
import type { Config } from '../config/index.js';
import { InvocationEventHub } from '../invocations/events.js';
import { type Logger, reportTo } from '../logger/index.js';
import { createPgPool, migratePg } from '../pg/index.js';
import { createLogStore } from '../store/index.js';
import { PostgresLogStore } from '../store/postgres/index.js';
import type { LogStore } from '../store/types.js';
import { EventFeed, feedStart } from './feed.js';
import { CLUSTER_MIGRATIONS } from './migrations.js';
import { ClusterNode } from './node.js';
import { resolveNodeId } from './node-id.js';

/** How long the live feed's events stay in the database (every node's feed reads them within seconds). */
const FEED_KEEP_MS = 10 * 60_000;

export interface Backend {
  store: LogStore;
  /** Running records found at start (left by a crash of this node) and turned interrupted. */
  recovered: number;
  hub: InvocationEventHub;
  /** True when the hub is fed from the database: the invoker must not publish into it itself. */
  fedFromDatabase: boolean;
  /** PostgreSQL only: the pool the server's PostgreSQL parts share. */
  pool: pg.Pool | undefined;
  /** PostgreSQL only: this node's id. */
  nodeId: string | undefined;
  /** Records the URL this node serves at (PostgreSQL: in its cluster row). */
  announce(url: string): Promise<void>;
  /**
   * After the last record was written: the feed publishes what is left and stops, and the node leaves
   * the cluster (its row goes, so nobody waits for its lease). Idempotent.
   */
  stopCluster(): Promise<void>;
  /** The store, then the pool. Idempotent. */
  close(): Promise<void>;
}

export async function openBackend(config: Config, dataDir: string, logger: Logger): Promise<Backend> {
  const onIndexerError = reportTo(logger, 'full-text indexing failed (retried)');
  if (config.store.backend !== 'postgres') {
    const store = createLogStore(config, { dataDir, onBackgroundError: onIndexerError });
    try {
      await store.open();
      const recovered = await store.recoverInterrupted();
      return {
        store,
        recovered,
        hub: new InvocationEventHub(),
        fedFromDatabase: false,
        pool: undefined,
        nodeId: undefined,
        announce: async () => {},
        stopCluster: async () => {},
        close: () => store.close(),
      };
    } catch (err) {
      await store.close().catch(() => {});
      throw err;
    }
  }

  const pgConfig = config.store.postgres;
  const nodeId = resolveNodeId(config.cluster.nodeId, dataDir);
  const pool = createPgPool({
    connectionString: pgConfig.connectionString,
    schema: pgConfig.schema,
    max: pgConfig.poolSize,
    applicationName: `scf-local ${nodeId}`,
    onError: reportTo(logger, 'a database connection failed (it is replaced)'),
  });
  const store = new PostgresLogStore({ pool, schema: pgConfig.schema, nodeId });
  let node: ClusterNode | undefined;
  let feed: EventFeed | undefined;
  try {
    await store.open();
    await migratePg(pool, pgConfig.schema, 'cluster', CLUSTER_MIGRATIONS);
    node = new ClusterNode({
      pool,
      nodeId,
      leaseMs: config.cluster.leaseMs,
      recover: (dead, client) => store.recoverNode(dead, client),
      onRecovered: (dead, n) =>
        logger.warn(
          { node: dead, interrupted: n },
          'a dead node was recovered: its running invocations are interrupted',
        ),
      onError: reportTo(logger, 'cluster lease or recovery failed (retried)'),
      // Each node trims; they agree on what is old, so it does not matter which one gets there first.
      maintain: async () => {
        await store.trimEvents(FEED_KEEP_MS);
      },
    });
    await node.join();
    const recovered = await store.recoverInterrupted();
    const { epoch, last } = await feedStart(pool);
    const hub = new InvocationEventHub({ epoch, startAfter: last });
    feed = new EventFeed(hub, {
      pool,
      channel: store.channel,
      onError: reportTo(logger, 'reading the live feed failed (retried)'),
    });
    feed.start();
    const started = { node, feed };
    let stopping: Promise<void> | undefined;
    let closing: Promise<void> | undefined;
    return {
      store,
      recovered,
      hub,
      fedFromDatabase: true,
      pool,
      nodeId,
      announce: (url) => started.node.setUrl(url),
      stopCluster: () => {
        stopping ??= (async () => {
          await started.feed.caughtUp().catch(() => {});
          await started.feed.close();
          await started.node.close({ leave: true });
        })();
        return stopping;
      },
      close: () => {
        closing ??= (async () => {
          await started.feed.close();
          await started.node.close();
          await store.close();
          await pool.end();
        })();
        return closing;
      },
    };
  } catch (err) {
    await feed?.close().catch(() => {});
    await node?.close().catch(() => {});
    await store.close().catch(() => {});
    await pool.end().catch(() => {});
    throw err;
  }
}
