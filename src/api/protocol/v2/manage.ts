/**
 * The v2 function-management actions: CreateFunction, UpdateFunction, GetFunction, ListFunctions,
 * DeleteFunction. Each declares its v2 parameters as a zod schema and shapes its answer as the v2 documents
 * show it; the rules are the registry's (`functions/validate.ts`).
 */
import { z } from 'zod';
import { ScfError } from '../../../errors/index.js';
import type { ListFunctionsInput } from '../../../functions/types.js';
import * as ops from '../../operations/index.js';
import { formatApiTime } from '../../time.js';
import { raw } from '../reader.js';
import { action, compact, lower, lowerNoUnderscore } from './action.js';
import { v2, withPrefix } from './reader.js';

/**
 * The environment, in either v2 form: flattened like API 3.0's `Environment.Variables[{Key,Value}]`
 * (`environment.variables.0.key=A&environment.variables.0.value=1`, what qcloudapi-sdk sends for
 * `{environment:{variables:[{key,value}]}}`), or one `environment` parameter holding JSON: that same object,
 * or a plain `{"A":"1"}` map. Key/Value may be capitalised as in 3.0.
 */
function readEnvironment(
  json: string | undefined,
  params: ReadonlyMap<string, string>,
): Record<string, string> | undefined {
  const flat = withPrefix(params, 'environment');
  if (json !== undefined && flat.length > 0) {
    throw new ScfError(
      'InvalidParameter',
      'give environment either as JSON or flattened (environment.variables.N.key), not both',
      {
        field: 'environment',
      },
    );
  }
  const bad = (why: string): ScfError =>
    new ScfError('InvalidParameterValue', `parameter environment is invalid: ${why}`, {
      field: 'environment',
    });
  const out: Record<string, string> = {};
  const put = (key: unknown, value: unknown): void => {
    if (typeof key !== 'string' || key === '') throw bad('every variable needs a key');
    if (Object.hasOwn(out, key)) throw bad(`variable ${key} is given twice`);
    if (value !== undefined && value !== null && typeof value === 'object')
      throw bad(`variable ${key} must be a string`);
    out[key] = value === undefined || value === null ? '' : String(value);
  };
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new ScfError('InvalidParameterValue', 'parameter environment is not valid JSON', {
        field: 'environment',
        cause: err,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw bad('expected a JSON object');
    const obj = parsed as Record<string, unknown>;
    const vars = obj['variables'] ?? obj['Variables'];
    if (Array.isArray(vars) && Object.keys(obj).length === 1) {
      for (const v of vars) {
        if (typeof v !== 'object' || v === null) throw bad('variables must hold {key, value} objects');
        const e = v as Record<string, unknown>;
        put(e['key'] ?? e['Key'], e['value'] ?? e['Value']);
      }
    } else {
      for (const [k, v] of Object.entries(obj)) put(k, v);
    }
    return out;
  }
  if (flat.length === 0) return undefined;
  const entries = new Map<number, { key?: string; value?: string }>();
  for (const [name, value] of flat) {
    const m = /^environment\.[vV]ariables\.(\d+)\.([kK]ey|[vV]alue)$/.exec(name);
    if (!m)
      throw bad(
        `unexpected parameter ${name}; use environment.variables.N.key and environment.variables.N.value`,
      );
    const entry = entries.get(Number(m[1])) ?? {};
    if (m[2]?.toLowerCase() === 'key') entry.key = value;
    else entry.value = value;
    entries.set(Number(m[1]), entry);
  }
  for (const i of [...entries.keys()].sort((a, b) => a - b)) {
    const e = entries.get(i);
    put(e?.key, e?.value);
  }
  return out;
}

/** `code` is `@` + base64 of the zip (not signed on POST); a bare base64 value is accepted too. */
function readCode(
  p: { code?: string | undefined; codeType?: string | undefined },
  params: ReadonlyMap<string, string>,
): { zipBase64: string } | undefined {
  if (withPrefix(params, 'codeObject').length > 0 || p.codeType?.toLowerCase() === 'cos') {
    throw new ScfError(
      'UnsupportedOperation',
      'code from COS (codeObject, codeType=Cos) is not supported by scf-local; send the zip as code=@<base64>',
      {
        field: 'codeObject',
      },
    );
  }
  if (p.code === undefined) return undefined;
  return { zipBase64: p.code.startsWith('@') ? p.code.slice(1) : p.code };
}

const MAX_INT = 2 ** 31 - 1;
const CODE_TYPE = new Map([
  ['inline', 'Inline'],
  ['zipfile', 'Zipfile'],
  ['cos', 'Cos'],
]);

/** CreateFunction's and UpdateFunction's parameters (environment.* and codeObject.* are read by prefix). */
const functionParams = (code: 'required' | 'optional') =>
  z.object({
    functionName: v2.required(),
    namespace: v2.str(),
    handler: v2.str(),
    runtime: v2.str(),
    memorySize: v2.int(0, MAX_INT),
    timeout: v2.int(0, MAX_INT),
    // An empty description clears it, so presence (not emptiness) decides.
    description: raw(),
    environment: v2.str(),
    // UpdateFunction checks the code type; CreateFunction only looks for Cos.
    codeType: code === 'required' ? v2.str() : v2.oneOf(CODE_TYPE, ['Inline', 'Zipfile', 'Cos'], lower),
    // Read by `readCode`, after the COS check: code from COS is refused as such, not as missing code.
    code: v2.str(),
  });
const FUNCTION_PREFIXES = ['environment', 'codeObject'];

export const createFunction = action({
  params: functionParams('required'),
  prefixes: FUNCTION_PREFIXES,
  run: async (p, { ctx, params }) => {
    const code = readCode(p, params);
    if (!code) throw new ScfError('MissingParameter', 'parameter code is required', { field: 'code' });
    await ops.createFunction(
      ctx,
      compact({
        functionName: p.functionName,
        namespace: p.namespace,
        handler: p.handler,
        runtime: p.runtime,
        memorySize: p.memorySize,
        timeout: p.timeout,
        description: p.description === '' ? undefined : p.description,
        environment: readEnvironment(p.environment, params),
        code,
      }),
    );
    return {};
  },
});

/**
 * UpdateFunction changes code and configuration in one v2 call; scf-local applies the code first, then
 * the configuration (two operations: a configuration error after a good code update keeps the new code).
 */
export const updateFunction = action({
  params: functionParams('optional'),
  prefixes: FUNCTION_PREFIXES,
  run: async (p, { ctx, params }) => {
    const { functionName, namespace, handler } = p;
    const code = readCode(p, params);
    const config = compact({
      runtime: p.runtime,
      memorySize: p.memorySize,
      timeout: p.timeout,
      description: p.description,
      environment: readEnvironment(p.environment, params),
      handler: code ? undefined : handler,
    });
    if (code) await ops.updateFunctionCode(ctx, compact({ functionName, namespace, handler, code }));
    if (Object.keys(config).length > 0)
      await ops.updateFunctionConfiguration(ctx, compact({ functionName, namespace, ...config }));
    // Nothing to change still answers "not found" for an unknown function.
    if (!code && Object.keys(config).length === 0)
      await ops.getFunction(ctx, compact({ functionName, namespace }));
    return {};
  },
});

export const getFunction = action({
  params: z.object({
    functionName: v2.required(),
    namespace: v2.str(),
    qualifier: v2.str(),
    code: v2.oneOf(
      new Map([
        ['0', false],
        ['1', true],
        ['false', false],
        ['true', true],
      ]),
      ['0', '1'],
      lower,
    ),
  }),
  run: async (p, { ctx }) => {
    const fn = await ops.getFunction(
      ctx,
      compact({
        functionName: p.functionName,
        namespace: p.namespace,
        qualifier: p.qualifier,
        showCode: p.code,
      }),
    );
    const tz = ctx.config.apiTimeZoneOffsetMinutes;
    return {
      data: compact({
        modTime: formatApiTime(fn.modTime, tz),
        addTime: formatApiTime(fn.addTime, tz),
        functionName: fn.functionName,
        namespace: fn.namespace,
        handler: fn.handler,
        codeSize: fn.codeSize,
        memorySize: fn.memorySize,
        // v2 spells the editable head without its `$`.
        version: fn.version === undefined || fn.version === '$LATEST' ? 'LATEST' : fn.version,
        timeout: fn.timeout,
        runtime: fn.runtime,
        description: fn.description,
        environment: { variables: Object.entries(fn.environment).map(([key, value]) => ({ key, value })) },
        // scf-local has no triggers; the field keeps the documented shape.
        triggers: [],
        code: fn.code,
      }),
    };
  },
});

const LIST_ORDER = new Map<string, 'ASC' | 'DESC'>([
  ['asc', 'ASC'],
  ['desc', 'DESC'],
]);
const LIST_ORDER_BY = new Map<string, 'AddTime' | 'ModTime' | 'FunctionName'>([
  ['addtime', 'AddTime'],
  ['modtime', 'ModTime'],
  ['functionname', 'FunctionName'],
]);

export const listFunctions = action({
  params: z.object({
    namespace: v2.str(),
    order: v2.oneOf(LIST_ORDER, ['asc', 'desc'], lower),
    orderby: v2.oneOf(LIST_ORDER_BY, ['addtime', 'modtime', 'functionname'], lowerNoUnderscore),
    offset: v2.int(0, MAX_INT),
    limit: v2.int(1, MAX_INT),
    searchKey: v2.str(),
  }),
  run: async (p, { ctx }) => {
    const input: ListFunctionsInput = compact({
      namespace: p.namespace,
      searchKey: p.searchKey,
      order: p.order,
      orderBy: p.orderby,
      offset: p.offset,
      limit: p.limit,
    });
    const out = await ops.listFunctions(ctx, input);
    const tz = ctx.config.apiTimeZoneOffsetMinutes;
    return {
      data: {
        functions: out.functions.map((f) => ({
          modTime: formatApiTime(f.modTime, tz),
          addTime: formatApiTime(f.addTime, tz),
          runtime: f.runtime,
          functionName: f.functionName,
          namespace: f.namespace,
        })),
        total: out.total,
      },
    };
  },
});

export const deleteFunction = action({
  params: z.object({ functionName: v2.required(), namespace: v2.str() }),
  run: async (p, { ctx }) => {
    await ops.deleteFunction(ctx, compact({ functionName: p.functionName, namespace: p.namespace }));
    return {};
  },
});
