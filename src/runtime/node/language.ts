/**
 * Node.js: SCF's `Nodejs*` runtimes, on one Node binary (`runtime.nodePath`, default the one running
 * scf-local). The bootstrap is `bootstrap.ts`, compiled; V8's heap cap is the function's memory size.
 */
import type { Language } from '../process/language.js';

/** The files the bootstrap loads (it imports nothing else), relative to the runtime folder. */
const FILES = ['node/bootstrap.js', 'process/protocol.js', 'utf8.js', 'results.js'] as const;

export function nodeLanguage(opts: { binary?: string | undefined; version?: string } = {}): Language {
  const binary = opts.binary ?? process.execPath;
  const version = opts.version ?? (binary === process.execPath ? process.version : undefined);
  return {
    id: 'node',
    label: version ? `Node.js ${version}` : `Node.js (${binary})`,
    runs: (runtime) => runtime.startsWith('Nodejs'),
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
    memoryFailure: /JavaScript heap out of memory|Reached heap limit/,
  };
}
