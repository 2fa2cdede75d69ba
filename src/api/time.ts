/**
 * API times: SCF writes and reads `YYYY-MM-DD HH:mm:ss` in a fixed zone (UTC+8) without saying so.
 * The zone is `config.apiTimeZoneOffsetMinutes`; these helpers convert to and from epoch ms.
 */

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Epoch ms -> `YYYY-MM-DD HH:mm:ss` at the given UTC offset (minutes). Seconds are truncated. */
export function formatApiTime(epochMs: number, offsetMinutes: number): string {
  const d = new Date(epochMs + offsetMinutes * 60_000);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

const API_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/**
 * `YYYY-MM-DD HH:mm:ss` at the given UTC offset -> epoch ms (the start of that second), or undefined when
 * the text is not such a time or names an impossible date.
 */
export function parseApiTime(text: string, offsetMinutes: number): number | undefined {
  const m = API_TIME_RE.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(utc);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59)
    return undefined;
  return utc - offsetMinutes * 60_000;
}
