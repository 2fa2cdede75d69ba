/**
 * How one function instance is put in a bubblewrap sandbox. Per instance: its own user, pid, mount, ipc,
 * uts, cgroup and network namespaces; an unprivileged uid/gid with every capability dropped and
 * no_new_privs; the system's `/usr` and a few files of `/etc` read-only; the runtime's own files read-only at
 * `/var/runtime`; the function's code read-only at `/var/user` (SCF's path); a private, size-bounded `/tmp`
 * that dies with the instance; a fresh `/proc` that shows only the sandbox's processes. Nothing of the data
 * folder, the credentials, other functions or the server's processes exists inside.
 *
 * bwrap runs as the unprivileged user, so everything it mounts must be reachable by that user: the
 * launcher's own folder (a temp folder, or `<dataDir>/run` when every folder above it is open to others)
 * holds a copy of the bootstrap's files, the sandbox's /etc and one "slot" per instance, which is filled
 * with hard links to the function's code (a copy across file systems) and mounted at `/var/user`. The data
 * folder itself is never mounted and need not be reachable.
 *
 * bwrap's own small init is PID 1 of the namespace and the function's process PID 2 (so it is an ordinary
 * process: signals it sends itself act as anywhere else). When the function's process ends, the init ends
 * and the kernel kills every process left in the namespace, setsid or not; `--die-with-parent` ties the
 * sandbox to bwrap and bwrap to the server.
 *
 * Stem cells (processes started before their function is known) get an empty slot; binding them fills it
 * (`fillSlot`), and the bind mount shows the code at once.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { SandboxNetwork } from './detect.js';

/** Where the function's code is, inside the sandbox (SCF's own path). */
export const CODE_MOUNT = '/var/user';
/** Where the runtime's bootstrap is, inside the sandbox. */
export const RUNTIME_MOUNT = '/var/runtime';

export interface LauncherOptions {
  bwrap: string;
  network: SandboxNetwork;
  /** Size of the private /tmp, bytes. */
  tmpBytes: number;
  /**
   * Host folder of the runtime (`dist/src/runtime`), and the files the bootstraps need, as paths relative
   * to it; each is copied to the same path under `/var/runtime`.
   */
  runtimeDir: string;
  runtimeFiles: readonly string[];
  /** The interpreters (node, python3); each is bound read-only with its install prefix when not under /usr. */
  binaries: readonly string[];
  /**
   * Folder for the launcher's own files (slots, /etc, the bootstrap); created if missing. It and every
   * folder above it must be open to others (`o+x`) when bwrap runs as another user. Default: a temp folder.
   */
  workDir?: string | undefined;
}

/** What `Instance` needs to spawn a sandboxed process. */
export interface LaunchPlan {
  file: string;
  args: string[];
  /** Index in the stdio array of the info pipe (bwrap writes the child's pid there). */
  infoFd: number;
  /** Index in the stdio array of the block pipe (the child waits for a byte there), when there is one. */
  blockFd: number | undefined;
  /** The instance's code slot (removed when the instance dies). */
  slot: string;
}

interface FsExt {
  fcntlSync(fd: number, cmd: 'getfd' | 'setfd', arg?: number): number;
}
const { fcntlSync } = createRequire(import.meta.url)('fs-ext') as FsExt;
/** FD_CLOEXEC of fcntl(2) (1 on Linux). */
const FD_CLOEXEC = 1;

/**
 * Marks every descriptor of this process above stdio close-on-exec. Node, libuv and SQLite open their own
 * that way, so the only ones without it are those the server inherited (from a shell, a supervisor, a test
 * runner): a child process would inherit them in turn, and bwrap passes them into the sandbox (its init
 * and the function's process), where a function could read or write them. A readdir and one fcntl per
 * descriptor, before each sandbox is spawned.
 */
export function closeInheritedOnExec(): void {
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return;
  }
  for (const name of fds) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      const flags = fcntlSync(fd, 'getfd');
      if ((flags & FD_CLOEXEC) === 0) fcntlSync(fd, 'setfd', flags | FD_CLOEXEC);
    } catch {
      // Closed meanwhile (the readdir's own descriptor among them).
    }
  }
}

/** The minimal /etc of a sandbox: names resolve, `nobody` exists, nothing of the host's users is shown. */
function etcFiles(network: SandboxNetwork): Record<string, string> {
  return {
    hosts: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
    // slirp4netns answers DNS on 10.0.2.3 (forwarding to the host's resolvers).
    'resolv.conf': network === 'slirp' ? 'nameserver 10.0.2.3\n' : '',
    'nsswitch.conf': 'passwd: files\ngroup: files\nhosts: files dns\n',
    passwd: 'root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/tmp:/usr/sbin/nologin\n',
    group: 'root:x:0:\nnogroup:x:65534:\n',
  };
}

export class SandboxLauncher {
  readonly #opts: LauncherOptions;
  readonly #workDir: string;
  readonly #ownWorkDir: boolean;
  readonly #etcDir: string;
  readonly #slotsDir: string;
  #closed = false;

  constructor(opts: LauncherOptions) {
    this.#opts = opts;
    if (opts.workDir) {
      this.#workDir = opts.workDir;
      this.#ownWorkDir = false;
      mkdirSync(this.#workDir, { recursive: true, mode: 0o711 });
    } else {
      this.#workDir = mkdtempSync(join(tmpdir(), 'scf-local-sandbox-'));
      this.#ownWorkDir = true;
      chmodSync(this.#workDir, 0o711);
    }
    this.#etcDir = join(this.#workDir, 'etc');
    this.#slotsDir = join(this.#workDir, 'slots');
    // Slots of a previous run (a crash leaves them): nothing uses them any more.
    rmSync(this.#slotsDir, { recursive: true, force: true });
    mkdirSync(this.#slotsDir, { recursive: true, mode: 0o711 });
    mkdirSync(this.#etcDir, { recursive: true, mode: 0o755 });
    chmodSync(this.#etcDir, 0o755);
    for (const [name, text] of Object.entries(etcFiles(opts.network))) {
      writeFileSync(join(this.#etcDir, name), text, { mode: 0o644 });
      chmodSync(join(this.#etcDir, name), 0o644);
    }
    // UTC, as the environment's TZ says: without it, setting TZ makes ICU search all of /usr/share/zoneinfo.
    rmSync(join(this.#etcDir, 'localtime'), { force: true });
    symlinkSync('/usr/share/zoneinfo/UTC', join(this.#etcDir, 'localtime'));
    // Mount points for the host's certificate folders (TLS from functions).
    for (const d of ['ssl', 'ca-certificates']) mkdirSync(join(this.#etcDir, d), { recursive: true });
    // The bootstrap's own files, as ES modules.
    const rt = join(this.#workDir, 'runtime');
    mkdirSync(rt, { recursive: true, mode: 0o755 });
    chmodSync(rt, 0o755);
    writeFileSync(join(rt, 'package.json'), '{ "type": "module" }\n', { mode: 0o644 });
    for (const f of opts.runtimeFiles) {
      // A file the build did not put there (`tsc` alone does not copy the Python bootstrap) is left out:
      // that language's instances then fail to start, saying which file is missing, and the others run.
      if (!existsSync(join(opts.runtimeDir, f))) continue;
      const dir = dirname(join(rt, f));
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      chmodSync(dir, 0o755);
      copyFileSync(join(opts.runtimeDir, f), join(rt, f));
      chmodSync(join(rt, f), 0o644);
    }
  }

  /**
   * The bwrap command line for one instance. `codeDir` is bound at `/var/user`; undefined for a stem cell,
   * which gets an empty slot instead. `command` runs inside (the interpreter and its arguments).
   */
  plan(codeDir: string | undefined, command: string[]): LaunchPlan {
    const o = this.#opts;
    closeInheritedOnExec();
    // stdio layout: 0-2 standard, 3 frames, 4 IPC, 5 info, 6 block (slirp only).
    const infoFd = 5;
    const blockFd = o.network === 'slirp' ? 6 : undefined;
    const args = [
      '--unshare-all',
      '--unshare-user',
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      '--hostname',
      'scf',
      '--info-fd',
      String(infoFd),
    ];
    if (blockFd !== undefined) args.push('--block-fd', String(blockFd));
    args.push('--ro-bind', '/usr', '/usr');
    for (const [link, target] of [
      ['/bin', 'usr/bin'],
      ['/sbin', 'usr/sbin'],
      ['/lib', 'usr/lib'],
      ['/lib64', 'usr/lib64'],
    ] as const) {
      args.push('--symlink', target, link);
    }
    args.push('--ro-bind', this.#etcDir, '/etc');
    args.push('--ro-bind-try', '/etc/ssl', '/etc/ssl');
    args.push('--ro-bind-try', '/etc/ca-certificates', '/etc/ca-certificates');
    args.push('--proc', '/proc', '--dev', '/dev');
    args.push('--perms', '1777', '--size', String(o.tmpBytes), '--tmpfs', '/tmp');
    // An interpreter outside /usr (nvm, pyenv, a tarball): its installation folder, at the same path.
    const prefixes = new Set(
      o.binaries.filter((b) => !b.startsWith('/usr/')).map((b) => dirname(dirname(b))),
    );
    for (const prefix of prefixes) args.push('--ro-bind', prefix, prefix);
    args.push('--ro-bind', join(this.#workDir, 'runtime'), RUNTIME_MOUNT);
    const slot = join(this.#slotsDir, randomBytes(8).toString('hex'));
    mkdirSync(slot, { mode: 0o755 });
    chmodSync(slot, 0o755);
    if (codeDir !== undefined) {
      try {
        fillSlot(codeDir, slot);
      } catch (err) {
        this.removeSlot(slot);
        throw err;
      }
    }
    args.push('--ro-bind', slot, CODE_MOUNT, '--chdir', CODE_MOUNT, '--', ...command);
    return { file: o.bwrap, args, infoFd, blockFd, slot };
  }

  /** Removes a stem cell's slot (its hard links only; the code itself is untouched). */
  removeSlot(slot: string): void {
    rmSync(slot, { recursive: true, force: true });
  }

  /** Removes the launcher's temporary folder, if it made one. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    rmSync(this.#ownWorkDir ? this.#workDir : this.#slotsDir, { recursive: true, force: true });
  }
}

/**
 * Fills a stem cell's slot with the function's code: hard links (one link call per file, no data copied;
 * a copy where the folders are on different file systems). Files the sandbox user could not read are
 * made world-readable (code is not a secret from its own function; the data folder around it stays closed).
 */
export function fillSlot(codeDir: string, slot: string): void {
  for (const entry of readdirSync(codeDir, { withFileTypes: true })) {
    const from = join(codeDir, entry.name);
    const to = join(slot, entry.name);
    if (entry.isDirectory()) {
      mkdirSync(to, { mode: 0o755 });
      chmodSync(to, 0o755);
      fillSlot(from, to);
    } else if (entry.isFile()) {
      const mode = statSync(from).mode;
      if ((mode & 0o004) === 0) chmodSync(from, (mode & 0o7777) | 0o444);
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to);
        chmodSync(to, 0o644);
      }
    }
    // Symbolic links and special files are not part of a code package (zips carry regular files only).
  }
}
