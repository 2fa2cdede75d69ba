export { PostgresLogStore, type PostgresLogStoreOptions } from './store.js';
