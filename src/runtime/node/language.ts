/**
 * Node.js: SCF's `Nodejs*` runtimes. Each label runs on the Node binary configured for its major version
 * (`runtime.node.binaries`, e.g. `{ "16": "/opt/node16/bin/node" }`), else on the default one
 * (`runtime.nodePath`, default the Node running scf-local); when that is not the label's major version,
 * `ranOn` says so (START lines, GetFunction, deploy). The bootstrap is `bootstrap.ts`, compiled; V8's heap
 * cap is the function's memory size.
 */
import { askVersion, type Language } from '../process/language.js';

/** The files the bootstrap loads (it imports nothing else), relative to the runtime folder. */
const FILES = ['node/bootstrap.js', 'process/protocol.js', 'utf8.js', 'results.js'] as const;

/** `16` of `Nodejs16.13`; undefined for another name. */
export const nodeMajor = (runtime: string): string | undefined => /^Nodejs(\d+)\./.exec(runtime)?.[1];

/** `v20.20.2`, asked of the binary (this process's own when it is that binary); undefined if it cannot run. */
function versionOf(binary: string): string | undefined {
  return binary === process.execPath ? process.version : askVersion(binary, ['--version']);
}

/**
 * A Node.js language: `binary` runs the labels of `majors` (every `Nodejs*` label when undefined: the
 * default binary, listed after the configured ones).
 */
export function nodeLanguage(
  opts: { binary?: string | undefined; majors?: readonly string[] } = {},
): Language {
  const binary = opts.binary ?? process.execPath;
  const version = versionOf(binary);
  const label = version ? `Node.js ${version}` : `Node.js (${binary}, not runnable here)`;
  const runningMajor = version ? /^v(\d+)\./.exec(version)?.[1] : undefined;
  return {
    id: 'node',
    label,
    runs: (runtime) => {
      const major = nodeMajor(runtime);
      return major !== undefined && (opts.majors === undefined || opts.majors.includes(major));
    },
    ranOn: (runtime) => (nodeMajor(runtime) === runningMajor ? undefined : label),
    binary,
    files: FILES,
    command: (runtimeDir, memorySize) => [
      binary,
      `--max-old-space-size=${memorySize}`,
      `${runtimeDir}/node/bootstrap.js`,
    ],
    // Read when the process starts, by Node, libuv, OpenSSL, ICU or the C library's locale.
    startupVariable: /^(NODE_|UV_|OPENSSL_|SSL_CERT_|LC_)|^(LANG|LANGUAGE|ICU_DATA)$/,
    eagerStemCells: true,
    preloads: true,
    memoryFailure: /JavaScript heap out of memory|Reached heap limit/,
  };
}
