/**
 * This node's id: `cluster.nodeId` when configured, else the one kept in `<dataDir>/node-id` (made at the
 * first start from the host name and a random suffix), so a node that restarts on its data folder is the
 * same node and recovers its own interrupted invocations itself.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

const VALID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function resolveNodeId(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured;
  const file = join(dataDir, 'node-id');
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (VALID.test(id)) return id;
  } catch {
    // No file yet (first start): made below.
  }
  const host = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 40);
  const id = `${host || 'node'}-${randomBytes(3).toString('hex')}`;
  writeFileSync(file, `${id}\n`, { mode: 0o644 });
  return id;
}
