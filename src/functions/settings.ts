/**
 * The parts of a function definition stored as one JSON object beside the fixed columns (PostgreSQL's
 * `catalog_functions.settings`) and filled with their defaults when read from a catalog written before
 * they existed (an older `function.json`, a row from before migration 2).
 */
import { type AsyncInvokeConfig, DEFAULT_ASYNC_CONFIG } from '../triggers/types.js';
import type { FunctionAttributes, FunctionDefinition } from './types.js';

export type FunctionSettings = Pick<
  FunctionDefinition,
  'type' | 'triggers' | 'asyncConfig' | 'attributes' | 'versions' | 'lastVersion' | 'aliases'
>;

/** SCF's defaults: no tags, role, VPC; InitTimeout 65 s; public network on. */
export const DEFAULT_ATTRIBUTES: FunctionAttributes = Object.freeze({
  tags: [],
  role: '',
  initTimeout: 65,
  asyncRunEnable: false,
  installDependency: false,
  vpcConfig: { vpcId: '', subnetId: '' },
  publicNetConfig: { publicNetStatus: 'ENABLE', eipStatus: 'DISABLE' },
  clsLogsetId: '',
  clsTopicId: '',
  dnsCache: false,
  traceEnable: false,
  deadLetterConfig: { type: '', name: '', filterType: '' },
  cfsMounts: [],
  protocolType: '',
  wsIdleTimeout: 0,
  instanceConcurrency: { dynamicEnabled: '', maxConcurrency: 0 },
  intranetIpFixed: 'DISABLE',
}) as FunctionAttributes;

/** `stored`, with every setting it lacks at its default. */
export function withSettingDefaults(stored: Partial<FunctionSettings> | undefined): FunctionSettings {
  const asyncConfig: AsyncInvokeConfig = { ...DEFAULT_ASYNC_CONFIG, ...(stored?.asyncConfig ?? {}) };
  return {
    type: stored?.type ?? 'Event',
    triggers: stored?.triggers ?? [],
    asyncConfig,
    attributes: { ...DEFAULT_ATTRIBUTES, ...(stored?.attributes ?? {}) },
    versions: stored?.versions ?? [],
    lastVersion: stored?.lastVersion ?? 0,
    aliases: stored?.aliases ?? [],
  };
}

/** The settings of `def`, as stored. */
export function settingsOf(def: FunctionDefinition): FunctionSettings {
  return {
    type: def.type,
    triggers: def.triggers,
    asyncConfig: def.asyncConfig,
    attributes: def.attributes,
    versions: def.versions,
    lastVersion: def.lastVersion,
    aliases: def.aliases,
  };
}
