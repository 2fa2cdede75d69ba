/** Schema of the cluster's own state (component `cluster`): the nodes and their leases. */
import type { PgMigration } from '../pg/index.js';

export const CLUSTER_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'nodes with heartbeat leases',
    up: `
      CREATE TABLE cluster_nodes (
        node_id      text        PRIMARY KEY,
        -- A new value at every start: a heartbeat of an older life of the node changes nothing.
        incarnation  text        NOT NULL,
        started_at   timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now(),
        lease_ms     integer     NOT NULL,
        url          text
      );`,
  },
];
