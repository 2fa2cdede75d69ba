/**
 * Worker thread of `extractZipOffThread`: extracts one zip (workerData `{zip, dest, limits}`) and posts one
 * `ExtractReply`. A coded refusal travels as its code, message and field; anything else as InternalError.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ScfError } from '../errors/index.js';
import { type ExtractLimits, type ExtractReply, extractZip } from './code.js';

const { zip, dest, limits } = workerData as { zip: Uint8Array; dest: string; limits: ExtractLimits };
let reply: ExtractReply;
try {
  extractZip(zip, dest, limits);
  reply = { ok: true };
} catch (err) {
  const e =
    err instanceof ScfError ? err : new ScfError('InternalError', `code extraction failed: ${String(err)}`);
  reply = {
    ok: false,
    code: e.code,
    message: e.message,
    ...(e.field === undefined ? {} : { field: e.field }),
  };
}
parentPort?.postMessage(reply);
