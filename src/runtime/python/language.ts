/**
 * Python: SCF's `Python3.6` … `Python3.12` runtimes, on one Python 3 interpreter (`runtime.pythonPath`,
 * default `/usr/bin/python3`). Every label runs on that interpreter, and says so (`label`). The bootstrap is
 * `bootstrap.py`, copied next to this file's compiled form by the build (`scripts/copy-assets.mjs`).
 * Memory is bounded by the platform's RSS watchdog alone (CPython has no heap cap to set at start).
 */
import { existsSync } from 'node:fs';
import { askVersion, type Language } from '../process/language.js';

/** Where a Python 3 is looked for when none is configured: Debian's, then a locally built one. */
const CANDIDATES = ['/usr/bin/python3', '/usr/local/bin/python3'];

/** SCF's Python runtime names that scf-local runs (Python 2.7 is refused when a function is defined). */
export const PYTHON_RUNTIMES = [
  'Python3.6',
  'Python3.7',
  'Python3.8',
  'Python3.9',
  'Python3.10',
  'Python3.11',
  'Python3.12',
] as const;

export function pythonLanguage(opts: { binary?: string | undefined } = {}): Language {
  const binary = opts.binary ?? CANDIDATES.find((p) => existsSync(p)) ?? CANDIDATES[0]!;
  // `3.11.2`, asked of the interpreter itself.
  const version = askVersion(binary, ['-c', 'import sys; print(sys.version.split()[0])']);
  const label = version ? `Python ${version}` : `Python (${binary}, not runnable here)`;
  return {
    id: 'python',
    label,
    runs: (runtime) => (PYTHON_RUNTIMES as readonly string[]).includes(runtime),
    // `Python3.9` names 3.9: anything else running it is said.
    ranOn: (runtime) =>
      version && `Python${version.split('.').slice(0, 2).join('.')}` === runtime ? undefined : label,
    binary,
    files: ['python/bootstrap.py'],
    // -B: no .pyc next to read-only code; -s: no user site-packages of whoever runs the server.
    command: (runtimeDir) => [binary, '-B', '-s', `${runtimeDir}/python/bootstrap.py`],
    startupVariable: /^(PYTHON|LC_)|^(LANG|LANGUAGE|OPENSSL_CONF|SSL_CERT_FILE|SSL_CERT_DIR)$/,
    eagerStemCells: false,
    preloads: true,
  };
}
