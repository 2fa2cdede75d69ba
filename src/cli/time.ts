/**
 * `--since` / `--until` values: a duration back from now (`90s`, `15m`, `1h30m`, `2d`), or a point in time:
 * ISO 8601 with a zone (`2024-05-01T12:00:00Z`, `...+02:00`), or `YYYY-MM-DD[ HH:mm[:ss]]` read in the
 * user's zone (UTC with --utc). Never in SCF's UTC+8: the CLI converts when it talks to the API.
 */
import { ScfError } from '../errors/index.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;
const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/** A duration like `1h30m` in ms, or undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION_RE.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(PART_RE)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms;
}

/** Parses a `--since`/`--until` value to epoch ms; `flag` names it in the usage error. */
export function parseTimeArg(text: string, options: { now: number; utc: boolean; flag: string }): number {
  const t = text.trim();
  const duration = parseDuration(t);
  if (duration !== undefined) return options.now - duration;
  const local = LOCAL_RE.exec(t);
  if (local) {
    const [y, mo, d, h, mi, s] = local.slice(1).map((v) => (v === undefined ? 0 : Number(v))) as number[];
    const ms = options.utc
      ? Date.UTC(y!, mo! - 1, d!, h!, mi!, s!)
      : new Date(y!, mo! - 1, d!, h!, mi!, s!).getTime();
    const check = new Date(options.utc ? ms : ms - new Date(ms).getTimezoneOffset() * 60_000);
    if (check.getUTCMonth() === mo! - 1 && check.getUTCDate() === d! && h! < 24 && mi! < 60 && s! < 60)
      return ms;
  } else if (/^\d{4}-\d{2}-\d{2}T.+(?:Z|[+-]\d{2}:?\d{2})$/i.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new ScfError(
    'InvalidParameter',
    `${options.flag} ${JSON.stringify(text)}: expected a duration back from now (90s, 15m, 1h30m, 2d) or a time ` +
      '(2024-05-01, 2024-05-01 14:30[:00] in your zone, or ISO 8601 with a zone)',
  );
}
