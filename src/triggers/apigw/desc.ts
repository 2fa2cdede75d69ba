/**
 * An API Gateway trigger's `TriggerDesc`, as SCF takes it in `CreateTrigger` (SCF's "trigger
 * configuration description", API Gateway section):
 *
 * ```json
 * {"api":{"authRequired":"FALSE","requestConfig":{"method":"ANY"},"isIntegratedResponse":"FALSE"},
 *  "service":{"serviceName":"SCF_API_SERVICE"},"release":{"environmentName":"release"}}
 * ```
 *
 * Every part is optional (an empty TriggerDesc takes every default). scf-local reads what it documents
 * (`docs/triggers.md`, "HTTP triggers") and ignores other keys, as SCF's own description has more of them
 * (a service's sub-domain, protocols) that mean nothing here. A value it reads but cannot honour is refused
 * with a message that says which, never silently changed: `authRequired: TRUE` (API Gateway's key-pair
 * authentication) is refused, since an scf-local HTTP trigger is always a public endpoint.
 */
import { createHash } from 'node:crypto';
import { invalidValue, type ScfError } from '../../errors/index.js';

/** The methods SCF lets an API Gateway trigger's API take; `ANY` is every method. */
export const APIGW_METHODS = ['ANY', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE'] as const;
export type ApigwMethod = (typeof APIGW_METHODS)[number];

/** API Gateway's release environments (stages); `release` by default. */
export const APIGW_STAGES = ['release', 'test', 'prepub'] as const;
export type ApigwStage = (typeof APIGW_STAGES)[number];

/** The service name SCF gives the API Gateway service it creates for a trigger when none is named. */
export const DEFAULT_SERVICE_NAME = 'SCF_API_SERVICE';

/** An apigw trigger's configuration, every default applied. */
export interface ApigwConfig {
  /** The one method the API answers, or `ANY`. */
  method: ApigwMethod;
  /** `isIntegratedResponse`: the return value is read as an integrated response (else always a JSON body). */
  integratedResponse: boolean;
  /** `IsBase64Encoded`: every request body reaches the function base64-encoded (else only non-text ones). */
  base64Body: boolean;
  /** `service.serviceId` when given (the event's `requestContext.serviceId`); else one is derived per trigger. */
  serviceId: string | undefined;
  serviceName: string;
  /** `release.environmentName`: the event's `requestContext.stage`. */
  stage: ApigwStage;
}

const bad = (message: string): ScfError => invalidValue('triggerDesc', message);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** An optional object member: absent (or null) is `{}`. */
function section(parent: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
  const v = parent[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw bad(`${path} must be an object, got ${JSON.stringify(v)}`);
  return v;
}

/** SCF's booleans are the strings TRUE and FALSE; JSON booleans and any letter case are taken too. */
function flag(parent: Record<string, unknown>, key: string, path: string): boolean | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const u = v.toUpperCase();
    if (u === 'TRUE') return true;
    if (u === 'FALSE') return false;
  }
  throw bad(`${path} must be "TRUE" or "FALSE", got ${JSON.stringify(v)}`);
}

function text(parent: Record<string, unknown>, key: string, path: string): string | undefined {
  const v = parent[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${path} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Validates an apigw trigger's TriggerDesc and returns its configuration with every default applied.
 * Throws ScfError `InvalidParameterValue` (field `triggerDesc`) naming what is wrong. An empty or blank
 * text is the all-defaults description.
 */
export function parseApigwDesc(desc: string): ApigwConfig {
  let root: unknown = {};
  if (desc.trim() !== '') {
    try {
      root = JSON.parse(desc);
    } catch {
      throw bad('an API Gateway trigger description must be a JSON object, and this is not JSON');
    }
  }
  if (!isObject(root)) {
    throw bad(`an API Gateway trigger description must be a JSON object, got ${JSON.stringify(root)}`);
  }
  const api = section(root, 'api', 'api');
  const requestConfig = section(api, 'requestConfig', 'api.requestConfig');
  const service = section(root, 'service', 'service');
  const release = section(root, 'release', 'release');

  if (flag(api, 'authRequired', 'api.authRequired') === true) {
    throw bad(
      'api.authRequired "TRUE" is not supported: an scf-local HTTP trigger is a public endpoint ' +
        '(API Gateway key pairs do not exist here); use "FALSE"',
    );
  }
  const methodText = text(requestConfig, 'method', 'api.requestConfig.method') ?? 'ANY';
  const method = APIGW_METHODS.find((m) => m === methodText.toUpperCase());
  if (!method) {
    throw bad(
      `api.requestConfig.method must be one of ${APIGW_METHODS.join(', ')}, got ${JSON.stringify(methodText)}`,
    );
  }
  const stageText = text(release, 'environmentName', 'release.environmentName') || 'release';
  const stage = APIGW_STAGES.find((s) => s === stageText);
  if (!stage) {
    throw bad(
      `release.environmentName must be one of ${APIGW_STAGES.join(', ')}, got ${JSON.stringify(stageText)}`,
    );
  }
  const serviceId = text(service, 'serviceId', 'service.serviceId') || undefined;
  return {
    method,
    integratedResponse: flag(api, 'isIntegratedResponse', 'api.isIntegratedResponse') ?? false,
    // SCF's own spelling starts with a capital letter; the lower-case one is taken too.
    base64Body:
      flag(api, 'IsBase64Encoded', 'api.IsBase64Encoded') ??
      flag(api, 'isBase64Encoded', 'api.isBase64Encoded') ??
      false,
    serviceId,
    serviceName: text(service, 'serviceName', 'service.serviceName') || DEFAULT_SERVICE_NAME,
    stage,
  };
}

/** The configuration as SCF's TriggerDesc JSON, every default spelled out (what ListTriggers can show). */
export function formatApigwDesc(config: ApigwConfig): string {
  return JSON.stringify({
    api: {
      authRequired: 'FALSE',
      requestConfig: { method: config.method },
      isIntegratedResponse: config.integratedResponse ? 'TRUE' : 'FALSE',
      IsBase64Encoded: config.base64Body ? 'TRUE' : 'FALSE',
    },
    service: {
      serviceName: config.serviceName,
      ...(config.serviceId !== undefined ? { serviceId: config.serviceId } : {}),
    },
    release: { environmentName: config.stage },
  });
}

/**
 * The `requestContext.serviceId` of a trigger that names none: SCF's form (`service-` and 8 characters),
 * stable for one trigger of one function, so a function can tell its triggers apart.
 */
export function derivedServiceId(namespace: string, functionName: string, triggerName: string): string {
  const h = createHash('sha256').update(`${namespace}/${functionName}/${triggerName}`).digest('hex');
  return `service-${h.slice(0, 8)}`;
}
