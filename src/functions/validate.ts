/** SCF's rules for function definitions, each failure a coded InvalidParameterValue naming the field. */
import { invalidValue, RULE, ScfError } from '../errors/index.js';
import { CUSTOM_RUNTIME } from '../runtime/custom/language.js';
import { PYTHON_RUNTIMES } from '../runtime/python/language.js';
import type { FunctionAttributes } from './types.js';

const NAME_RE = /^[A-Za-z][A-Za-z0-9_-]*[A-Za-z0-9]$/;
const NAMESPACE_RE = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const HANDLER_RE = /^[A-Za-z0-9_\-./]*[A-Za-z0-9_-]\.[A-Za-z_$][A-Za-z0-9_$]*$/;
const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Node.js runtime names as SCF spells them. All run on the host's Node.js. */
export const NODE_RUNTIMES = [
  'Nodejs6.10',
  'Nodejs8.9',
  'Nodejs10.15',
  'Nodejs12.16',
  'Nodejs14.18',
  'Nodejs16.13',
  'Nodejs18.15',
] as const;

export const DEFAULT_RUNTIME = 'Nodejs18.15';
export const DEFAULT_HANDLER = 'index.main_handler';
export const DEFAULT_MEMORY_MB = 128;
export const DEFAULT_TIMEOUT_S = 3;
/** SCF: environment variables take at most 4 KB in all. */
export const MAX_ENV_BYTES = 4096;

export function validateFunctionName(name: unknown): string {
  if (typeof name !== 'string' || name.length < 2 || name.length > 60 || !NAME_RE.test(name)) {
    throw invalidValue(
      'functionName',
      `FunctionName ${JSON.stringify(name)} is invalid: 2-60 characters, letters, digits, - and _, starting with a letter and not ending with - or _`,
    );
  }
  return name;
}

export function validateNamespace(ns: unknown): string {
  if (typeof ns !== 'string' || ns.length < 1 || ns.length > 30 || !NAMESPACE_RE.test(ns)) {
    throw invalidValue(
      'namespace',
      `Namespace ${JSON.stringify(ns)} is invalid: 1-30 characters, letters, digits, - and _, starting with a letter or digit`,
    );
  }
  return ns;
}

/**
 * A handler is `file.export`, where `file` is a path inside the code folder: relative, `/`-separated, no
 * empty, `.` or `..` segment (so it cannot start with `/`, nor resolve outside the folder, e.g.
 * `../other/code/index.main_handler`), and no backslash. The runtime joins it to the code folder as is.
 */
export function validateHandler(handler: unknown): string {
  if (typeof handler !== 'string' || handler.length < 2 || handler.length > 60 || !HANDLER_RE.test(handler)) {
    throw invalidValue(
      'handler',
      `Handler ${JSON.stringify(handler)} is invalid: expected file.export, e.g. index.main_handler`,
    );
  }
  const file = handler.slice(0, handler.lastIndexOf('.'));
  if (file.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw invalidValue(
      'handler',
      `Handler ${JSON.stringify(handler)} is invalid: its file must be a relative path inside the code folder, without "." or ".." segments (e.g. src/index.main_handler)`,
    );
  }
  return handler;
}

export function validateMemorySize(mb: unknown): number {
  if (
    typeof mb !== 'number' ||
    !Number.isInteger(mb) ||
    !(mb === 64 || (mb >= 128 && mb <= 3072 && mb % 128 === 0))
  ) {
    throw invalidValue(
      'memorySize',
      `MemorySize ${String(mb)} is invalid: 64, or 128 to 3072 in steps of 128 (MB)`,
    );
  }
  return mb;
}

export function validateTimeout(s: unknown): number {
  const message = `Timeout ${String(s)} is invalid: an integer from 1 to 900 (seconds)`;
  if (typeof s !== 'number' || !Number.isInteger(s)) throw invalidValue('timeout', message);
  if (s < 1 || s > 900) {
    throw new ScfError('InvalidParameterValue', message, {
      field: 'timeout',
      rule: RULE.timeoutRange,
      detail: { max: 900 },
    });
  }
  return s;
}

export function validateDescription(d: unknown): string {
  if (typeof d !== 'string' || d.length > 1000) {
    throw invalidValue('description', 'Description must be a string of at most 1000 characters');
  }
  return d;
}

/** Every runtime name a function may have. */
export const RUNTIMES: readonly string[] = [...NODE_RUNTIMES, ...PYTHON_RUNTIMES, CUSTOM_RUNTIME];

export function validateRuntime(r: unknown): string {
  if (r === 'Python2.7') {
    throw invalidValue(
      'runtime',
      'Runtime "Python2.7" is not supported: Python 2 reached its end of life in 2020; use Python3.6 to Python3.12',
    );
  }
  if (typeof r !== 'string' || !RUNTIMES.includes(r)) {
    throw invalidValue(
      'runtime',
      `Runtime ${JSON.stringify(r)} is not supported: scf-local runs ${RUNTIMES.join(', ')}`,
    );
  }
  return r;
}

export function validateEnvironment(env: unknown): Record<string, string> {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw invalidValue('environment', 'Environment must map variable names to string values');
  }
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_KEY_RE.test(k))
      throw invalidValue('environment', `Environment variable name ${JSON.stringify(k)} is invalid`);
    if (typeof v !== 'string')
      throw invalidValue('environment', `Environment variable ${k} must be a string`);
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v) + 1;
    out[k] = v;
  }
  if (bytes > MAX_ENV_BYTES) {
    throw invalidValue(
      'environment',
      `Environment variables take ${bytes} bytes, more than the ${MAX_ENV_BYTES} allowed`,
    );
  }
  return out;
}

/** SCF's InitTimeout range, seconds. */
export const MAX_INIT_TIMEOUT_S = 300;
/** Tags per function (SCF: 50). */
export const MAX_TAGS = 50;

/** `given` checked and laid over `prev` (each attribute given replaces its current value). */
export function validateAttributes(
  given: Partial<FunctionAttributes>,
  prev: FunctionAttributes,
): FunctionAttributes {
  const out: FunctionAttributes = { ...prev };
  if (given.initTimeout !== undefined) {
    const t = given.initTimeout;
    if (typeof t !== 'number' || !Number.isInteger(t)) {
      throw invalidValue('initTimeout', 'InitTimeout must be an integer (seconds)');
    }
    if (t < 1 || t > MAX_INIT_TIMEOUT_S) {
      throw new ScfError(
        'InvalidParameterValue',
        `InitTimeout ${t} is out of range: 1 to ${MAX_INIT_TIMEOUT_S} seconds`,
        {
          field: 'initTimeout',
          rule: RULE.initTimeoutRange,
          detail: { max: MAX_INIT_TIMEOUT_S },
        },
      );
    }
    out.initTimeout = t;
  }
  if (given.tags !== undefined) {
    if (given.tags.length > MAX_TAGS) throw invalidValue('tags', `at most ${MAX_TAGS} Tags`);
    const keys = new Set<string>();
    for (const tag of given.tags) {
      if (
        typeof tag.key !== 'string' ||
        tag.key === '' ||
        tag.key.length > 255 ||
        typeof tag.value !== 'string'
      ) {
        throw invalidValue('tags', 'each tag needs a Key (1 to 255 characters) and a string Value');
      }
      if (keys.has(tag.key)) throw invalidValue('tags', `tag ${tag.key} is given twice`);
      keys.add(tag.key);
    }
    out.tags = given.tags.map((t) => ({ key: t.key, value: t.value }));
  }
  if (given.role !== undefined) {
    if (typeof given.role !== 'string' || given.role.length > 255) {
      throw invalidValue('role', 'Role must be a string of at most 255 characters');
    }
    out.role = given.role;
  }
  if (given.asyncRunEnable !== undefined) out.asyncRunEnable = given.asyncRunEnable;
  if (given.installDependency !== undefined) out.installDependency = given.installDependency;
  if (given.vpcConfig !== undefined) out.vpcConfig = { ...given.vpcConfig };
  if (given.publicNetConfig !== undefined) out.publicNetConfig = { ...given.publicNetConfig };
  for (const key of ['clsLogsetId', 'clsTopicId'] as const) {
    const v = given[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > 255)
      throw invalidValue(key, `${key} must be at most 255 characters`);
    out[key] = v;
  }
  if (given.dnsCache !== undefined) out.dnsCache = given.dnsCache;
  if (given.traceEnable !== undefined) out.traceEnable = given.traceEnable;
  if (given.deadLetterConfig !== undefined) out.deadLetterConfig = { ...given.deadLetterConfig };
  if (given.cfsMounts !== undefined) out.cfsMounts = given.cfsMounts.map((m) => ({ ...m }));
  if (given.protocolType !== undefined) {
    if (given.protocolType !== '' && given.protocolType !== 'WS') {
      throw invalidValue(
        'protocolType',
        `ProtocolType must be WS, got ${JSON.stringify(given.protocolType)}`,
      );
    }
    out.protocolType = given.protocolType;
  }
  if (given.wsIdleTimeout !== undefined) {
    const t = given.wsIdleTimeout;
    if (!Number.isInteger(t) || t < 1 || t > 1800) {
      throw invalidValue(
        'idleTimeOut',
        `ProtocolParams.WSParams.IdleTimeOut must be 1 to 1800 seconds, got ${t}`,
      );
    }
    out.wsIdleTimeout = t;
  }
  if (given.instanceConcurrency !== undefined) {
    const n = given.instanceConcurrency.maxConcurrency;
    if (!Number.isInteger(n) || n < 1 || n > 100) {
      throw invalidValue(
        'maxConcurrency',
        `InstanceConcurrencyConfig.MaxConcurrency must be 1 to 100, got ${n}`,
      );
    }
    out.instanceConcurrency = { ...given.instanceConcurrency };
  }
  if (given.intranetIpFixed !== undefined) out.intranetIpFixed = given.intranetIpFixed;
  return out;
}
