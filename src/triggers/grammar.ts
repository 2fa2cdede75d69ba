/**
 * Each trigger type's TriggerDesc grammar, for `validateTriggerDesc` (`validate.ts`).
 * timer: the cron expression; apigw: SCF's API Gateway JSON.
 */
import { formatApigwDesc, parseApigwDesc } from './apigw/desc.js';
import { parseCron } from './cron.js';
import type { TriggerType } from './types.js';
import type { TriggerDescGrammar } from './validate.js';

const timer: TriggerDescGrammar = {
  normalize(desc) {
    // Throws a CronError saying what is wrong and where.
    parseCron(desc);
    // Stored as written, with its fields one space apart.
    return desc.trim().split(/\s+/).join(' ');
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
