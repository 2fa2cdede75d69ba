/**
 * Replay protection shared by the signed protocols: a request's Timestamp must be within the allowed skew
 * of server time, and a (SecretId, Nonce) pair may be used once within that window. Nonces are forgotten
 * once they are older than the window (a request that old is rejected by the timestamp check anyway).
 */
import { ScfError } from '../../errors/index.js';

export class ReplayGuard {
  readonly #skewMs: number;
  readonly #now: () => number;
  /** key `${secretId}\n${nonce}` -> expiry (epoch ms). */
  readonly #seen = new Map<string, number>();
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
    const now = this.#now();
    if (now - this.#lastSweep > 10_000) {
      for (const [k, exp] of this.#seen) if (exp < now) this.#seen.delete(k);
      this.#lastSweep = now;
    }
    const key = `${secretId}\n${nonce}`;
    const exp = this.#seen.get(key);
    if (exp !== undefined && exp >= now) {
      throw new ScfError('NonceReused', `Nonce ${nonce} was already used (replayed request)`);
    }
    this.#seen.set(key, now + 2 * this.#skewMs);
  }
}
