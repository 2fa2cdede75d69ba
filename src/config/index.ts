/**
 * Configuration: defaults < config file < environment < explicit overrides (CLI flags / programmatic).
 * This is the only module that reads `process.env`. The result is validated and deep-frozen.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { ScfError } from '../errors/index.js';
import { type Config, type ConfigInput, configSchema } from './schema.js';

export { type Config, type ConfigInput, configSchema } from './schema.js';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of plain objects; arrays and scalars from `b` replace those of `a`. */
export function mergeConfig(a: Json, b: Json): Json {
  const out: Json = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const prev = out[k];
    out[k] = isObject(prev) && isObject(v) ? mergeConfig(prev, v) : v;
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Environment variables understood, each mapped to a config path. */
const ENV_KEYS: Record<string, { path: string[]; type: 'string' | 'number' }> = {
  SCF_LOCAL_HOST: { path: ['host'], type: 'string' },
  SCF_LOCAL_PORT: { path: ['port'], type: 'number' },
  SCF_LOCAL_DATA_DIR: { path: ['dataDir'], type: 'string' },
  SCF_LOCAL_REGION: { path: ['region'], type: 'string' },
  SCF_LOCAL_STORE: { path: ['store', 'backend'], type: 'string' },
  SCF_LOCAL_SQLITE_PATH: { path: ['store', 'sqlite', 'path'], type: 'string' },
  SCF_LOCAL_PG_URL: { path: ['store', 'postgres', 'connectionString'], type: 'string' },
  SCF_LOCAL_DATABASE_URL: { path: ['store', 'postgres', 'connectionString'], type: 'string' },
  SCF_LOCAL_PG_SCHEMA: { path: ['store', 'postgres', 'schema'], type: 'string' },
  SCF_LOCAL_RETENTION_DAYS: { path: ['store', 'retentionDays'], type: 'number' },
  SCF_LOCAL_NODE_ID: { path: ['cluster', 'nodeId'], type: 'string' },
  SCF_LOCAL_LEASE_MS: { path: ['cluster', 'leaseMs'], type: 'number' },
  SCF_LOCAL_BILLING_GRANULARITY_MS: { path: ['runtime', 'billingGranularityMs'], type: 'number' },
  SCF_LOCAL_LOG_FORMAT: { path: ['runtime', 'logFormat'], type: 'string' },
  SCF_LOCAL_SANDBOX: { path: ['runtime', 'sandbox'], type: 'string' },
  SCF_LOCAL_LOG_LEVEL: { path: ['log', 'level'], type: 'string' },
  SCF_LOCAL_DRAIN_TIMEOUT_MS: { path: ['api', 'drainTimeoutMs'], type: 'number' },
};

/** Reads config overrides from an environment (defaults to process.env). */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Json {
  let out: Json = {};
  for (const [name, { path, type }] of Object.entries(ENV_KEYS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = type === 'number' ? Number(raw) : raw;
    let node: Json = { [path[path.length - 1]!]: value };
    for (let i = path.length - 2; i >= 0; i--) node = { [path[i]!]: node };
    out = mergeConfig(out, node);
  }
  const id = env['SCF_LOCAL_SECRET_ID'];
  const key = env['SCF_LOCAL_SECRET_KEY'];
  if (id && key) out = mergeConfig(out, { auth: { credentials: [{ secretId: id, secretKey: key }] } });
  return out;
}

export function readConfigFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScfError('InvalidParameter', `cannot read config file ${path}`, { cause: err });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isObject(parsed)) throw new Error('not an object');
    return parsed;
  } catch (err) {
    throw new ScfError('InvalidParameter', `config file ${path} is not a JSON object`, { cause: err });
  }
}

/** Validates a config object; unknown keys and bad values fail with a message naming the key. */
export function parseConfig(input: ConfigInput | Json = {}): Config {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const msg = result.error.issues
      .map((i) => {
        const where = i.path.join('.');
        if (i.code === 'unrecognized_keys') {
          const keys = i.keys.map((k) => (where ? `${where}.${k}` : k));
          return `unknown config key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
        }
        return `config ${where || '(root)'}: ${i.message}`;
      })
      .join('; ');
    throw new ScfError('InvalidParameter', msg);
  }
  return deepFreeze(result.data);
}

export interface LoadConfigOptions {
  /** A JSON config file; unset = none. */
  file?: string;
  /** Overrides that win over everything (CLI flags, programmatic). */
  overrides?: ConfigInput | Json;
  /** Environment to read; default process.env. Pass `{}` to ignore the environment. */
  env?: NodeJS.ProcessEnv;
}

/** defaults < file < env < overrides. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  let merged: Json = {};
  if (options.file) merged = mergeConfig(merged, readConfigFile(resolve(options.file)));
  merged = mergeConfig(merged, configFromEnv(options.env ?? process.env));
  if (options.overrides) merged = mergeConfig(merged, options.overrides as Json);
  return parseConfig(merged);
}

export type ConfigSchema = z.infer<typeof configSchema>;
