/**
 * Where the console keeps its credentials: this tab's sessionStorage only (gone when the tab closes, never
 * shared with other tabs, never sent anywhere but in signatures). A sign-in code from `scf-local console`
 * (`?login=<code>`) is exchanged once, by POST, for the key pair, then removed from the address bar with
 * history.replaceState, so neither the key nor a usable code stays in the history.
 */
import type { Credentials } from './api.js';

const KEY = 'scf-local.console.credentials';

export function loadCredentials(): Credentials | undefined {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return undefined;
    const c = JSON.parse(raw) as Partial<Credentials>;
    return typeof c.secretId === 'string' && typeof c.secretKey === 'string'
      ? { secretId: c.secretId, secretKey: c.secretKey }
      : undefined;
  } catch {
    // Unreadable storage (disabled, or a malformed value): signed out.
    return undefined;
  }
}

export function saveCredentials(c: Credentials): void {
  sessionStorage.setItem(KEY, JSON.stringify(c));
}

export function clearCredentials(): void {
  sessionStorage.removeItem(KEY);
}

export const LOGIN_PARAM = 'login';

/**
 * Takes a sign-in code out of the address bar (always, whether it works or not) and exchanges it.
 * Resolves with the credentials, undefined when there was no code; rejects with the server's error.
 */
export async function redeemLoginCode(): Promise<Credentials | undefined> {
  const url = new URL(location.href);
  const code = url.searchParams.get(LOGIN_PARAM);
  if (code === null) return undefined;
  url.searchParams.delete(LOGIN_PARAM);
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  const res = await fetch('/console/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ Code: code }),
    credentials: 'omit',
    cache: 'no-store',
  });
  const body = (await res.json()) as {
    Response?: { SecretId?: string; SecretKey?: string; Error?: { Code: string; Message: string } };
  };
  const r = body.Response;
  if (r?.Error) throw Object.assign(new Error(r.Error.Message), { code: r.Error.Code });
  if (typeof r?.SecretId !== 'string' || typeof r.SecretKey !== 'string') {
    throw Object.assign(new Error('the server did not answer the sign-in code'), { code: 'InternalError' });
  }
  return { secretId: r.SecretId, secretKey: r.SecretKey };
}
