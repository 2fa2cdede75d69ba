/**
 * Where a local server listens, recorded in its data folder beside the generated credentials, so the CLI
 * run from the same folder finds a server started on another port (`SCF_LOCAL_PORT=9107 scf-local serve`,
 * or `--port 0`) without being told. `serve` writes `<dataDir>/endpoint.json` once it listens and removes
 * it when its process exits; a record left by a server that died without exiting (kill -9, a crash of
 * the machine) names a pid that no longer runs, and is ignored.
 *
 * The record is a convenience for the client, never a source of truth: an explicit --endpoint or
 * SCF_LOCAL_ENDPOINT wins over it, and a missing, unreadable or stale record means the default endpoint.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const ENDPOINT_FILE = 'endpoint.json';

export interface EndpointRecord {
  /** The URL a client on this machine connects to (a wildcard bind is reached through loopback). */
  url: string;
  /** The interface and port the server bound. */
  host: string;
  port: number;
  /** The server's process; the record is stale once it no longer runs. */
  pid: number;
  /** When the server started listening (ISO 8601). */
  since: string;
}

export function endpointPath(dataDir: string): string {
  return resolve(dataDir, ENDPOINT_FILE);
}

/** The URL to reach `host:port` from this machine: `0.0.0.0` and `::` listen everywhere, loopback included. */
export function connectUrl(host: string, port: number): string {
  const reach = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}`;
}

export interface RecordedEndpoint {
  readonly path: string;
  /** Removes the record if it is still this process's. Idempotent; synchronous, so it can run at 'exit'. */
  remove(): void;
}

/**
 * Records that this process listens on `host:port`. Written to a temporary name and renamed into place, so
 * a client never reads half a record. The caller holds the data folder's lock, so no other server writes
 * here meanwhile.
 */
export function recordEndpoint(dataDir: string, listening: { host: string; port: number }): RecordedEndpoint {
  const path = endpointPath(dataDir);
  const record: EndpointRecord = {
    url: connectUrl(listening.host, listening.port),
    host: listening.host,
    port: listening.port,
    pid: process.pid,
    since: new Date().toISOString(),
  };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, path);
  let removed = false;
  return {
    path,
    remove(): void {
      if (removed) return;
      removed = true;
      if (readRecord(path)?.pid === process.pid) rmSync(path, { force: true });
    },
  };
}

/** The live record of a data folder: undefined when there is none, or it is unreadable, or stale. */
export function readEndpointRecord(dataDir: string): EndpointRecord | undefined {
  const record = readRecord(endpointPath(dataDir));
  return record && isRunning(record.pid) ? record : undefined;
}

function readRecord(path: string): EndpointRecord | undefined {
  let parsed: Partial<EndpointRecord>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<EndpointRecord>;
  } catch {
    // Absent (no server has run here, or it stopped) or garbled: either way it tells nothing, and the
    // client falls back to its default endpoint, as it did before servers recorded one.
    return undefined;
  }
  if (
    typeof parsed?.url !== 'string' ||
    typeof parsed.pid !== 'number' ||
    typeof parsed.host !== 'string' ||
    typeof parsed.port !== 'number'
  ) {
    return undefined;
  }
  return {
    url: parsed.url,
    host: parsed.host,
    port: parsed.port,
    pid: parsed.pid,
    since: String(parsed.since ?? ''),
  };
}

function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user. ESRCH: gone.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
