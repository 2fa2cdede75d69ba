/**
 * The runtime layer: runs function invocations in instance processes (see `types.ts` for the contract).
 * `createRuntime` is the one implementation: the process machinery of `process/`, with one `Language` per
 * folder (`node/`, `python/`) listed in `languages.ts`.
 */
export { defaultLanguages } from './languages.js';
export { createRuntime, type RuntimeOptions } from './process/runtime.js';
export { PYTHON_RUNTIMES } from './python/language.js';
export { assertSandbox } from './sandbox/detect.js';
export type { FunctionRunSpec, RunRequest, RunResult, Runtime, RuntimeStats } from './types.js';
