/**
 * The languages functions can be written in here, each one folder (`node/`, `python/`) behind the one
 * `Language` seam (`process/language.ts`). The list is the only place that names them all.
 */
import { nodeLanguage } from './node/language.js';
import type { Language } from './process/language.js';
import { pythonLanguage } from './python/language.js';

export interface LanguageOptions {
  /** Node binary for Node.js functions; default the one running scf-local (`runtime.nodePath`). */
  nodePath?: string | undefined;
  /** Python 3 interpreter for Python functions (`runtime.pythonPath`); default `/usr/bin/python3`. */
  pythonPath?: string | undefined;
}

export function defaultLanguages(opts: LanguageOptions = {}): Language[] {
  return [nodeLanguage({ binary: opts.nodePath }), pythonLanguage({ binary: opts.pythonPath })];
}
