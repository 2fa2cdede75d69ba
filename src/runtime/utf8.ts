/**
 * UTF-8 byte budgets, shared by the parent's log collector (`../log.ts`) and the child bootstrap (which
 * loads only the files copied into its sandbox: this one imports nothing at all).
 */

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function cutUtf8(s: string, maxBytes: number): string {
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= maxBytes) return s;
  let end = maxBytes;
  // Back off over continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** What a log budget takes of one piece of text. */
export interface Fit {
  /** The text kept (possibly cut, possibly empty), or undefined when none of it is. */
  kept: string | undefined;
  keptBytes: number;
  /** Bytes of the text left out. */
  dropped: number;
}

/**
 * One step of a user log's budget, the same on both sides of the frame pipe: `text` is kept whole when it
 * fits in the `room` left; the first text that does not fit is cut on a character boundary; once
 * `dropping` (anything was dropped already) nothing more is kept, so a capped log is a prefix of what was
 * written.
 */
export function fitUtf8(text: string, budget: { room: number; dropping: boolean }): Fit {
  const { room, dropping } = budget;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (!dropping && bytes <= room) return { kept: text, keptBytes: bytes, dropped: 0 };
  if (dropping || room <= 0) return { kept: undefined, keptBytes: 0, dropped: bytes };
  const kept = cutUtf8(text, room);
  const keptBytes = Buffer.byteLength(kept, 'utf8');
  return { kept, keptBytes, dropped: bytes - keptBytes };
}
