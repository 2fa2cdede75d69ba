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
import type { ApiClient } from './client.js';
import { SCF_API_OFFSET_MINUTES } from './format.js';

/** The server's API zone as minutes east of UTC (480 for SCF's UTC+8). */
export async function readApiZone(client: ApiClient): Promise<number> {
  // Unreachable: the API call that follows says so properly (see the module comment).
  const health = await client.health().catch(() => undefined);
  const offset = health?.['apiTimeZoneOffsetMinutes'];
  return typeof offset === 'number' && Number.isInteger(offset) && offset >= -720 && offset <= 840
    ? offset
    : SCF_API_OFFSET_MINUTES;
}
