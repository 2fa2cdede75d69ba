/** The live feed's shared constants: event types as stored, the advisory lock that orders event ids. */
export const EVENT_TYPE = { start: 1, log: 2, end: 3 } as const;

/** Transaction-scoped advisory lock taken just before a transaction writes events ("scffeed" in ASCII). */
export const FEED_LOCK = '32487313097942372';

/** The NOTIFY channel of one schema's feed (several platforms may share a database, one per schema). */
export const feedChannel = (schema: string): string => `scf_events:${schema}`;
