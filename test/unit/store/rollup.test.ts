/**
 * The duration histogram's percentile bound (docs/monitoring.md): a percentile read from the rollups is
 * within a factor 2^(1/16) (4.43 %) of the duration of the right rank (nearest rank, computed here by
 * sorting), and never above the largest duration; durations under a microsecond read as 0.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { percentile, RollupDeltas } from '../../../src/store/rollup.js';

/** The documented bound, written out (not imported). */
const FACTOR = 2 ** (1 / 16);

function nearestRank(ds: number[], p: number): number {
  const s = [...ds].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1]!;
}

/** The histogram and max the store would keep for these durations (one minute, one version). */
function rolled(ds: number[]) {
  const d = new RollupDeltas();
  for (const duration of ds) {
    d.addFinal({
      namespace: 'default',
      functionName: 'f',
      qualifier: '$LATEST',
      startTime: 0,
      duration,
      memUsage: 0,
      retCode: 0,
    });
  }
  const [row] = d.sorted();
  return row!;
}

describe('rollup percentiles', () => {
  it('are within 2^(1/16) of the true nearest-rank percentile, and at most the max', () => {
    const duration = fc.oneof(
      fc.double({ min: 0.001, max: 900_000, noNaN: true }),
      fc.double({ min: 0.5, max: 50, noNaN: true }),
      fc.integer({ min: 1, max: 3000 }),
    );
    fc.assert(
      fc.property(
        fc.array(duration, { minLength: 1, maxLength: 400 }),
        fc.constantFrom(50, 95, 99, 1, 100),
        (ds, p) => {
          const row = rolled(ds);
          const got = percentile(row.histogram, p, row.durationMax)!;
          const want = nearestRank(ds, p);
          assert.ok(got <= Math.max(...ds) + 1e-12, `${got} above the max`);
          // A relative bound, with room for a double's rounding at bucket edges.
          assert.ok(
            got <= want * FACTOR * (1 + 1e-12) && got >= (want / FACTOR) * (1 - 1e-12),
            `${p}: ${got} vs ${want}`,
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('merging rows of several minutes gives the percentile of all their durations', () => {
    const a = rolled([1, 2, 3, 400]);
    const b = rolled([5, 6, 7, 8, 9, 10]);
    const merged = { ...a.histogram };
    for (const [k, n] of Object.entries(b.histogram)) merged[k] = (merged[k] ?? 0) + n;
    const got = percentile(merged, 50, 400)!;
    const want = nearestRank([1, 2, 3, 400, 5, 6, 7, 8, 9, 10], 50);
    assert.ok(got / want <= FACTOR && want / got <= FACTOR);
  });

  it('reads durations under a microsecond as 0, and nothing as undefined', () => {
    assert.equal(percentile(rolled([0, 0.0001, 0]).histogram, 99), 0);
    assert.equal(percentile({}, 50), undefined);
  });
});
