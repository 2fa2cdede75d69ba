/** The data folder as a whole: its lock (one server per folder). */
export { type DataDirLock, LOCK_FILE, type LockHolder, lockDataDir, readHolder } from './lock.js';
