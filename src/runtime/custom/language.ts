/**
 * SCF's Custom Runtime (`Runtime: "CustomRuntime"`): the code package brings an executable `scf_bootstrap`
 * in any language, and the instance serves it SCF's runtime API (`bootstrap.ts`, run by the Node binary
 * that runs scf-local). That host process is platform machinery: memUsage and the memory limit count the
 * function's own processes only (`countMain: false`).
 */
import { START_DEADLINE_MS } from '../process/frames.js';
import type { Language } from '../process/language.js';
import { DEFAULT_INIT_TIMEOUT_S } from '../types.js';

const FILES = [
  'custom/bootstrap.js',
  'process/host.js',
  'process/protocol.js',
  'utf8.js',
  'results.js',
] as const;

export const CUSTOM_RUNTIME = 'CustomRuntime';

export function customLanguage(opts: { binary?: string | undefined } = {}): Language {
  const binary = opts.binary ?? process.execPath;
  return {
    id: 'custom',
    label: 'Custom Runtime (scf_bootstrap)',
    runs: (runtime) => runtime === CUSTOM_RUNTIME,
    // The name claims no version.
    ranOn: () => undefined,
    binary,
    files: FILES,
    // A small heap: the host only relays requests; the function's memory is its bootstrap's.
    command: (runtimeDir) => [binary, '--max-old-space-size=32', `${runtimeDir}/custom/bootstrap.js`],
    // The function's bootstrap is started at binding, with the function's whole environment: nothing the
    // function sets is read by a process that started before it was known.
    startupVariable: /(?!)/,
    eagerStemCells: false,
    countMain: false,
    bindDeadlineMs: (fn) => (fn.initTimeout ?? DEFAULT_INIT_TIMEOUT_S) * 1000 + START_DEADLINE_MS,
  };
}
