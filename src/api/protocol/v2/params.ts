/**
 * v2 request parameters: read from the query string (GET) or the form body (POST), decoded once. The
 * decoded values are what the signature covers (the client signs raw values and URL-encodes them only to
 * send), so the same list serves signing and reading.
 */
import { ScfError } from '../../../errors/index.js';
import type { WireRequest } from '../../wire.js';

/** One parameter as received: its name exactly as sent and its decoded value. */
export interface V2Param {
  readonly name: string;
  readonly value: string;
}

export interface ParsedParams {
  /** Every parameter in the order received (the signature input). */
  readonly list: readonly V2Param[];
  /** Value by lookup name (see `lookupName`). */
  readonly byName: ReadonlyMap<string, string>;
}

/**
 * The name under which a parameter is looked up and signed: every `_` read as `.`, unless the name starts
 * with `_` (then it is left whole). This is qcloudapi-sdk's rule for the string to sign, which exists
 * because the original PHP server received `filter.retCode` as `filter_retCode`; reading names the same
 * way makes `filter_retCode` and `filter.retCode` one parameter, as they were there.
 */
export function lookupName(name: string): string {
  return name.indexOf('_') === 0 ? name : name.replaceAll('_', '.');
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * Parses a GET or POST request's parameters. POST takes the form body and any query parameters as well
 * (clients that put common parameters in the URL sign them all the same). Throws InvalidParameter for a
 * POST body that is not form-encoded and for a parameter given twice (the signature would be ambiguous).
 */
export function parseParams(req: WireRequest): ParsedParams {
  const list: V2Param[] = [];
  const add = (text: string): void => {
    // URLSearchParams decodes `+` as a space, as form encoding defines; qcloudapi-sdk sends a literal `+`
    // as %2B (both for GET and POST), so decoded values equal the values it signed.
    for (const [name, value] of new URLSearchParams(text)) list.push({ name, value });
  };
  if (req.rawQuery !== '') add(req.rawQuery);
  if (req.method === 'POST' && req.body.length > 0) {
    const type = (req.headers['content-type'] ?? FORM_TYPE).split(';')[0]!.trim().toLowerCase();
    if (type !== FORM_TYPE) {
      throw new ScfError(
        'InvalidParameter',
        `a POST body must be ${FORM_TYPE} (got ${type || 'no content type'}); send the parameters as a form`,
      );
    }
    add(req.body.toString('utf8'));
  }
  const byName = new Map<string, string>();
  for (const p of list) {
    const key = lookupName(p.name);
    if (byName.has(key)) {
      throw new ScfError('InvalidParameter', `parameter ${p.name} is given more than once`, {
        field: p.name,
      });
    }
    byName.set(key, p.value);
  }
  return { list, byName };
}
