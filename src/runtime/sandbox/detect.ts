/**
 * Finding out, once at start-up, whether function instances can be isolated here: bubblewrap (`bwrap`) must
 * exist and actually create the namespaces (it cannot in some containers), and slirp4netns gives the
 * sandbox outbound networking without the host's loopback. The answer decides `runtime.sandbox: "auto"`
 * and is shown by `scf-local serve` and `/healthz`.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ScfError } from '../../errors/index.js';

export type SandboxMode = 'auto' | 'required' | 'off';
export type SandboxNetwork = 'slirp' | 'none';

export interface SandboxProbe {
  /** Absolute path of `bwrap`, when it exists and created a sandbox here. */
  bwrap: string | undefined;
  /** Absolute path of `slirp4netns`, when it exists. */
  slirp4netns: string | undefined;
  /** Why the sandbox cannot be used (when `bwrap` is undefined). */
  problem: string | undefined;
}

/** The first executable called `name` on PATH (as the server sees it). */
export function which(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here: try the next folder.
    }
  }
  return undefined;
}

/** The uid/gid a sandboxed instance runs as, seen from the host: never root. */
export function sandboxIds(uid: number): { uid: number; gid: number } | undefined {
  // As root, bwrap is started as the unprivileged user (it then builds its namespaces as that user, like
  // rootless Podman); anyone else is already unprivileged and keeps their own ids.
  return process.getuid?.() === 0 ? { uid, gid: uid } : undefined;
}

let setprivPath: string | null | undefined;

/**
 * `setpriv` (util-linux), when present: a plain instance is started through `setpriv --pdeathsig KILL`, so
 * the kernel kills it when the server dies, even while it is stopped (frozen) or spinning in a loop — what
 * `bwrap --die-with-parent` does for a sandboxed one. Looked up once per process.
 */
export function findSetpriv(): string | undefined {
  if (setprivPath === undefined) setprivPath = which('setpriv') ?? null;
  return setprivPath ?? undefined;
}

let cached: SandboxProbe | undefined;

/**
 * Probes once per process: `bwrap --unshare-all ... true` as the sandbox user. Synchronous (tens of ms,
 * once, at start-up) so a runtime can be created without awaiting.
 */
export function probeSandbox(uid: number): SandboxProbe {
  if (cached) return cached;
  const bwrap = which('bwrap');
  const slirp4netns = which('slirp4netns');
  if (!bwrap) {
    cached = { bwrap: undefined, slirp4netns, problem: 'bubblewrap (bwrap) is not installed' };
    return cached;
  }
  const ids = sandboxIds(uid);
  const r = spawnSync(
    bwrap,
    [
      '--unshare-all',
      '--unshare-user',
      '--die-with-parent',
      '--cap-drop',
      'ALL',
      '--ro-bind',
      '/usr',
      '/usr',
      '--symlink',
      'usr/lib',
      '/lib',
      '--symlink',
      'usr/lib64',
      '/lib64',
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--',
      '/usr/bin/true',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000, ...(ids ?? {}) },
  );
  if (r.status === 0) {
    cached = { bwrap, slirp4netns, problem: undefined };
  } else {
    const why = r.error ? r.error.message : r.stderr.toString('utf8').trim() || `exit ${r.status}`;
    cached = { bwrap: undefined, slirp4netns, problem: `bubblewrap cannot create a sandbox here: ${why}` };
  }
  return cached;
}

/** Throws a coded error when bubblewrap cannot sandbox instances here (`runtime.sandbox: "required"`). */
export function assertSandbox(uid: number): void {
  const probe = probeSandbox(uid);
  if (!probe.bwrap) {
    throw new ScfError(
      'InternalError',
      `runtime.sandbox is "required" but ${probe.problem ?? 'bubblewrap is unavailable'}`,
    );
  }
}
