/**
 * The response byte budget of GetFunctionLogs (config `api.maxResponseBytes`, default 6 MB as SCF's own
 * response cap). The rule, in page order:
 *
 * 1. Records are kept whole while the page's estimated size stays within the budget.
 * 2. The first record that does not fit ends the page: it and the records after it are left out, so the
 *    page holds fewer than Limit records and the caller pages on from Offset + the number returned
 *    (API 3.0's SearchContext.Offset says exactly that).
 * 3. Except when it is the page's first record: then it is returned with its log (and, when that is not
 *    enough, its retMsg) cut to fit, the cut marked in the text, so every page makes progress.
 *
 * Sizes are estimated as the protocols write them: each text field's JSON-escaped UTF-8 bytes, plus a
 * fixed allowance per record for the other fields and their names in either spelling, plus one for the
 * envelope. The allowances are upper bounds, so the real response is never larger than the budget.
 */
import type { StoredRecord } from '../../store/types.js';

/** Per record: every field but log/retMsg/functionName/requestId, names and punctuation (v3 is ~330 B). */
export const RECORD_ALLOWANCE_BYTES = 512;
/** Per page: the envelope (code/message/codeDesc or Response/RequestId, TotalCount, SearchContext). */
export const PAGE_ALLOWANCE_BYTES = 1024;

/** The size a string takes in a JSON text (quotes and escapes included), in UTF-8 bytes. */
export const jsonBytes = (s: string): number => Buffer.byteLength(JSON.stringify(s), 'utf8');

const recordBytes = (r: StoredRecord): number =>
  RECORD_ALLOWANCE_BYTES +
  jsonBytes(r.functionName) +
  jsonBytes(r.requestId) +
  jsonBytes(r.retMsg) +
  jsonBytes(r.log);

/** The marker a cut field carries. */
export const cutMarker = (dropped: number, budget: number): string =>
  `\n[scf-local] cut from this response: ${dropped} bytes not shown (api.maxResponseBytes ${budget}); the record is stored whole\n`;

/** The first `n` UTF-8 bytes of `buf` as text, not splitting a character. */
function headOf(buf: Buffer, n: number): string {
  let end = Math.max(0, Math.min(n, buf.length));
  while (end > 0 && end < buf.length && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** The last `n` UTF-8 bytes of `buf` as text, not splitting a character. */
function tailOf(buf: Buffer, n: number): string {
  let start = Math.max(0, buf.length - n);
  while (start < buf.length && ((buf[start] ?? 0) & 0xc0) === 0x80) start++;
  return buf.subarray(start).toString('utf8');
}

/**
 * `text` cut to take at most `room` bytes in JSON: its head, the marker, and its last lines (a log's
 * END/Report lines and final error are at its end). Returned whole when it fits.
 */
export function cutToFit(text: string, room: number, budget: number): string {
  if (jsonBytes(text) <= room) return text;
  const buf = Buffer.from(text, 'utf8');
  // Raw bytes to keep; shrunk until the escaped form fits (escapes can make JSON up to 6x the raw size).
  let keep = Math.max(0, room - jsonBytes(cutMarker(buf.length, budget)) - 8);
  for (;;) {
    const tail = Math.min(Math.floor(keep / 4), 16 * 1024);
    const cut = headOf(buf, keep - tail) + cutMarker(buf.length - keep, budget) + tailOf(buf, tail);
    const size = jsonBytes(cut);
    if (size <= room || keep === 0) return size <= room ? cut : '';
    keep = Math.max(0, Math.floor((keep * room) / size) - 16);
  }
}

/** Applies the budget to a page of records (see the rule above). */
export function fitPage(items: readonly StoredRecord[], budget: number): StoredRecord[] {
  const out: StoredRecord[] = [];
  let used = PAGE_ALLOWANCE_BYTES;
  for (const r of items) {
    const size = recordBytes(r);
    if (used + size <= budget) {
      out.push(r);
      used += size;
      continue;
    }
    if (out.length === 0) {
      // Room for the two long texts: retMsg keeps at most half of it, the log the rest.
      const room =
        budget - used - RECORD_ALLOWANCE_BYTES - jsonBytes(r.functionName) - jsonBytes(r.requestId);
      const retMsg = cutToFit(r.retMsg, Math.max(0, Math.floor(room / 2)), budget);
      const log = cutToFit(r.log, Math.max(0, room - jsonBytes(retMsg)), budget);
      out.push({ ...r, retMsg, log });
    }
    break;
  }
  return out;
}
