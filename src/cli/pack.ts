/**
 * The code package `deploy` uploads: which files go in, whether the handler's file is among them, and the
 * zip itself.
 *
 * - Files: everything under the folder, in name order, but version control and scf-local's own data;
 *   `node_modules` is kept (functions need it). Symbolic links are followed, but not back up the tree.
 * - The handler's file is looked for as the Node runtime resolves it (`src/runtime/node/bootstrap.ts`), so a
 *   package the runtime could not load is refused before it is uploaded instead of failing at its first
 *   invocation.
 * - The zip is made as a stream with a cap: when the server says what it takes, zipping stops as soon as
 *   the zip passes that, having read no more of the folder than it took to get there, and held no more
 *   than the cap (a 220 MB folder fails in a moment, not after zipping all of it).
 */
import { randomUUID } from 'node:crypto';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  statSync,
} from 'node:fs';
import Module, { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Zip, ZipDeflate } from 'fflate';
import { ScfError } from '../errors/index.js';
import { validateFunctionName } from '../functions/validate.js';

/** Never packaged: version control and scf-local's own data. */
const SKIP = new Set(['.git', '.hg', '.svn', '.scf-local', '.DS_Store']);

/**
 * True when a path relative to a function folder (`/`- or platform-separated) is not part of its package:
 * it is, or is inside, one of the entries packaging skips. `dev` watches by the same rule.
 */
export function outsidePackage(relativePath: string): boolean {
  return relativePath.split(/[\\/]/).some((part) => SKIP.has(part));
}

/** Bytes of a file read and compressed at a time. */
const READ_CHUNK = 1024 * 1024;
const KB = 1024;
const MB = 1024 * 1024;

/**
 * A size as the CLI writes every size: MB (1 MB = 1,048,576 bytes) with one decimal, or KB (1,024 bytes)
 * below 1 MB. The same number of bytes is always written the same way.
 */
export function formatSize(bytes: number): string {
  const kb = (bytes / KB).toFixed(1);
  // Just under 1 MB rounds to "1024.0 KB": that is "1.0 MB".
  return Number(kb) >= 1024 ? `${(bytes / MB).toFixed(1)} MB` : `${kb} KB`;
}

export interface PackageFile {
  /** Where it is read from. */
  path: string;
  /** Its name in the zip: relative to the folder, `/`-separated. */
  name: string;
  size: number;
  /** Unix permission bits (kept in the zip, so an executable `scf_bootstrap` stays one). */
  mode: number;
}

export interface PackageList {
  dir: string;
  files: PackageFile[];
  /** The files' sizes added up. */
  bytes: number;
}

/** Checks that `dir` is a folder (a usage error otherwise). */
export function assertDirectory(dir: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new ScfError('InvalidParameter', `${dir} does not exist`, { cause: err });
  }
  if (!st.isDirectory()) throw new ScfError('InvalidParameter', `${dir} is not a directory`);
}

/** The files a package of `dir` holds, by name, with their sizes (nothing is read yet). */
export function listPackage(dir: string): PackageList {
  assertDirectory(dir);
  const files: PackageFile[] = [];
  let bytes = 0;
  /** `ancestors`: the real paths of the folders being walked, to not follow a link back up the tree. */
  const walk = (abs: string, prefix: string, ancestors: ReadonlySet<string>): void => {
    const entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      if (SKIP.has(entry.name)) continue;
      const path = join(abs, entry.name);
      const name = `${prefix}${entry.name}`;
      let st: { isDirectory(): boolean; isFile(): boolean } | undefined = entry.isSymbolicLink()
        ? undefined
        : entry;
      let size: number | undefined;
      let mode: number | undefined;
      if (!st) {
        try {
          const target = statSync(path);
          st = target;
          size = target.size;
          mode = target.mode;
        } catch (err) {
          throw new ScfError('InvalidParameter', `${path} is a symbolic link to nothing`, { cause: err });
        }
      }
      if (st.isDirectory()) {
        // A link to a folder that holds it would never end: left out.
        const real = realpathSync(path);
        if (ancestors.has(real)) continue;
        walk(path, `${name}/`, new Set([...ancestors, real]));
      } else if (st.isFile()) {
        if (size === undefined || mode === undefined) ({ size, mode } = statSync(path));
        files.push({ path, name, size, mode: mode & 0o777 });
        bytes += size;
      }
      // Anything else (a FIFO, a socket, a device) holds no code: left out, as before.
    }
  };
  walk(dir, '', new Set([realpathSync(dir)]));
  if (files.length === 0) throw new ScfError('InvalidParameter', `${dir} holds no files to deploy`);
  return { dir, files, bytes };
}

/**
 * The function name a folder gives when `--name` is not: its own name, when that is a valid SCF function
 * name (as the registry checks it). Throws a usage error saying so otherwise.
 */
export function defaultFunctionName(dir: string): string {
  const name = basename(dir);
  try {
    return validateFunctionName(name);
  } catch (err) {
    throw new ScfError(
      'InvalidParameter',
      `give the function's name with --name: the folder's name ${JSON.stringify(name)} is not a valid function ` +
        'name (2-60 letters, digits, - and _, starting with a letter and not ending with - or _)',
      { cause: err },
    );
  }
}

/**
 * Node's cache of what a request resolved to (`Module._pathCache`: request and lookup folders -> file).
 * It lives as long as the process and is never checked again, which a one-shot `deploy` never notices but
 * `dev`, deploying the same folder again and again, does: a handler file removed since the last deploy
 * would still be "found". Internal to Node (there since its first releases); without it there is nothing
 * to clear.
 */
const resolvedPaths = (Module as unknown as { _pathCache?: Record<string, string> })._pathCache;

/** True when `request` resolves from `req` to a file that is there now (see `resolvedPaths`). */
function resolvesNow(req: NodeJS.Require, request: string): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    let found: string;
    try {
      found = req.resolve(request);
    } catch {
      return false;
    }
    if (existsSync(found)) return true;
    // Resolved earlier in this process, and gone since: forget it, and resolve it afresh once.
    if (!resolvedPaths) return false;
    for (const key of Object.keys(resolvedPaths)) {
      if (key.startsWith(`${request}\u0000`)) delete resolvedPaths[key];
    }
  }
  return false;
}

/** True when the handler's file is there as the Python bootstrap imports it: `<file>.py` or a package. */
function pythonHandlerFile(dir: string, file: string): boolean {
  return existsSync(join(dir, `${file}.py`)) || existsSync(join(dir, file, '__init__.py'));
}

/** True when `dir` holds an executable `scf_bootstrap` (SCF's Custom Runtime entry). */
function hasBootstrap(dir: string): boolean {
  try {
    accessSync(join(dir, 'scf_bootstrap'), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The runtime a new function gets when `deploy` is not told one: undefined (the server's default,
 * Nodejs18.15) when the handler's file is a Node one; else Python3.9 when it is a Python one; else
 * CustomRuntime when the folder has an executable `scf_bootstrap`.
 */
export function inferRuntime(dir: string, handler: string): string | undefined {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const file = handler.slice(0, dot);
  const req = createRequire(join(dir, '__scf_deploy_check__.js'));
  if (resolvesNow(req, `./${file}`) || resolvesNow(req, `./${file}.mjs`)) return undefined;
  if (pythonHandlerFile(dir, file)) return 'Python3.9';
  return hasBootstrap(dir) ? 'CustomRuntime' : undefined;
}

/**
 * Throws a usage error naming the missing file when the handler's file is not in `dir`. The file is looked
 * for as the runtime's bootstrap looks for it. Node: `require.resolve('./<file>')` from the code folder
 * (`<file>`, `<file>.js`, `.json`, `.node`, or a folder with `package.json` "main" or `index.js`), then
 * `./<file>.mjs`. Python: `<file>.py`, or `<file>/__init__.py`. Whether it defines the handler's function
 * is only known by running it.
 */
export function checkHandlerFile(dir: string, handler: string, runtime = 'Nodejs18.15'): void {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) return; // Not file.function: the server refuses it with its own message.
  if (runtime === 'CustomRuntime') {
    if (hasBootstrap(dir)) return;
    throw new ScfError(
      'InvalidParameter',
      `a CustomRuntime function starts ./scf_bootstrap, and ${dir} has no executable scf_bootstrap. Add it (chmod +x), or choose another --runtime`,
    );
  }
  const file = handler.slice(0, dot);
  const python = runtime.startsWith('Python');
  if (python && pythonHandlerFile(dir, file)) return;
  const req = createRequire(join(dir, '__scf_deploy_check__.js'));
  for (const candidate of python ? [] : [`./${file}`, `./${file}.mjs`]) {
    if (resolvesNow(req, candidate)) return;
    // Not this one: try the next as the runtime does; none found is reported below.
  }
  const base = basename(file);
  let near: string[] = [];
  try {
    near = readdirSync(join(dir, dirname(file))).filter((n) => n.startsWith(`${base}.`));
  } catch {
    // The handler's folder does not exist either: nothing near it to point at.
  }
  const hint =
    near.length > 0 ? `; it has ${near.join(', ')}, which the runtime does not load as ${file}` : '';
  throw new ScfError(
    'InvalidParameter',
    `handler ${handler} needs ${python ? `${file}.py` : `${file}.js or ${file}.mjs`} in ${dir} (${runtime}), and there is none${hint}. ` +
      `Add it, or name the handler's file with --handler <file>.<function> (e.g. "src/app.main_handler" for src/app.${python ? 'py' : 'js'})`,
  );
}

/** How far zipping had got when it stopped. */
export interface ZipProgress {
  /** Bytes of zip made. */
  zipBytes: number;
  /** Bytes of files read. */
  readBytes: number;
  /** Files started. */
  files: number;
}

export interface ZipCap {
  /** The most zip bytes the server takes. */
  maxBytes: number;
  /** The error to throw once the zip passes `maxBytes`. */
  tooLarge(progress: ZipProgress): ScfError;
}

/**
 * Zips the listed files (deflate level 6, as the server's own packages), reading each in 1 MB chunks.
 * With a cap, stops as soon as the zip passes it and throws `cap.tooLarge`.
 */
export function zipPackage(list: PackageList, cap?: ZipCap): Buffer {
  const out: Uint8Array[] = [];
  const progress: ZipProgress = { zipBytes: 0, readBytes: 0, files: 0 };
  let failure: Error | undefined;
  const zip = new Zip((err, chunk) => {
    if (err) failure ??= err;
    else {
      out.push(chunk);
      progress.zipBytes += chunk.byteLength;
    }
  });
  const check = (): void => {
    if (failure) throw new ScfError('InternalError', 'zipping the package failed', { cause: failure });
    if (cap && progress.zipBytes > cap.maxBytes) {
      zip.terminate();
      out.length = 0;
      throw cap.tooLarge({ ...progress });
    }
  };
  const buf = Buffer.allocUnsafe(READ_CHUNK);
  for (const file of list.files) {
    const entry = new ZipDeflate(file.name, { level: 6 });
    entry.os = 3;
    entry.attrs = file.mode << 16;
    zip.add(entry);
    progress.files += 1;
    let fd: number;
    try {
      fd = openSync(file.path, 'r');
    } catch (err) {
      zip.terminate();
      throw new ScfError('InvalidParameter', `cannot read ${file.path}`, { cause: err });
    }
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, READ_CHUNK, null);
        progress.readBytes += n;
        // The deflater copies what it is given, so the one read buffer can be reused.
        entry.push(buf.subarray(0, n), n === 0);
        check();
        if (n === 0) break;
      }
    } finally {
      closeSync(fd);
    }
  }
  zip.end();
  check();
  return Buffer.concat(out, progress.zipBytes);
}

/** A request body with a zip in it as base64, split around where the zip goes. */
export interface UploadFrame {
  prefix: Buffer;
  suffix: Buffer;
}

/**
 * The JSON of `params` with the zip's place marked (`params` holds `zipPlace` where the base64 goes), so
 * the request's size is known before the zip is made, and the body is assembled without holding the
 * base64 text, the JSON text and the body at once.
 */
export function uploadFrame(buildParams: (zipPlace: string) => Record<string, unknown>): UploadFrame {
  const place = `zip-${randomUUID()}`;
  const json = JSON.stringify(buildParams(place));
  const at = json.indexOf(place);
  if (at < 0 || json.indexOf(place, at + 1) >= 0) {
    throw new ScfError('InternalError', 'the upload parameters must hold the zip exactly once');
  }
  return {
    prefix: Buffer.from(json.slice(0, at), 'utf8'),
    suffix: Buffer.from(json.slice(at + place.length), 'utf8'),
  };
}

/** The most zip bytes a body of at most `maxBodyBytes` can carry in `frame` (base64: 4 bytes per 3). */
export function maxZipInBody(frame: UploadFrame, maxBodyBytes: number): number {
  const room = maxBodyBytes - frame.prefix.byteLength - frame.suffix.byteLength;
  return room <= 0 ? 0 : 3 * Math.floor(room / 4);
}

/** The size of the body carrying `zipBytes` of zip in `frame`. */
export function bodySize(frame: UploadFrame, zipBytes: number): number {
  return frame.prefix.byteLength + 4 * Math.ceil(zipBytes / 3) + frame.suffix.byteLength;
}

/** The request body: the frame with the zip written into it as base64. */
export function assembleBody(frame: UploadFrame, zip: Uint8Array): Buffer {
  const body = Buffer.allocUnsafe(bodySize(frame, zip.byteLength));
  let at = frame.prefix.copy(body, 0);
  // A multiple of 3 bytes encodes without padding, so the slices' base64 joins into the whole one's.
  const slice = 3 * MB;
  for (let i = 0; i < zip.byteLength; i += slice) {
    const part = Buffer.from(zip.buffer, zip.byteOffset + i, Math.min(slice, zip.byteLength - i));
    at += body.write(part.toString('base64'), at, 'latin1');
  }
  frame.suffix.copy(body, at);
  return body;
}
