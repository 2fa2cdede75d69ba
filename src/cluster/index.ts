/**
 * Several scf-local nodes on one PostgreSQL database: membership and leases (`node.ts`), the live feed
 * every node publishes into its event hub (`feed.ts`), and this node's id (`node-id.ts`).
 */

export { EventFeed, type FeedOptions, feedStart } from './feed.js';
export { CLUSTER_MIGRATIONS } from './migrations.js';
export { ClusterNode, type ClusterNodeOptions } from './node.js';
export { resolveNodeId } from './node-id.js';
