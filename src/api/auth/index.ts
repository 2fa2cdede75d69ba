/** Authentication shared by the v2 and API 3.0 protocols: credentials and replay protection. */
export * from './credentials.js';
export * from './replay.js';
