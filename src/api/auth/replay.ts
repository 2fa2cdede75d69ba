/**
 * Replay protection shared by the signed protocols: a request's Timestamp must be within the allowed skew
 * of server time, and a (SecretId, Nonce) pair (v2, v1) or (SecretId, Timestamp, Signature) (TC3) may be
 * used once within that window. Nonces are forgotten
 * once they are older than the window (a request that old is rejected by the timestamp check anyway).
 */
import { ScfError } from '../../errors/index.js';

export class ReplayGuard {
  readonly #skewMs: number;
  readonly #now: () => number;
  /** key `${secretId}\n${nonce}` -> expiry (epoch ms). */
  readonly #seen = new Map<string, { exp: number }>();
  #lastSweep = 0;

  constructor(options: { maxSkewSeconds: number; now?: () => number }) {
    this.#skewMs = options.maxSkewSeconds * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Throws SignatureExpire when `timestampSec` is too far from now. */
  checkTimestamp(timestampSec: number): void {
    const now = this.#now();
    if (!Number.isFinite(timestampSec) || Math.abs(now - timestampSec * 1000) > this.#skewMs) {
      throw new ScfError(
        'SignatureExpire',
        `Timestamp ${String(timestampSec)} is more than ${this.#skewMs / 1000} s away from server time ${Math.floor(now / 1000)}`,
      );
    }
  }

  /**
   * Records a nonce as used; throws NonceReused if it was used before within the window.
   * Call only after the signature is verified, so forged requests cannot burn nonces.
   */
  useNonce(secretId: string, nonce: string): void {
    const key = `${secretId}\n${nonce}`;
    if (this.#live(key) !== undefined) {
      throw new ScfError('NonceReused', `Nonce ${nonce} was already used (replayed request)`);
    }
    this.#seen.set(key, { exp: this.#now() + 2 * this.#skewMs });
  }

  /**
   * TC3 replay protection. TC3 carries no nonce: a request is known by its (Timestamp, Signature). A write
   * (an action that changes or runs something) whose pair was already seen, whatever action it was seen
   * with, is refused (NonceReused): that stops an exact replay and a replay with X-TC-Action changed (the
   * SDKs sign only `content-type;host`, so the action is not covered by the signature). Reads are answered
   * again: two identical reads within one second (polling) share a signature, and answering the second
   * gives nothing the first did not. Call only after the signature verified, so forged requests cannot
   * burn a signature.
   */
  useSignature(secretId: string, timestampSec: number, signature: string, call: { write: boolean }): void {
    const key = `${secretId}\ntc3/${timestampSec}/${signature}`;
    if (this.#live(key) !== undefined) {
      if (!call.write) return;
      throw new ScfError(
        'NonceReused',
        `This signature (X-TC-Timestamp ${timestampSec}) was already used: a replayed request, refused. ` +
          'TC3 as the SDKs sign it does not cover X-TC-Action, so a request with the same parameters signed ' +
          'in the same second looks the same; send it again in the next second (or sign x-tc-action).',
      );
    }
    this.#seen.set(key, { exp: this.#now() + 2 * this.#skewMs });
  }

  /** The live entry for `key` (sweeping expired ones now and then). */
  #live(key: string): { exp: number } | undefined {
    const now = this.#now();
    if (now - this.#lastSweep > 10_000) {
      for (const [k, v] of this.#seen) if (v.exp < now) this.#seen.delete(k);
      this.#lastSweep = now;
    }
    const entry = this.#seen.get(key);
    return entry !== undefined && entry.exp >= now ? entry : undefined;
  }
}
