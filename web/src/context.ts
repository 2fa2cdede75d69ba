/** What every view is given: the signed API client, the API's time zone, and how to sign out on a refusal. */
import { type Api, ApiError } from './api.js';

export interface AppContext {
  api: Api;
  /** The API's time zone offset (minutes): how its `YYYY-MM-DD HH:mm:ss` times are read and written. */
  apiOffset: number;
  /** A call failed on the credentials: sign out, showing why. */
  onAuthError: (err: ApiError) => void;
}

/** Whether an error says the credentials are wrong (then nothing else is shown). */
export function isAuthError(err: unknown): err is ApiError {
  return err instanceof ApiError && err.code.startsWith('AuthFailure');
}
