/**
 * The languages functions can be written in here, each one folder (`node/`, `python/`, `custom/`: SCF's
 * Custom Runtime, any language behind its runtime API; `web/`: SCF's web functions) behind the one
 * `Language` seam (`process/language.ts`). The list is the only place that names them all.
 */
import { customLanguage } from './custom/language.js';
import { nodeLanguage } from './node/language.js';
import type { Language } from './process/language.js';
import { pythonLanguage } from './python/language.js';
import { webLanguage } from './web/language.js';

export interface LanguageOptions {
  /** Node binary for Node.js functions; default the one running scf-local (`runtime.nodePath`). */
  nodePath?: string | undefined;
  /** Node binaries by major version (`runtime.node.binaries`): `{ "16": "/opt/node16/bin/node" }`. */
  nodeBinaries?: Record<string, string> | undefined;
  /** Python 3 interpreter for Python functions (`runtime.pythonPath`); default `/usr/bin/python3`. */
  pythonPath?: string | undefined;
}

export function defaultLanguages(opts: LanguageOptions = {}): Language[] {
  // One language per configured Node binary (its major's labels), then the default for the rest.
  const configured = Object.entries(opts.nodeBinaries ?? {}).map(([major, binary]) =>
    nodeLanguage({ binary, majors: [major] }),
  );
  return [
    ...configured,
    nodeLanguage({ binary: opts.nodePath }),
    pythonLanguage({ binary: opts.pythonPath }),
    customLanguage({ binary: opts.nodePath }),
    webLanguage({ binary: opts.nodePath }),
  ];
}
