/**
 * scf-local's programmatic API: `createPlatform(options)` starts the whole platform (store, runtime,
 * functions, HTTP API) and returns it; `listen()` opens the HTTP port, `close()` stops everything.
 */
export { type Config, type ConfigInput, loadConfig, parseConfig } from './config/index.js';
export { ERROR_CODES, type ErrorCode, ScfError } from './errors/index.js';
export type { FunctionDefinition } from './functions/types.js';
export type { Logger } from './logger/index.js';
export { createPlatform, type ListenInfo, Platform, type PlatformOptions } from './platform.js';
export type { InvocationRecord, LogQuery, StoredRecord } from './store/types.js';
