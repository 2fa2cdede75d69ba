/**
 * Each trigger type's TriggerDesc grammar, for `validateTriggerDesc` (`validate.ts`).
 * timer: the cron expression; apigw: SCF's API Gateway JSON.
 */
import { formatApigwDesc, parseApigwDesc } from './apigw/desc.js';
import type { TriggerType } from './types.js';
import type { TriggerDescGrammar } from './validate.js';

const timer: TriggerDescGrammar = {
  normalize(desc) {
    const fields = desc.trim().split(/\s+/);
    if (fields.length !== 7) throw new Error(`a cron expression has 7 fields, got ${fields.length}`);
    return fields.join(' ');
  },
};

/** SCF's default API Gateway trigger: any method, integrated response, the release stage. */
export const DEFAULT_APIGW_DESC = JSON.stringify({
  api: { authRequired: 'FALSE', requestConfig: { method: 'ANY' }, isIntegratedResponse: 'TRUE' },
  service: { serviceName: 'SCF_API_SERVICE' },
  release: { environmentName: 'release' },
});

const apigw: TriggerDescGrammar = {
  // Stored with every default spelled out, so ListTriggers shows what the trigger does.
  normalize: (desc) => formatApigwDesc(parseApigwDesc(desc)),
  defaultDesc: formatApigwDesc(parseApigwDesc(DEFAULT_APIGW_DESC)),
};

export const TRIGGER_GRAMMAR: Readonly<Record<TriggerType, TriggerDescGrammar>> = { timer, apigw };
