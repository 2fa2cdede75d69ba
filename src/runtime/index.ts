/**
 * The runtime layer: runs function invocations in instance processes (see `types.ts` for the contract).
 * `createNodeRuntime` is the one implementation today; every SCF Node.js runtime runs on the host's Node.
 */
export { createNodeRuntime, type NodeRuntimeOptions } from './node/runtime.js';
export { assertSandbox } from './sandbox/detect.js';
export type { FunctionRunSpec, RunRequest, RunResult, Runtime, RuntimeStats } from './types.js';
