/**
 * SCF's API times for test expectations, written from the spec (docs/api-v2.md and docs/api-v3.md, "Time
 * zone"), not imported from the server: `YYYY-MM-DD HH:mm:ss` at a fixed offset from UTC (SCF's is
 * UTC+8 = 480 minutes; `apiTimeZoneOffsetMinutes` changes it), to the second (truncated).
 */

/** The documented default of `apiTimeZoneOffsetMinutes`: UTC+8, as SCF. */
export const SCF_ZONE = 480;

/** Epoch ms -> `YYYY-MM-DD HH:mm:ss`, `offsetMinutes` east of UTC. */
export function apiTime(ms: number, offsetMinutes: number = SCF_ZONE): string {
  return new Date(Math.floor(ms / 1000) * 1000 + offsetMinutes * 60_000)
    .toISOString()
    .slice(0, 19)
    .replace('T', ' ');
}
