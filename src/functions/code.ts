/**
 * Code packages: a function's code is kept as the zip it arrived as (for GetFunction ShowCode) and as an
 * extracted folder the runtime runs from. Directories are zipped on deploy so both paths are the same.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { unzipSync, type Zippable, zipSync } from 'fflate';
import { invalidValue, ScfError } from '../errors/index.js';
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
      else if (entry.isFile()) files[relative(dir, p).split(sep).join('/')] = readFileSync(p);
    }
  };
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new ScfError('InvalidParameterValue', `code directory ${dir} does not exist`, {
      field: 'Code',
      cause: err,
    });
  }
  if (!st.isDirectory()) throw invalidValue('Code', `${dir} is not a directory`);
  walk(dir);
  return zipSync(files, { level: 6 });
}

/** Resolves any CodeInput to zip bytes. */
export function codeToZip(code: CodeInput): Uint8Array {
  if ('zip' in code) return code.zip;
  if ('zipBase64' in code) {
    const b64 = code.zipBase64.startsWith('@') ? code.zipBase64.slice(1) : code.zipBase64;
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b64))
      throw invalidValue('ZipFile', 'ZipFile is not valid base64');
    return Buffer.from(b64, 'base64');
  }
  if ('zipFile' in code) {
    try {
      return readFileSync(code.zipFile);
    } catch (err) {
      throw new ScfError('InvalidParameterValue', `cannot read zip file ${code.zipFile}`, {
        field: 'ZipFile',
        cause: err,
      });
    }
  }
  return zipDirectory(code.directory);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Extracts a zip into `dest` (created), refusing entries that escape it and oversized packages. */
export function extractZip(zip: Uint8Array, dest: string): void {
  if (zip.byteLength > MAX_ZIP_BYTES) {
    throw invalidValue('ZipFile', `code package is ${zip.byteLength} bytes, more than ${MAX_ZIP_BYTES}`);
  }
  let entries: Record<string, Uint8Array>;
  let unpacked = 0;
  try {
    entries = unzipSync(zip, {
      filter: (f) => {
        unpacked += f.originalSize;
        if (unpacked > MAX_UNPACKED_BYTES) throw new Error('too large');
        return true;
      },
    });
  } catch (err) {
    if (unpacked > MAX_UNPACKED_BYTES) {
      throw invalidValue('ZipFile', `code package unpacks to more than ${MAX_UNPACKED_BYTES} bytes`);
    }
    throw new ScfError('InvalidParameterValue', 'code package is not a valid zip file', {
      field: 'ZipFile',
      cause: err,
    });
  }
  mkdirSync(dest, { recursive: true });
  for (const [name, data] of Object.entries(entries)) {
    const target = normalize(join(dest, name));
    if (target !== dest && !target.startsWith(dest + sep)) {
      throw invalidValue('ZipFile', `zip entry ${JSON.stringify(name)} points outside the package`);
    }
    if (name.endsWith('/')) {
      mkdirSync(target, { recursive: true });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
  }
}
