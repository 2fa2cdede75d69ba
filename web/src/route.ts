/**
 * Every view is an address: the path names the view (`/console/` the functions, `/console/functions/<ns>/<name>`
 * a function) and the query string its filters and range, so a link can be shared. `navigate` pushes a new
 * address (or replaces it, for changes that should not pile up in the history, like typing a keyword).
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console/';

export type Route =
  | { view: 'functions'; query: URLSearchParams }
  | { view: 'function'; namespace: string; functionName: string; query: URLSearchParams };

export function parseRoute(loc: { pathname: string; search: string }): Route {
  const query = new URLSearchParams(loc.search);
  const rest = loc.pathname.startsWith(BASE) ? loc.pathname.slice(BASE.length) : '';
  const m = /^functions\/([^/]+)\/([^/]+)\/?$/.exec(rest);
  if (m) {
    return {
      view: 'function',
      namespace: decodeURIComponent(m[1]!),
      functionName: decodeURIComponent(m[2]!),
      query,
    };
  }
  return { view: 'functions', query };
}

export function functionPath(namespace: string, functionName: string, query?: URLSearchParams): string {
  const q = query?.toString();
  return `${BASE}functions/${encodeURIComponent(namespace)}/${encodeURIComponent(functionName)}${q ? `?${q}` : ''}`;
}

const listeners = new Set<() => void>();

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const l of listeners) l();
}

/** The current route, re-rendered on navigation and on back/forward. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location));
  useEffect(() => {
    const update = (): void => setRoute(parseRoute(location));
    listeners.add(update);
    addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** The query string with some keys set (an empty or undefined value removes the key). */
export function withQuery(
  query: URLSearchParams,
  changes: Record<string, string | undefined>,
): URLSearchParams {
  const next = new URLSearchParams(query);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === '') next.delete(k);
    else next.set(k, v);
  }
  return next;
}
