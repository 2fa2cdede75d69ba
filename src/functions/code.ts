/**
 * Code packages: a function's code is kept as the zip it arrived as (for GetFunction ShowCode) and as an
 * extracted folder the runtime runs from. Directories are zipped on deploy so both paths are the same.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Unzip, UnzipInflate, unzipSync, type Zippable, zipSync } from 'fflate';
import { type ErrorCode, invalidValue, RULE, ScfError } from '../errors/index.js';
import type { CodeInput } from './types.js';

/** SCF: a code package is at most 500 MB unpacked. */
export const MAX_UNPACKED_BYTES = 500 * 1024 * 1024;
/** A zip uploaded inline is at most 50 MB (API 3.0 ZipFile limit). */
export const MAX_ZIP_BYTES = 50 * 1024 * 1024;

/** Zips a directory (recursively, following no symlinks). */
export function zipDirectory(dir: string): Uint8Array {
  const files: Zippable = {};
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const p = join(abs, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) {
        // Unix permissions kept (an executable `scf_bootstrap` stays executable once extracted).
        const attrs = (statSync(p).mode & 0o777) << 16;
        files[relative(dir, p).split(sep).join('/')] = [readFileSync(p), { os: 3, attrs }];
      }
    }
  };
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new ScfError('InvalidParameterValue', `code directory ${dir} does not exist`, {
      field: 'code',
      cause: err,
    });
  }
  if (!st.isDirectory()) throw invalidValue('code', `${dir} is not a directory`);
  walk(dir);
  return zipSync(files, { level: 6 });
}

/** Resolves any CodeInput to zip bytes. */
export function codeToZip(code: CodeInput): Uint8Array {
  if ('zip' in code) return code.zip;
  if ('zipBase64' in code) {
    const b64 = code.zipBase64.startsWith('@') ? code.zipBase64.slice(1) : code.zipBase64;
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b64)) {
      throw new ScfError('InvalidParameterValue', 'ZipFile is not valid base64', {
        field: 'zipFile',
        rule: RULE.zipBase64,
      });
    }
    return Buffer.from(b64, 'base64');
  }
  if ('zipFile' in code) {
    try {
      return readFileSync(code.zipFile);
    } catch (err) {
      throw new ScfError('InvalidParameterValue', `cannot read zip file ${code.zipFile}`, {
        field: 'zipFile',
        cause: err,
      });
    }
  }
  return zipDirectory(code.directory);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Caps on what a code package may unpack to (config `functions.*`). */
export interface ExtractLimits {
  /** Largest total of the entries' actual (inflated) bytes. */
  maxUnpackedBytes: number;
  /** Most entries (files and folders). */
  maxFiles: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = {
  maxUnpackedBytes: MAX_UNPACKED_BYTES,
  maxFiles: 20_000,
};

/** Zip bytes pushed to the streaming unzipper at a time (bounds its recursion and each inflate step). */
const PUSH_CHUNK = 64 * 1024;

/**
 * Extracts a zip into `dest` (created) on the calling thread, streaming: each entry is inflated in chunks
 * and written as it comes, and the bytes actually inflated are counted (a zip's declared sizes are not
 * trusted), so a bomb stops at `maxUnpackedBytes` having held at most one chunk. Refuses entries that
 * escape `dest`. On refusal `dest` may hold a partial extraction: the caller removes it (the registry
 * extracts into a staging folder). Use `extractZipOffThread` for packages that arrive over the API.
 */
export function extractZip(
  zip: Uint8Array,
  dest: string,
  limits: ExtractLimits = DEFAULT_EXTRACT_LIMITS,
): void {
  if (zip.byteLength > MAX_ZIP_BYTES) {
    throw invalidValue('zipFile', `code package is ${zip.byteLength} bytes, more than ${MAX_ZIP_BYTES}`);
  }
  mkdirSync(dest, { recursive: true });
  let unpacked = 0;
  let entries = 0;
  let failure: ScfError | undefined;
  const open = new Set<number>();
  const notZip = (cause: unknown): ScfError =>
    new ScfError('InvalidParameterValue', 'code package is not a valid zip file', {
      field: 'zipFile',
      cause,
    });
  const unzip = new Unzip((file) => {
    if (failure) return;
    entries += 1;
    if (entries > limits.maxFiles) {
      failure = invalidValue('zipFile', `code package holds more than ${limits.maxFiles} entries`);
      return;
    }
    const target = normalize(join(dest, file.name));
    if (target !== dest && !target.startsWith(dest + sep)) {
      failure = invalidValue('zipFile', `zip entry ${JSON.stringify(file.name)} points outside the package`);
      return;
    }
    if (file.name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      return;
    }
    // An honest header that already says too much is refused before anything is inflated; sizes that lie
    // are caught by the count below.
    if (file.originalSize !== undefined && unpacked + file.originalSize > limits.maxUnpackedBytes) {
      failure = invalidValue('zipFile', `code package unpacks to more than ${limits.maxUnpackedBytes} bytes`);
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
    const fd = openSync(target, 'w');
    open.add(fd);
    const closeFd = (): void => {
      if (open.delete(fd)) closeSync(fd);
    };
    file.ondata = (err, chunk, final) => {
      if (failure) return;
      if (err) {
        failure = notZip(err);
        closeFd();
        return;
      }
      unpacked += chunk.byteLength;
      if (unpacked > limits.maxUnpackedBytes) {
        failure = invalidValue(
          'zipFile',
          `code package unpacks to more than ${limits.maxUnpackedBytes} bytes`,
        );
        closeFd();
        file.terminate();
        return;
      }
      writeSync(fd, chunk);
      if (final) closeFd();
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for (let at = 0; at < zip.byteLength && !failure; at += PUSH_CHUNK) {
      const end = Math.min(at + PUSH_CHUNK, zip.byteLength);
      unzip.push(zip.subarray(at, end), end === zip.byteLength);
    }
    if (zip.byteLength === 0) unzip.push(new Uint8Array(0), true);
  } catch (err) {
    failure ??= notZip(err);
  } finally {
    for (const fd of open) closeSync(fd);
    open.clear();
  }
  if (failure) throw failure;
  if (entries === 0) throw notZip(undefined);
  applyExecutableModes(zip, dest);
}

/**
 * Names of the entries a zip marks executable (made on Unix, `x` in their permissions), read from its
 * central directory (the streaming unzipper does not report permissions). A zip without Unix permissions
 * (made on Windows, say) marks none. Zip64 archives are not read (a code package is at most 50 MB).
 */
export function executableEntries(zip: Uint8Array): string[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end-of-central-directory record: the last 22 bytes, or further back by its comment's length.
  let eocd = -1;
  for (let at = zip.byteLength - 22; at >= Math.max(0, zip.byteLength - 22 - 65_535); at--) {
    if (view.getUint32(at, true) === 0x06054b50) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) return [];
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const out: string[] = [];
  for (let i = 0; i < count && at + 46 <= zip.byteLength; i++) {
    if (view.getUint32(at, true) !== 0x02014b50) break;
    const madeOn = view.getUint8(at + 5);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const mode = view.getUint32(at + 38, true) >>> 16;
    const name = Buffer.from(zip.subarray(at + 46, at + 46 + nameLength)).toString('utf8');
    if (madeOn === 3 && (mode & 0o111) !== 0 && !name.endsWith('/')) out.push(name);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

/**
 * Gives the extracted files the zip marks executable their `x` bits back (0755), and `scf_bootstrap` at
 * the top always: SCF's Custom Runtime starts it, and a zip made where permissions are not kept (Windows)
 * would otherwise hold a bootstrap nothing can start.
 */
function applyExecutableModes(zip: Uint8Array, dest: string): void {
  const names = new Set(executableEntries(zip));
  if (existsSync(join(dest, 'scf_bootstrap'))) names.add('scf_bootstrap');
  for (const name of names) {
    const target = normalize(join(dest, name));
    if (!target.startsWith(dest + sep)) continue;
    try {
      chmodSync(target, 0o755);
    } catch {
      // Not extracted (a name the zip repeats, say): nothing to mark.
    }
  }
}

/** What the extraction worker answers. */
export type ExtractReply = { ok: true } | { ok: false; code: ErrorCode; message: string; field?: string };

/**
 * `extractZip` in a worker thread, so a large or hostile package never stalls the event loop (and a
 * bomb's inflating happens off it). Resolves when every file is written; rejects with the worker's coded
 * error, or InternalError when the worker dies.
 */
export function extractZipOffThread(zip: Uint8Array, dest: string, limits: ExtractLimits): Promise<void> {
  if (zip.byteLength > MAX_ZIP_BYTES) {
    return Promise.reject(
      invalidValue('zipFile', `code package is ${zip.byteLength} bytes, more than ${MAX_ZIP_BYTES}`),
    );
  }
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(new URL('./unzip-worker.js', import.meta.url), {
      workerData: { zip, dest, limits },
      // Inflating streams through small buffers: a worker that needs more is broken, not busy.
      resourceLimits: { maxOldGenerationSizeMb: 128 },
    });
    let settled = false;
    worker.once('message', (reply: ExtractReply) => {
      settled = true;
      if (reply.ok) resolvePromise();
      else
        reject(
          new ScfError(reply.code, reply.message, reply.field === undefined ? {} : { field: reply.field }),
        );
    });
    worker.once('error', (err) => {
      if (settled) return;
      settled = true;
      reject(new ScfError('InternalError', 'code extraction failed', { cause: err }));
    });
    worker.once('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new ScfError('InternalError', `code extraction worker exited with code ${code}`));
    });
  });
}

/** GetFunction's ShowCode shows an entry file up to this size; a larger one is not shown (as SCF). */
export const MAX_SHOWN_ENTRY_BYTES = 1024 * 1024;

/**
 * The source of a function's entry file in its package, as GetFunction's `ShowCode` shows it: the handler's
 * file (`index.main_handler` -> `index.js`, `.mjs` or `.cjs` for Node.js, `index.py` for Python), or
 * `scf_bootstrap` for a Custom Runtime or web function. '' when the package has no such file or it is over
 * MAX_SHOWN_ENTRY_BYTES.
 */
export function entrySource(
  zip: Uint8Array,
  fn: { handler: string; runtime: string; type?: string },
): string {
  const base = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
  const candidates =
    fn.type === 'HTTP' || fn.runtime === 'CustomRuntime'
      ? ['scf_bootstrap']
      : fn.runtime.startsWith('Python')
        ? [`${base}.py`]
        : [`${base}.js`, `${base}.mjs`, `${base}.cjs`];
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(zip, {
      filter: (f) => candidates.includes(f.name) && f.originalSize <= MAX_SHOWN_ENTRY_BYTES,
    });
  } catch {
    return '';
  }
  for (const name of candidates) {
    const data = files[name];
    if (data && data.byteLength <= MAX_SHOWN_ENTRY_BYTES) return Buffer.from(data).toString('utf8');
  }
  return '';
}
