/**
 * The two measurements the request benchmarks share: `n` calls one after another (each call's latency),
 * then `callers` calling at once for `ms` (calls per second); and the percentiles they are read with.
 */

export interface Measured {
  /** ms, one per sequential call. */
  latencies: number[];
  /** Calls per second, one per concurrent run. */
  throughput: number[];
}

/** `n` calls of `call`, one after another; each latency appended to `into.latencies`. */
export async function sequential(into: Measured, n: number, call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await call();
    into.latencies.push(performance.now() - t0);
  }
}

/** `callers` loops calling `call` for `ms`; the calls per second appended to `into.throughput`. */
export async function concurrent(
  into: Measured,
  o: { callers: number; ms: number },
  call: () => Promise<unknown>,
): Promise<void> {
  let done = 0;
  const t0 = performance.now();
  const end = t0 + o.ms;
  await Promise.all(
    Array.from({ length: o.callers }, async () => {
      while (performance.now() < end) {
        await call();
        done++;
      }
    }),
  );
  into.throughput.push(done / ((performance.now() - t0) / 1000));
}

/** The `p`th percentile (nearest rank) of `xs`. */
export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
export const median = (xs: number[]): number => pct(xs, 50);
