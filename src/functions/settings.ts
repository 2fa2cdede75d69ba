/**
 * The parts of a function definition stored as one JSON object beside the fixed columns (PostgreSQL's
 * `catalog_functions.settings`) and filled with their defaults when read from a catalog written before
 * they existed (an older `function.json`, a row from before migration 2).
 */
import { type AsyncInvokeConfig, DEFAULT_ASYNC_CONFIG } from '../triggers/types.js';
import type { FunctionDefinition } from './types.js';

export type FunctionSettings = Pick<FunctionDefinition, 'type' | 'triggers' | 'asyncConfig'>;

/** `stored`, with every setting it lacks at its default. */
export function withSettingDefaults(stored: Partial<FunctionSettings> | undefined): FunctionSettings {
  const asyncConfig: AsyncInvokeConfig = { ...DEFAULT_ASYNC_CONFIG, ...(stored?.asyncConfig ?? {}) };
  return {
    type: stored?.type ?? 'Event',
    triggers: stored?.triggers ?? [],
    asyncConfig,
  };
}

/** The settings of `def`, as stored. */
export function settingsOf(def: FunctionDefinition): FunctionSettings {
  return { type: def.type, triggers: def.triggers, asyncConfig: def.asyncConfig };
}
