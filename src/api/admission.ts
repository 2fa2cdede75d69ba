/**
 * Request admission: the API refuses before it spends. Runs in front of the protocol handlers, on the
 * request line and headers, and on the body as it streams in:
 *
 * 1. Before any body byte is read (`onRequest`), the protocol's `precheck` checks what needs no body: the
 *    method, the signature's algorithm and shape, its timestamp window and that its SecretId is known. A
 *    request that fails is answered at once, in the protocol's own envelope, with `Connection: close`, so
 *    the body it was sending is never read.
 * 2. Each admitted request gets its action's body limit: code uploads `api.maxUploadBodyBytes`, every
 *    other action `api.maxBodyBytes`. A Content-Length beyond it is refused up front; a body without one
 *    (chunked) is counted as it streams and refused the moment it passes the limit.
 * 3. A form POST whose SecretId is in its body (v2, and v1 signing on `/`) cannot be checked from its
 *    headers: at most `api.preAuthBodyBytes` of it are read while its parameters are scanned for
 *    SecretId, Timestamp and Action; once they are found they are checked as in 1 and the limit of 2
 *    applies; a body that has not named SecretId and Timestamp by then is refused. All such unchecked
 *    bytes together are capped by `api.maxPreAuthBufferedBytes` (beyond: RequestLimitExceeded), so
 *    unauthenticated senders can make the server hold no more than that, however many they are.
 * 4. Every byte held counts against `api.maxBufferedBodyBytes`, shared by all requests until their
 *    response is sent: a body that would pass it is refused with RequestLimitExceeded (retry later), so
 *    many concurrent uploads cannot exhaust memory.
 *
 * This is not authentication: the signature is verified by the protocol handler once the body is read
 * (TC3 signs the body's hash). Admission bounds what an unauthenticated caller can make the server hold.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ScfError } from '../errors/index.js';
import type { ProtocolAdmission, ProtocolContext, WireHead, WireResponse } from './wire.js';

export interface AdmissionLimits {
  /** Body limit of every action but code uploads. */
  maxBodyBytes: number;
  /** Body limit of code uploads. */
  maxUploadBodyBytes: number;
  /** Body bytes held at once by all requests together. */
  maxBufferedBodyBytes: number;
  /** Bytes of a form body read before its SecretId and Timestamp must have been seen. */
  preAuthBodyBytes: number;
  /** Bytes of not-yet-checked form bodies held at once, all requests together. */
  maxPreAuthBufferedBytes: number;
}

/** The parameters a form body's prefix is scanned for. */
const SCANNED = ['SecretId', 'Timestamp', 'Action'] as const;

/** A count of body bytes held, shared by every request of one server. */
export class BodyBudget {
  readonly #max: number;
  #held = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Takes `n` bytes if they fit; false (nothing taken) otherwise. */
  take(n: number): boolean {
    if (this.#held + n > this.#max) return false;
    this.#held += n;
    return true;
  }

  give(n: number): void {
    this.#held -= n;
  }

  /** Bytes held now (for tests and diagnostics). */
  get held(): number {
    return this.#held;
  }
}

/** The admission state of one request, from `onRequest` until its response is sent. */
interface Admitted {
  /** Absent on routes without admission (their bodies are never scanned). */
  protocol: ProtocolAdmission | undefined;
  /** The body limit: the action's, or `preAuthBodyBytes` while the form's prefix is being scanned. */
  limit: number;
  /** True while SecretId/Timestamp/Action are still to be found in the body. */
  scanning: boolean;
  /** Bytes taken from the budget for this request. */
  held: number;
  /** Bytes taken from the pre-authentication budget (while scanning; moved to `held` once checked). */
  heldUnchecked: number;
}

const tooLarge = (size: string, limit: number, what: string): ScfError =>
  new ScfError(
    'RequestSizeLimitExceeded',
    `The request body (${size}) is larger than ${limit} bytes, the limit of ${what}.`,
  );

const tooBusy = (): ScfError =>
  new ScfError(
    'RequestLimitExceeded',
    'The server is holding as many request bodies as it may (api.maxBufferedBodyBytes); retry later.',
  );

/**
 * Reads the first parameters of a form body as it streams in (names and values percent-decoded; the
 * signature is verified later over the whole body, so this only has to find the scanned names).
 */
class FormPrefixScanner {
  readonly found = new Map<string, string>();
  /** The pair being read, while it may still be a scanned one (bounded by MAX_PAIR). */
  #partial = '';
  /** True while the rest of a pair that cannot be a scanned one is passed over (up to the next `&`). */
  #skipping = false;

  /** Feeds a chunk; returns true once every scanned name has been seen. */
  feed(chunk: Buffer): boolean {
    // latin1 maps bytes 1:1, so a multi-byte character split across chunks cannot corrupt the ASCII names.
    const text = chunk.toString('latin1');
    let at = 0;
    while (at < text.length) {
      const amp = text.indexOf('&', at);
      const end = amp < 0 ? text.length : amp;
      if (!this.#skipping) {
        this.#partial += text.slice(at, end);
        // A long pair is never one of ours (a name of a few letters, a short value): stop keeping it, so a
        // large value costs nothing here.
        if (this.#partial.length > MAX_PAIR) {
          this.#partial = '';
          this.#skipping = true;
        }
      }
      if (amp < 0) break;
      if (!this.#skipping) this.#take(this.#partial);
      this.#partial = '';
      this.#skipping = false;
      at = amp + 1;
    }
    return this.done;
  }

  get done(): boolean {
    return SCANNED.every((n) => this.found.has(n));
  }

  #take(pair: string): void {
    if (pair === '') return;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent((eq < 0 ? '' : pair.slice(eq + 1)).replace(/\+/g, ' '));
    } catch {
      // Malformed escapes: the protocol handler answers them once the body is read; nothing to learn here.
      return;
    }
    if ((SCANNED as readonly string[]).includes(name) && !this.found.has(name)) this.found.set(name, value);
  }
}

/** Longest `name=value` pair the scanner keeps (SecretId=<id>, Timestamp=<digits>, Action=<name>). */
const MAX_PAIR = 512;

export interface Admission {
  /** The `onRequest` check of one protocol's route. Resolves to a response when the request is refused. */
  check(raw: IncomingMessage, head: WireHead, protocol: ProtocolAdmission): WireResponse | undefined;
  /** Called when the request's response is finished or aborted: gives its bytes back. */
  done(raw: IncomingMessage): void;
  /** The body reader (a Fastify content-type parser): the body within the request's limits, or a coded error. */
  readBody(raw: IncomingMessage, payload: Readable): Promise<Buffer>;
}

export function createAdmission(
  limits: AdmissionLimits,
  ctx: ProtocolContext,
  options: { budget?: BodyBudget } = {},
): Admission {
  // Shared with routes outside the API (the functions' HTTP endpoints) when the server passes its own.
  const budget = options.budget ?? new BodyBudget(limits.maxBufferedBodyBytes);
  const unchecked = new BodyBudget(limits.maxPreAuthBufferedBytes);
  const admitted = new WeakMap<IncomingMessage, Admitted>();
  const limitOf = (protocol: ProtocolAdmission, action: string | undefined): number =>
    action !== undefined && protocol.uploadActions.has(action)
      ? limits.maxUploadBodyBytes
      : limits.maxBodyBytes;
  const whatOf = (limit: number): string =>
    limit === limits.maxUploadBodyBytes ? 'code uploads' : 'this action';

  const declaredLength = (raw: IncomingMessage): number | undefined => {
    const text = raw.headers['content-length'];
    if (text === undefined || raw.headers['transfer-encoding'] !== undefined) return undefined;
    const n = Number(text);
    return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  };

  /** Takes up to `total` bytes for the request (from the unchecked budget while scanning); false when spent. */
  const hold = (st: Admitted, total: number): boolean => {
    if (st.scanning) {
      if (total <= st.heldUnchecked) return true;
      if (!unchecked.take(total - st.heldUnchecked)) return false;
      st.heldUnchecked = total;
      return true;
    }
    if (total <= st.held) return true;
    if (!budget.take(total - st.held)) return false;
    st.held = total;
    return true;
  };

  return {
    check(raw, head, protocol) {
      try {
        const pre = protocol.precheck(head, ctx);
        const scanning = pre === 'params-in-body';
        const st: Admitted = {
          protocol,
          limit: scanning ? limits.preAuthBodyBytes : limitOf(protocol, pre.action),
          scanning,
          held: 0,
          heldUnchecked: 0,
        };
        const declared = declaredLength(raw);
        if (head.method === 'GET') {
          // A GET's body is never read (parameters are in the query); a large one is refused, not drained.
          if (declared !== undefined && declared > limits.preAuthBodyBytes) {
            throw tooLarge(`${declared} bytes`, limits.preAuthBodyBytes, 'a GET request');
          }
        } else if (declared !== undefined && !scanning) {
          if (declared > st.limit) throw tooLarge(`${declared} bytes`, st.limit, whatOf(st.limit));
          if (!hold(st, declared)) throw tooBusy();
        }
        admitted.set(raw, st);
        return undefined;
      } catch (err) {
        return protocol.errorResponse(err);
      }
    },

    done(raw) {
      const st = admitted.get(raw);
      if (!st) return;
      admitted.delete(raw);
      budget.give(st.held);
      unchecked.give(st.heldUnchecked);
      st.held = 0;
      st.heldUnchecked = 0;
    },

    readBody(raw, payload) {
      // Routes without admission (health, the live stream, unknown paths) take no more than a scanned prefix.
      const st: Admitted = admitted.get(raw) ?? {
        protocol: undefined,
        limit: limits.preAuthBodyBytes,
        scanning: false,
        held: 0,
        heldUnchecked: 0,
      };
      const budgeted = admitted.has(raw);
      const declared = declaredLength(raw);
      const scanner = st.scanning ? new FormPrefixScanner() : undefined;
      for (const [k, v] of new URLSearchParams(raw.url?.split('?')[1] ?? '')) {
        if (scanner && (SCANNED as readonly string[]).includes(k) && !scanner.found.has(k))
          scanner.found.set(k, v);
      }
      return new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let finished = false;
        const stop = (err: unknown): void => {
          if (finished) return;
          finished = true;
          payload.off('data', onData);
          payload.off('end', onEnd);
          // Unread bytes stay unread: the refusal is sent with Connection: close and the socket goes.
          payload.pause();
          chunks.length = 0;
          reject(err);
        };
        /** The scanned prefix has named SecretId/Timestamp (checked now) or the budget for it ran out. */
        const decide = (): void => {
          if (!scanner || !st.protocol) return;
          st.scanning = false;
          if (!scanner.found.has('SecretId') || !scanner.found.has('Timestamp')) {
            throw new ScfError(
              'RequestSizeLimitExceeded',
              `A form body must name SecretId and Timestamp within its first ${limits.preAuthBodyBytes} bytes ` +
                '(put the common parameters before large ones).',
            );
          }
          const { action } = st.protocol.precheckParams(scanner.found, ctx);
          st.limit = limitOf(st.protocol, action);
          if (declared !== undefined && declared > st.limit) {
            throw tooLarge(`${declared} bytes`, st.limit, whatOf(st.limit));
          }
          // Checked: what it holds moves from the unchecked budget to the common one.
          if (!hold(st, Math.max(declared ?? 0, st.heldUnchecked))) throw tooBusy();
          unchecked.give(st.heldUnchecked);
          st.heldUnchecked = 0;
        };
        const onData = (chunk: Buffer): void => {
          try {
            size += chunk.length;
            if (budgeted && !hold(st, size)) throw tooBusy();
            if (scanner && st.scanning && (scanner.feed(chunk) || size >= limits.preAuthBodyBytes)) decide();
            if (size > st.limit) {
              throw tooLarge(
                declared === undefined ? `over ${size} bytes` : `${declared} bytes`,
                st.limit,
                whatOf(st.limit),
              );
            }
            chunks.push(chunk);
          } catch (err) {
            stop(err);
          }
        };
        const onEnd = (): void => {
          if (finished) return;
          finished = true;
          payload.off('data', onData);
          // A body that ended while still being scanned is small: the protocol handler checks it whole.
          resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
        };
        payload.on('data', onData);
        payload.on('end', onEnd);
        payload.once('error', (err) => stop(err));
      });
    },
  };
}
