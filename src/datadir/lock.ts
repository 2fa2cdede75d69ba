/**
 * One server per data folder: an exclusive `flock(2)` on `<dataDir>/scf-local.lock`, taken before anything
 * else in the folder is opened and held for the life of the platform.
 *
 * Why flock: the kernel holds the lock for the open file, so it is released whenever the holder goes away,
 * however (close, exit, crash, `kill -9`): no stale lock to detect or break, no pid to validate against
 * reuse, no race between two starters deciding a lock is stale. flock locks belong to the open file
 * description, not to the process, so a second platform in the same process is refused too (POSIX `fcntl`
 * locks would let it through). Node has no flock of its own; `fs-ext` is a small, long-lived native
 * binding that provides it. Node opens files close-on-exec, so function processes never inherit the lock.
 * Local file systems only: flock over NFS is not reliable.
 *
 * The lock file holds the holder's pid (written once the lock is held) for the refusal message; the file is
 * never deleted, since deleting a locked file lets a third process lock a new file of the same name.
 */
import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ScfError } from '../errors/index.js';

export const LOCK_FILE = 'scf-local.lock';

interface FsExt {
  flockSync(fd: number, flags: 'exnb' | 'un'): void;
}
const { flockSync } = createRequire(import.meta.url)('fs-ext') as FsExt;

/** What the lock file says about its holder. */
export interface LockHolder {
  pid: number;
  /** Epoch ms when it took the lock. */
  since: number;
}

export interface DataDirLock {
  /** The lock file. */
  readonly path: string;
  /** Releases the lock (and clears the holder's pid). Idempotent. */
  release(): void;
}

/**
 * Takes the data folder's lock, or throws ScfError `DataDirInUse` naming the holder's pid (without changing
 * anything but creating the lock file if it did not exist). The folder must exist.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, LOCK_FILE);
  const fd = openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    flockSync(fd, 'exnb');
  } catch (err) {
    closeSync(fd);
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EAGAIN' && code !== 'EWOULDBLOCK') {
      throw new ScfError('InternalError', `cannot lock the data folder (${path}): ${String(code)}`, {
        cause: err,
      });
    }
    const holder = readHolder(path);
    const who = holder ? `pid ${holder.pid}` : 'a process that is still starting';
    throw new ScfError(
      'DataDirInUse',
      `data folder ${dataDir} is in use by another scf-local server (${who}); stop it, or give this one another data folder`,
    );
  }
  // Ours now: say who holds it. Written in place (one small write at offset 0 after a truncate), so a
  // refused starter reads either nothing or the whole line.
  ftruncateSync(fd, 0);
  const holder: LockHolder = { pid: process.pid, since: Date.now() };
  writeSync(fd, `${JSON.stringify(holder)}\n`, 0);
  let released = false;
  return {
    path,
    release(): void {
      if (released) return;
      released = true;
      try {
        ftruncateSync(fd, 0);
      } finally {
        closeSync(fd); // closing the last descriptor of the open file releases the flock
      }
    },
  };
}

/** The holder named in a lock file, or undefined when it names none (being written, or released). */
export function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.since === 'number'
      ? { pid: h.pid, since: h.since }
      : undefined;
  } catch {
    // Empty (the holder is between taking the lock and writing its pid) or unreadable: no name to give.
    return undefined;
  }
}
