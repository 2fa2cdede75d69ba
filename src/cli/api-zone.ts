/**
 * The zone a server writes its API times in. SCF's API speaks `YYYY-MM-DD HH:mm:ss` in UTC+8 without
 * saying so; scf-local's zone is configurable (`apiTimeZoneOffsetMinutes`), so the CLI asks the server
 * rather than assuming UTC+8: `/healthz` (unsigned, read-only) says `apiTimeZoneOffsetMinutes`, as the live
 * stream's `ready` frame does for `--follow`.
 *
 * A server that does not say (an scf-local from before the field, or something else behind the endpoint)
 * is taken to speak SCF's UTC+8, its default. A server that cannot be reached is left to the API call that
 * follows, which reports it in the client's own words.
 */
import http from 'node:http';
import https from 'node:https';
import type { ApiClient } from './client.js';
import { SCF_API_OFFSET_MINUTES } from './format.js';

const HEALTH_PATH = '/healthz';
const TIMEOUT_MS = 10_000;

/** Reads `/healthz` as JSON; undefined when it cannot be read (see the module comment). */
function readHealth(origin: string): Promise<unknown> {
  const url = new URL(HEALTH_PATH, origin);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const req = lib.get(url, { agent: false, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
        } catch {
          // Not JSON: not an scf-local health answer, so no zone from it.
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    // Unreachable: the API call that follows says so properly (see the module comment).
    req.on('error', () => resolve(undefined));
  });
}

/** The server's API zone as minutes east of UTC (480 for SCF's UTC+8). */
export async function readApiZone(client: ApiClient): Promise<number> {
  const health = await readHealth(client.endpoint);
  const offset =
    typeof health === 'object' && health !== null
      ? (health as Record<string, unknown>)['apiTimeZoneOffsetMinutes']
      : undefined;
  return typeof offset === 'number' && Number.isInteger(offset) && offset >= -720 && offset <= 840
    ? offset
    : SCF_API_OFFSET_MINUTES;
}
