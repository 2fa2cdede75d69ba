/**
 * Times as the console shows them: in the browser's zone with the offset written
 * (`2024-05-01 14:03:07 +02:00`), as the CLI does. SCF's API writes `YYYY-MM-DD HH:mm:ss` in its own zone
 * without saying which (UTC+8 by default; the server tells its offset in /healthz).
 */
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export function offsetText(ms: number): string {
  const offset = -new Date(ms).getTimezoneOffset();
  const abs = Math.abs(offset);
  return `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `2024-05-01 14:03:07 +02:00` in the browser's zone; `ms` adds the milliseconds. */
export function formatTime(t: number, options: { ms?: boolean } = {}): string {
  const d = new Date(t);
  const base =
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${base}${options.ms ? `.${pad(d.getMilliseconds(), 3)}` : ''} ${offsetText(t)}`;
}

/** An API time (`YYYY-MM-DD HH:mm:ss` in the API's zone) to epoch ms. */
export function parseApiTime(text: string, apiOffsetMinutes: number): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(text);
  if (!m) return Number.NaN;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) - apiOffsetMinutes * 60_000;
}

/** Epoch ms to an API time (`YYYY-MM-DD HH:mm:ss` in the API's zone). */
export function formatApiTime(ms: number, apiOffsetMinutes: number): string {
  const d = new Date(ms + apiOffsetMinutes * 60_000);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `<input type="datetime-local">` value (browser's zone) <-> epoch ms. */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fromLocalInput(text: string): number | undefined {
  const t = new Date(text).getTime();
  return Number.isFinite(t) ? t : undefined;
}

export function formatDuration(ms: number): string {
  if (ms < 1) return `${ms.toFixed(3)} ms`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
