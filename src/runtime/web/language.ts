/**
 * SCF's web functions (`Type: "HTTP"`): the code package brings an executable `scf_bootstrap` that starts
 * an HTTP server on port 9000, and each HTTP request to the function's URL is one invocation, replayed to
 * that server by the instance's host (`bootstrap.ts`, run by the Node binary that runs scf-local). A web
 * function's runtime name (`Nodejs16.13`, `Python3.9`, ...) chooses nothing here: its bootstrap starts
 * whatever it starts. The host is platform machinery: memUsage and the memory limit count the function's
 * own processes only (`countMain: false`).
 */
import { START_DEADLINE_MS } from '../process/frames.js';
import type { Language } from '../process/language.js';
import { DEFAULT_INIT_TIMEOUT_S } from '../types.js';

const FILES = [
  'web/bootstrap.js',
  'web/protocol.js',
  'process/host.js',
  'process/protocol.js',
  'utf8.js',
  'results.js',
] as const;

export function webLanguage(opts: { binary?: string | undefined } = {}): Language {
  const binary = opts.binary ?? process.execPath;
  return {
    id: 'web',
    label: 'Web function (scf_bootstrap serving port 9000)',
    functionType: 'HTTP',
    // Every runtime name: a web function's is a label of its environment, not what runs it.
    runs: () => true,
    // The bootstrap says what runs; nothing is claimed.
    ranOn: () => undefined,
    binary,
    files: FILES,
    // A small heap: the host only relays requests and responses (each at most ~8 MB as JSON).
    command: (runtimeDir) => [binary, '--max-old-space-size=64', `${runtimeDir}/web/bootstrap.js`],
    // The function's bootstrap is started at binding, with the function's whole environment.
    startupVariable: /(?!)/,
    eagerStemCells: false,
    countMain: false,
    bindDeadlineMs: (fn) => (fn.initTimeout ?? DEFAULT_INIT_TIMEOUT_S) * 1000 + START_DEADLINE_MS,
  };
}
