/**
 * SCF's timer cron dialect (`src/triggers/cron.ts`): the examples of SCF's documentation with their
 * firings written out by hand (calendar facts checked with `date`), the expressions it refuses, and
 * fast-check properties against a brute-force reference written here from the documented rules: random
 * expressions are generated from a model that also gives the values each field stands for, and the
 * reference walks the clock (second by second, or day by day and then second by second) to find the
 * first time that matches. Every time is read on a fixed offset with UTC getters, never the machine's zone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CronError, nextFireTime, parseCron } from '../../../src/triggers/cron.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();
const BEIJING = { offsetMinutes: 480 };

/** The firings of `expr` after `from`, `n` of them, as ISO UTC strings. */
function firings(expr: string, from: string, n: number, zone = { offsetMinutes: 0 }): (string | undefined)[] {
  const s = parseCron(expr);
  const out: (string | undefined)[] = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < n && t !== undefined; i++) {
    t = nextFireTime(s, t, zone);
    out.push(iso(t));
  }
  return out;
}

describe('SCF documentation examples', () => {
  it('*/5 * * * * * * fires every 5 seconds, strictly after the time given', () => {
    assert.deepEqual(firings('*/5 * * * * * *', '2024-03-10T00:00:02.300Z', 3), [
      '2024-03-10T00:00:05.000Z',
      '2024-03-10T00:00:10.000Z',
      '2024-03-10T00:00:15.000Z',
    ]);
    // Exactly on a firing: the next one.
    assert.deepEqual(firings('*/5 * * * * * *', '2024-03-10T00:00:05.000Z', 1), ['2024-03-10T00:00:10.000Z']);
    assert.deepEqual(firings('*/5 * * * * * *', '2024-03-10T00:00:04.999Z', 1), ['2024-03-10T00:00:05.000Z']);
  });

  it('0 0 2 1 * * * fires at 02:00 on the 1st of each month, on the zone’s clock', () => {
    // 02:00 in UTC+8 is 18:00 UTC the day before.
    assert.deepEqual(firings('0 0 2 1 * * *', '2024-03-10T00:00:00Z', 2, BEIJING), [
      '2024-03-31T18:00:00.000Z',
      '2024-04-30T18:00:00.000Z',
    ]);
    assert.deepEqual(firings('0 0 2 1 * * *', '2024-03-10T00:00:00Z', 1), ['2024-04-01T02:00:00.000Z']);
  });

  it('0 15 10 * * MON-FRI * fires on weekdays only (the day of month is *)', () => {
    // 2024-03-09 is a Saturday; Monday the 11th 10:15 in UTC+8 is 02:15 UTC.
    assert.deepEqual(firings('0 15 10 * * MON-FRI *', '2024-03-09T00:00:00Z', 6, BEIJING), [
      '2024-03-11T02:15:00.000Z',
      '2024-03-12T02:15:00.000Z',
      '2024-03-13T02:15:00.000Z',
      '2024-03-14T02:15:00.000Z',
      '2024-03-15T02:15:00.000Z',
      '2024-03-18T02:15:00.000Z',
    ]);
  });

  it('0 0 10,14,16 * * * *, 0 */30 9-17 * * * * and 0 0 12 * * WED *', () => {
    assert.deepEqual(firings('0 0 10,14,16 * * * *', '2024-03-10T11:00:00Z', 4), [
      '2024-03-10T14:00:00.000Z',
      '2024-03-10T16:00:00.000Z',
      '2024-03-11T10:00:00.000Z',
      '2024-03-11T14:00:00.000Z',
    ]);
    assert.deepEqual(firings('0 */30 9-17 * * * *', '2024-03-10T17:00:00Z', 4), [
      '2024-03-10T17:30:00.000Z',
      '2024-03-11T09:00:00.000Z',
      '2024-03-11T09:30:00.000Z',
      '2024-03-11T10:00:00.000Z',
    ]);
    // 2024-03-13 is a Wednesday.
    assert.deepEqual(firings('0 0 12 * * WED *', '2024-03-10T00:00:00Z', 2), [
      '2024-03-13T12:00:00.000Z',
      '2024-03-20T12:00:00.000Z',
    ]);
  });

  it('a one-off with a year (33 22 11 6 7 * 2021) fires once, then no more', () => {
    assert.deepEqual(firings('33 22 11 6 7 * 2021', '2021-01-01T00:00:00Z', 2, BEIJING), [
      '2021-07-06T03:22:33.000Z',
      undefined,
    ]);
    assert.equal(nextFireTime(parseCron('33 22 11 6 7 * 2021'), at('2022-01-01T00:00:00Z')), undefined);
  });

  it('1/10 in the minute field is minutes 1, 11, 21, … (SCF’s own example)', () => {
    assert.deepEqual(firings('0 1/10 * * * * *', '2024-03-10T00:00:00Z', 7), [
      '2024-03-10T00:01:00.000Z',
      '2024-03-10T00:11:00.000Z',
      '2024-03-10T00:21:00.000Z',
      '2024-03-10T00:31:00.000Z',
      '2024-03-10T00:41:00.000Z',
      '2024-03-10T00:51:00.000Z',
      '2024-03-10T01:01:00.000Z',
    ]);
  });

  it('the legacy five-field form is minute hour day month week, at second 0', () => {
    const s = parseCron('*/15 8 * * *');
    assert.equal(s.form, 'five-field');
    assert.deepEqual(firings('*/15 8 * * *', '2024-03-10T08:20:00Z', 3), [
      '2024-03-10T08:30:00.000Z',
      '2024-03-10T08:45:00.000Z',
      '2024-03-11T08:00:00.000Z',
    ]);
    assert.deepEqual(firings('0 9 * * 1', '2024-03-09T00:00:00Z', 1), ['2024-03-11T09:00:00.000Z']);
  });
});

describe('the dialect', () => {
  it('day of month and day of week both given: a day matching either fires', () => {
    // The 1st of the month or Mondays: 2024-03-01 (Fri), then Mondays 4, 11.
    assert.deepEqual(firings('0 0 0 1 * MON *', '2024-02-29T12:00:00Z', 3), [
      '2024-03-01T00:00:00.000Z',
      '2024-03-04T00:00:00.000Z',
      '2024-03-11T00:00:00.000Z',
    ]);
    // ? is "no value": the other field alone decides.
    assert.deepEqual(firings('0 0 0 ? * MON *', '2024-02-29T12:00:00Z', 1), ['2024-03-04T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 0 1 * ? *', '2024-02-29T12:00:00Z', 2), [
      '2024-03-01T00:00:00.000Z',
      '2024-04-01T00:00:00.000Z',
    ]);
  });

  it('names are case-insensitive; 0 is Sunday', () => {
    // 2025-02-01 is a Saturday: the first Sunday of February 2025 is the 2nd.
    assert.deepEqual(firings('0 0 0 ? jan,Feb sun *', '2025-02-01T00:00:00Z', 1), [
      '2025-02-02T00:00:00.000Z',
    ]);
    assert.deepEqual(firings('0 0 0 ? 2 0 *', '2025-02-01T00:00:00Z', 1), ['2025-02-02T00:00:00.000Z']);
  });

  it('a range whose start is after its end wraps round (22-2 hours, NOV-FEB)', () => {
    assert.deepEqual(firings('0 0 22-2 * * * *', '2024-03-10T02:30:00Z', 6), [
      '2024-03-10T22:00:00.000Z',
      '2024-03-10T23:00:00.000Z',
      '2024-03-11T00:00:00.000Z',
      '2024-03-11T01:00:00.000Z',
      '2024-03-11T02:00:00.000Z',
      '2024-03-11T22:00:00.000Z',
    ]);
    assert.deepEqual(firings('0 0 0 1 NOV-FEB * *', '2024-03-10T00:00:00Z', 2), [
      '2024-11-01T00:00:00.000Z',
      '2024-12-01T00:00:00.000Z',
    ]);
    // A step across the wrap: 50, 55, 0, 5.
    assert.deepEqual(firings('50-5/5 * * * * * *', '2024-03-10T00:00:49Z', 5), [
      '2024-03-10T00:00:50.000Z',
      '2024-03-10T00:00:55.000Z',
      '2024-03-10T00:01:00.000Z',
      '2024-03-10T00:01:05.000Z',
      '2024-03-10T00:01:50.000Z',
    ]);
  });

  it('L, LW and nW in the day of month', () => {
    // 2024 is a leap year.
    assert.deepEqual(firings('0 0 0 L 2 * *', '2024-01-01T00:00:00Z', 2), [
      '2024-02-29T00:00:00.000Z',
      '2025-02-28T00:00:00.000Z',
    ]);
    // 2024-03-31 is a Sunday: the last weekday of March is Friday the 29th.
    assert.deepEqual(firings('0 0 0 LW 3 * *', '2024-01-01T00:00:00Z', 1), ['2024-03-29T00:00:00.000Z']);
    // June 2024: the 15th is a Saturday (Friday the 14th), the 1st a Saturday (Monday the 3rd), the 30th a
    // Sunday (Friday the 28th); September 2024: the 1st is a Sunday (Monday the 2nd).
    assert.deepEqual(firings('0 0 0 15W 6 * 2024', '2024-01-01T00:00:00Z', 1), ['2024-06-14T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 0 1W 6 * 2024', '2024-01-01T00:00:00Z', 1), ['2024-06-03T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 0 30W 6 * 2024', '2024-01-01T00:00:00Z', 1), ['2024-06-28T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 0 1W 9 * 2024', '2024-01-01T00:00:00Z', 1), ['2024-09-02T00:00:00.000Z']);
    // 31W has no day in a 30-day month.
    assert.deepEqual(firings('0 0 0 31W 6 * 2024', '2024-01-01T00:00:00Z', 1), [undefined]);
  });

  it('nL and n#k in the day of week', () => {
    // March 2024: Fridays 1, 8, 15, 22, 29; Mondays 4, 11, 18, 25.
    assert.deepEqual(firings('0 0 0 ? 3 5L 2024', '2024-01-01T00:00:00Z', 1), ['2024-03-29T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 0 ? 3 FRIL 2024', '2024-01-01T00:00:00Z', 1), ['2024-03-29T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 0 ? 3 1#2 2024', '2024-01-01T00:00:00Z', 1), ['2024-03-11T00:00:00.000Z']);
    assert.deepEqual(firings('0 0 0 ? 3 mon#5 2024', '2024-01-01T00:00:00Z', 1), [undefined]);
    assert.deepEqual(firings('0 0 0 ? 3 FRI#5 2024', '2024-01-01T00:00:00Z', 1), [
      '2024-03-29T00:00:00.000Z',
    ]);
  });

  it('a day that never comes, and the end of the year range, give no firing', () => {
    assert.equal(nextFireTime(parseCron('0 0 0 30 2 * *'), at('2024-01-01T00:00:00Z')), undefined);
    assert.equal(iso(nextFireTime(parseCron('0 0 0 1 1 * *'), at('2099-01-01T00:00:00Z'))), undefined);
    assert.equal(
      iso(nextFireTime(parseCron('59 59 23 31 12 * *'), at('2099-12-31T23:59:58Z'))),
      '2099-12-31T23:59:59.000Z',
    );
    assert.equal(nextFireTime(parseCron('* * * * * * *'), at('2099-12-31T23:59:59Z')), undefined);
  });

  it('leading zeros and extra spaces are accepted (00 00 20 25 10 * 2021)', () => {
    assert.deepEqual(firings('  00 00  20 25 10 * 2021 ', '2021-01-01T00:00:00Z', 1, BEIJING), [
      '2021-10-25T12:00:00.000Z',
    ]);
  });
});

describe('expressions SCF does not take are refused, saying why', () => {
  const refused: [string, RegExp, string?][] = [
    ['', /has 0 fields; SCF takes seven/],
    ['* * * * * *', /has 6 fields; SCF takes seven .* or the legacy five/],
    ['@daily', /has 1 field;/],
    ['60 * * * * * *', /second 60 is out of range: second is 0–59/, 'second'],
    ['* 60 * * * * *', /minute 60 is out of range/, 'minute'],
    ['* * 24 * * * *', /hour 24 is out of range/, 'hour'],
    ['* * * 0 * * *', /day-of-month 0 is out of range/, 'day-of-month'],
    ['* * * 32 * * *', /day-of-month 32 is out of range/, 'day-of-month'],
    ['* * * * 13 * *', /month 13 is out of range: month is 1–12 or JAN–DEC/, 'month'],
    [
      '* * * * * 7 *',
      /day-of-week 7 is out of range: day-of-week is 0–6 or SUN–SAT, 0 is Sunday/,
      'day-of-week',
    ],
    ['* * * * * * 1969', /year 1969 is out of range: year is 1970–2099/, 'year'],
    ['* * * * * * 2100', /year 2100 is out of range/, 'year'],
    ['* * * * * * 2030-2020', /year range 2030-2020 runs backwards/, 'year'],
    ['*/0 * * * * * *', /step "\/0" in the second field must be a whole number from 1 to 59/, 'second'],
    ['*/60 * * * * * *', /step "\/60"/, 'second'],
    ['1-2-3 * * * * * *', /"1-2-3" is not a value, a range a-b or a step/, 'second'],
    ['1/2/3 * * * * * *', /more than one "\/"/, 'second'],
    ['1,,2 * * * * * *', /empty list item/, 'second'],
    ['*,5 * * * * * *', /"\*" in the second field stands alone/, 'second'],
    ['MON * * * * * *', /"MON" is not a second/, 'second'],
    ['? * * * * * *', /"\?" is not a second/, 'second'],
    ['* * * * JANUARY * *', /"JANUARY" is not a month/, 'month'],
    ['* * * * * L *', /day-of-week field "L" uses L, # or \?/, 'day-of-week'],
    ['* * * * * 1,5L *', /day-of-week field "1,5L"/, 'day-of-week'],
    ['* * * * * 1#6 *', /after "#" is 1–5/, 'day-of-week'],
    ['* * * * * 7L *', /day-of-week 7 is out of range/, 'day-of-week'],
    ['* * * 5L * * *', /day-of-month field "5L" uses L, W or \?/, 'day-of-month'],
    ['* * * 1,LW * * *', /day-of-month field "1,LW"/, 'day-of-month'],
    ['* * * 32W * * *', /day-of-month 32 is out of range/, 'day-of-month'],
    ['-1 * * * * * *', /is not a value, a range/, 'second'],
    ['1.5 * * * * * *', /"1.5" is not a second/, 'second'],
  ];
  for (const [expr, message, field] of refused) {
    it(`"${expr}"`, () => {
      assert.throws(
        () => parseCron(expr),
        (err: unknown) => {
          assert.ok(err instanceof CronError, String(err));
          assert.ok(err instanceof Error);
          assert.match(err.message, message);
          assert.ok(err.message.startsWith(`invalid cron expression "${expr}": `), err.message);
          assert.equal(err.field, field);
          return true;
        },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------------------
// The brute-force reference: a model of a field that renders to text and says which values it stands for.

interface NumField {
  min: number;
  max: number;
  names?: readonly string[];
  wraps: boolean;
}
const SEC: NumField = { min: 0, max: 59, wraps: true };
const MIN: NumField = { min: 0, max: 59, wraps: true };
const HOUR: NumField = { min: 0, max: 23, wraps: true };
const DOM: NumField = { min: 1, max: 31, wraps: true };
const MONTH: NumField = {
  min: 1,
  max: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  wraps: true,
};
const DOW: NumField = {
  min: 0,
  max: 6,
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  wraps: true,
};
const YEAR: NumField = { min: 1970, max: 2099, wraps: false };

/** A rendered field and the set of values it stands for. */
interface Modelled {
  text: string;
  set: Set<number>;
}

/** A value as digits (sometimes with a leading zero) or, where the field has them, a name in some case. */
const valueText = (f: NumField, v: number): fc.Arbitrary<string> => {
  const options: fc.Arbitrary<string>[] = [fc.constant(String(v)), fc.constant(String(v).padStart(2, '0'))];
  if (f.names) {
    const name = f.names[v - f.min]!;
    options.push(fc.constantFrom(name, name.toUpperCase(), name[0]!.toUpperCase() + name.slice(1)));
  }
  return fc.oneof(...options);
};

/** The values from a to b walking upwards, round the field's end if b < a. */
function walk(f: NumField, a: number, b: number): number[] {
  const out: number[] = [];
  if (a <= b) for (let v = a; v <= b; v++) out.push(v);
  else {
    for (let v = a; v <= f.max; v++) out.push(v);
    for (let v = f.min; v <= b; v++) out.push(v);
  }
  return out;
}

const everyNth = (xs: number[], n: number): number[] => xs.filter((_, i) => i % n === 0);

function itemArb(f: NumField): fc.Arbitrary<Modelled> {
  const v = fc.integer({ min: f.min, max: f.max });
  const span = f.max - f.min + 1;
  const step = fc.integer({ min: 1, max: Math.min(span - 1, 20) });
  const single = v.chain((x) => valueText(f, x).map((text) => ({ text, set: new Set([x]) })));
  const range = fc
    .tuple(v, v, fc.option(step, { nil: undefined }))
    .filter(([a, b]) => f.wraps || a <= b)
    .chain(([a, b, n]) =>
      fc.tuple(valueText(f, a), valueText(f, b)).map(([ta, tb]) => ({
        text: `${ta}-${tb}${n === undefined ? '' : `/${n}`}`,
        set: new Set(everyNth(walk(f, a, b), n ?? 1)),
      })),
    );
  const fromStep = fc
    .tuple(v, step)
    .chain(([a, n]) =>
      valueText(f, a).map((ta) => ({ text: `${ta}/${n}`, set: new Set(everyNth(walk(f, a, f.max), n)) })),
    );
  const starStep = step.map((n) => ({ text: `*/${n}`, set: new Set(everyNth(walk(f, f.min, f.max), n)) }));
  return fc.oneof(single, range, fromStep, starStep);
}

function fieldArb(f: NumField, star = 3): fc.Arbitrary<Modelled> {
  const all = { text: '*', set: new Set(walk(f, f.min, f.max)) };
  const list = fc.array(itemArb(f), { minLength: 1, maxLength: 3 }).map((items) => ({
    text: items.map((i) => i.text).join(','),
    set: new Set(items.flatMap((i) => [...i.set])),
  }));
  return fc.oneof({ arbitrary: fc.constant(all), weight: star }, { arbitrary: list, weight: 4 });
}

type DomModel =
  | { kind: 'any'; text: string }
  | { kind: 'set'; text: string; set: Set<number> }
  | { kind: 'L' | 'LW'; text: string }
  | { kind: 'W'; text: string; day: number };
type DowModel =
  | { kind: 'any'; text: string }
  | { kind: 'set'; text: string; set: Set<number> }
  | { kind: 'L'; text: string; weekday: number }
  | { kind: '#'; text: string; weekday: number; nth: number };

const domArb: fc.Arbitrary<DomModel> = fc.oneof(
  { arbitrary: fc.constantFrom<DomModel>({ kind: 'any', text: '*' }, { kind: 'any', text: '?' }), weight: 4 },
  { arbitrary: fieldArb(DOM, 0).map((m): DomModel => ({ kind: 'set', ...m })), weight: 4 },
  { arbitrary: fc.constantFrom<DomModel>({ kind: 'L', text: 'L' }, { kind: 'LW', text: 'lw' }), weight: 1 },
  {
    arbitrary: fc.integer({ min: 1, max: 31 }).map((day): DomModel => ({ kind: 'W', text: `${day}W`, day })),
    weight: 1,
  },
);
const dowArb: fc.Arbitrary<DowModel> = fc.oneof(
  { arbitrary: fc.constantFrom<DowModel>({ kind: 'any', text: '*' }, { kind: 'any', text: '?' }), weight: 4 },
  { arbitrary: fieldArb(DOW, 0).map((m): DowModel => ({ kind: 'set', ...m })), weight: 4 },
  {
    arbitrary: fc
      .integer({ min: 0, max: 6 })
      .chain((w) => valueText(DOW, w).map((t): DowModel => ({ kind: 'L', text: `${t}L`, weekday: w }))),
    weight: 1,
  },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 5 }))
      .chain(([w, k]) =>
        valueText(DOW, w).map((t): DowModel => ({ kind: '#', text: `${t}#${k}`, weekday: w, nth: k })),
      ),
    weight: 1,
  },
);

interface Model {
  sec: Modelled;
  min: Modelled;
  hour: Modelled;
  dom: DomModel;
  month: Modelled;
  dow: DowModel;
  year: Modelled;
}

const text = (m: Model): string =>
  [m.sec, m.min, m.hour, m.dom, m.month, m.dow, m.year].map((f) => f.text).join(' ');

/** A wall-clock day, read with UTC getters from ms shifted by the offset. */
interface Day {
  y: number;
  m: number;
  d: number;
  /** Weekday, 0 Sunday. */
  w: number;
  /** Days in the month. */
  len: number;
}

function dayOf(wallMs: number): Day {
  const t = new Date(wallMs);
  const y = t.getUTCFullYear();
  const m = t.getUTCMonth() + 1;
  return { y, m, d: t.getUTCDate(), w: t.getUTCDay(), len: new Date(Date.UTC(y, m, 0)).getUTCDate() };
}

const isWeekday = (y: number, m: number, d: number): boolean => {
  const w = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return w >= 1 && w <= 5;
};

/** Day-of-month specials, from their documented meaning. */
function domMatches(dom: DomModel, day: Day): boolean {
  switch (dom.kind) {
    case 'any':
      return true;
    case 'set':
      return dom.set.has(day.d);
    case 'L':
      return day.d === day.len;
    case 'LW': {
      // The last day of the month that is Monday to Friday.
      let last = day.len;
      while (!isWeekday(day.y, day.m, last)) last--;
      return day.d === last;
    }
    case 'W': {
      // The Monday-to-Friday day of the same month closest to the day named; none if the month is shorter.
      if (dom.day > day.len) return false;
      let best = -1;
      for (let x = 1; x <= day.len; x++) {
        if (isWeekday(day.y, day.m, x) && (best < 0 || Math.abs(x - dom.day) < Math.abs(best - dom.day)))
          best = x;
      }
      return day.d === best;
    }
  }
}

function dowMatches(dow: DowModel, day: Day): boolean {
  switch (dow.kind) {
    case 'any':
      return true;
    case 'set':
      return dow.set.has(day.w);
    case 'L':
      // That weekday, and a week later is next month.
      return day.w === dow.weekday && day.d + 7 > day.len;
    case '#': {
      // That weekday, and the k-th of its kind counting from the 1st.
      let count = 0;
      for (let x = day.d; x >= 1; x -= 7) count++;
      return day.w === dow.weekday && count === dow.nth;
    }
  }
}

function dayMatches(model: Model, day: Day): boolean {
  if (!model.month.set.has(day.m) || !model.year.set.has(day.y)) return false;
  const domGiven = model.dom.kind !== 'any';
  const dowGiven = model.dow.kind !== 'any';
  if (domGiven && dowGiven) return domMatches(model.dom, day) || dowMatches(model.dow, day);
  return domMatches(model.dom, day) && dowMatches(model.dow, day);
}

/**
 * The first matching second after `afterMs`, looking no further than `untilMs`: undefined if none.
 * Day by day (a day's date fields do not change within it), then second by second within the day.
 */
function reference(
  model: Model,
  afterMs: number,
  untilMs: number,
  offsetMinutes: number,
): number | undefined {
  const off = offsetMinutes * 60_000;
  let wall = Math.floor((afterMs + off) / 1000) * 1000 + 1000;
  const end = untilMs + off;
  while (wall <= end) {
    const dayStart = Math.floor(wall / 86_400_000) * 86_400_000;
    if (dayMatches(model, dayOf(wall))) {
      // Every second of the day in order, an hour or a minute at a time where the field rules it out.
      for (let h = 0; h < 24; h++) {
        if (!model.hour.set.has(h)) continue;
        for (let mi = 0; mi < 60; mi++) {
          if (!model.min.set.has(mi)) continue;
          for (let s = 0; s < 60; s++) {
            const t = dayStart + ((h * 60 + mi) * 60 + s) * 1000;
            if (t >= wall && t <= end && model.sec.set.has(s)) return t - off;
          }
        }
      }
    }
    wall = dayStart + 86_400_000;
  }
  return undefined;
}

const offsetArb = fc.oneof(
  fc.constantFrom(0, 480, -420, 345, 840, -720),
  fc.integer({ min: -48, max: 56 }).map((q) => q * 15),
);

describe('nextFireTime against a brute-force reference (fast-check)', () => {
  it('time-of-day fields, every second of a day and a half', () => {
    const model = fc.record({
      sec: fieldArb(SEC),
      min: fieldArb(MIN),
      hour: fieldArb(HOUR),
      dom: fc.constant<DomModel>({ kind: 'any', text: '*' }),
      month: fc.constant({ text: '*', set: new Set(walk(MONTH, 1, 12)) }),
      dow: fc.constant<DowModel>({ kind: 'any', text: '?' }),
      year: fc.constant({ text: '*', set: new Set(walk(YEAR, 1970, 2099)) }),
    });
    const after = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2090, 0, 1) });
    fc.assert(
      fc.property(model, after, offsetArb, (m, afterMs, offset) => {
        const until = afterMs + 36 * 3600_000;
        const expected = reference(m, afterMs, until, offset);
        const got = nextFireTime(parseCron(text(m)), afterMs, { offsetMinutes: offset });
        if (expected !== undefined) assert.equal(iso(got), iso(expected), text(m));
        else assert.ok(got === undefined || got > until, `${text(m)}: ${iso(got)} within the window`);
      }),
      { numRuns: 150 },
    );
  });

  it('date fields (day of month, month, day of week, year, L W #), day by day over four years', () => {
    const model = fc.record({
      sec: fieldArb(SEC, 1),
      min: fieldArb(MIN, 1),
      hour: fieldArb(HOUR, 1),
      dom: domArb,
      month: fieldArb(MONTH),
      dow: dowArb,
      year: fc.oneof(
        { arbitrary: fc.constant({ text: '*', set: new Set(walk(YEAR, 1970, 2099)) }), weight: 3 },
        { arbitrary: fieldArb(YEAR, 0), weight: 1 },
      ),
    });
    const after = fc.integer({ min: Date.UTC(1969, 11, 31), max: Date.UTC(2099, 11, 31, 23) });
    fc.assert(
      fc.property(model, after, offsetArb, (m, afterMs, offset) => {
        const until = afterMs + 4 * 366 * 86_400_000;
        const expected = reference(m, afterMs, until, offset);
        const got = nextFireTime(parseCron(text(m)), afterMs, { offsetMinutes: offset });
        if (expected !== undefined) assert.equal(iso(got), iso(expected), text(m));
        else assert.ok(got === undefined || got > until, `${text(m)}: ${iso(got)} within the window`);
      }),
      { numRuns: 300 },
    );
  });

  it('the special day symbols alone (L, LW, nW, nL, n#k), firing after firing over a year', () => {
    const special = fc.oneof(
      domArb
        .filter((d) => d.kind === 'L' || d.kind === 'LW' || d.kind === 'W')
        .map((dom) => ({ dom, dow: { kind: 'any', text: '?' } as DowModel })),
      dowArb
        .filter((d) => d.kind === 'L' || d.kind === '#')
        .map((dow) => ({ dom: { kind: 'any', text: '?' } as DomModel, dow })),
    );
    const everything = (f: NumField) => ({ text: '*', set: new Set(walk(f, f.min, f.max)) });
    fc.assert(
      fc.property(
        special,
        fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2098, 0, 1) }),
        (sp, from) => {
          const m: Model = {
            sec: { text: '0', set: new Set([0]) },
            min: { text: '0', set: new Set([0]) },
            hour: { text: '12', set: new Set([12]) },
            ...sp,
            month: everything(MONTH),
            year: everything(YEAR),
          };
          const s = parseCron(text(m));
          // Every firing of a year, one after the other, each the reference's next.
          let t = from;
          for (let i = 0; i < 12; i++) {
            const expected = reference(m, t, t + 62 * 86_400_000, 0);
            const got = nextFireTime(s, t);
            if (expected === undefined) {
              assert.ok(got === undefined || got > t + 62 * 86_400_000, `${text(m)} after ${iso(t)}`);
              t += 62 * 86_400_000;
            } else {
              assert.equal(iso(got), iso(expected), `${text(m)} after ${iso(t)}`);
              t = expected;
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('five fields are seven with second 0 and any year', () => {
    const model = fc.record({
      min: fieldArb(MIN),
      hour: fieldArb(HOUR),
      month: fieldArb(MONTH),
      dow: dowArb,
    });
    fc.assert(
      fc.property(
        model,
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2090, 0, 1) }),
        (m, afterMs) => {
          const five = `${m.min.text} ${m.hour.text} * ${m.month.text} ${m.dow.text}`;
          const seven = `0 ${m.min.text} ${m.hour.text} * ${m.month.text} ${m.dow.text} *`;
          assert.equal(nextFireTime(parseCron(five), afterMs), nextFireTime(parseCron(seven), afterMs));
        },
      ),
      { numRuns: 100 },
    );
  });
});
