/**
 * SCF's timer cron dialect: parsing a timer trigger's `TriggerDesc` and computing its next firing. Pure;
 * no clock, no local time zone (every computation is on a fixed UTC offset given by the caller).
 *
 * What is accepted, from SCF's "Timer Trigger Description" (cloud.tencent.com/document/product/583/9708,
 * and its English page tencentcloud.com/document/product/583/9708), written down in docs/triggers.md:
 *
 * - Seven fields (SCF's recommended form): `second minute hour day-of-month month day-of-week year`;
 *   seconds 0–59, minutes 0–59, hours 0–23, day of month 1–31, month 1–12 or JAN–DEC, day of week 0–6
 *   or SUN–SAT (0 is Sunday; 7 is not accepted: SCF's range is 0–6), year 1970–2099. Names are
 *   case-insensitive.
 * - Five fields (SCF's legacy form, "to be compatible with legacy timer triggers"):
 *   `minute hour day-of-month month day-of-week`, firing at second 0 of any year. No other field count
 *   and no presets (`@daily`): SCF documents none.
 * - In every field: `*`, a value, a range `a-b`, a step `*∕n`, `a∕n` (from a to the field's end) or
 *   `a-b∕n`, and lists of these with `,`. A range whose start is after its end wraps round the field's
 *   end (`22-2` hours, `NOV-FEB`), as in Quartz (which SCF's dialect follows: same year range, same
 *   `? L W #`); not in the year field. A step is 1 up to the field's span less one (Quartz refuses
 *   `*∕60` seconds too).
 * - In the day fields: `?` (no value given, the same as `*`), and SCF's special symbols, each alone in its
 *   field: day of month `L` (the last day), `LW` (the last weekday, Monday to Friday), `nW` (the weekday
 *   nearest day n, never leaving the month); day of week `nL` (the last weekday n of the month, `5L` the
 *   last Friday) and `n#k` (the k-th weekday n, `1#2` the second Monday; k is 1–5).
 *
 * Day of month and day of week: when both are given values (neither is `*` or `?`), a day matches when
 * EITHER matches (SCF: "when both fields are specified, they are in an OR relationship", as in Vixie
 * cron); when one is `*` or `?`, the other decides alone (`0 15 10 * * MON-FRI *` is weekdays only).
 *
 * Time zone: the fields are read on a wall clock at a fixed offset from UTC (`CronZone`); scf-local
 * passes `apiTimeZoneOffsetMinutes`, UTC+8 by default like SCF. UTC+8 has no summer time, so neither
 * does this: a fixed offset, never the machine's zone.
 */

/** The fields, as error messages name them. */
export type CronFieldName = 'second' | 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week' | 'year';

/** An expression SCF's dialect does not accept; `message` says what and where (for the API's answer). */
export class CronError extends Error {
  /** The expression as given. */
  readonly expression: string;
  /** The field at fault, when one is. */
  readonly field: CronFieldName | undefined;
  constructor(expression: string, problem: string, field?: CronFieldName) {
    super(`invalid cron expression "${expression}": ${problem}`);
    this.name = 'CronError';
    this.expression = expression;
    this.field = field;
  }
}

/** The day-of-month field. */
export type DayOfMonthSpec =
  /** `*` or `?`: no value given. */
  | { kind: 'any' }
  /** `days[d]` for d 1–31. */
  | { kind: 'days'; days: readonly boolean[] }
  /** `L` */
  | { kind: 'last' }
  /** `LW` */
  | { kind: 'lastWeekday' }
  /** `nW` */
  | { kind: 'nearestWeekday'; day: number };

/** The day-of-week field (0 is Sunday). */
export type DayOfWeekSpec =
  | { kind: 'any' }
  /** `days[w]` for w 0–6. */
  | { kind: 'days'; days: readonly boolean[] }
  /** `nL` */
  | { kind: 'last'; weekday: number }
  /** `n#k` */
  | { kind: 'nth'; weekday: number; nth: number };

/** A parsed expression: what `nextFireTime` reads. Values are indexed by themselves (`hours[23]`). */
export interface CronSchedule {
  /** The expression as given. */
  readonly expression: string;
  /** Which of SCF's two forms it was written in. */
  readonly form: 'seven-field' | 'five-field';
  readonly seconds: readonly boolean[];
  readonly minutes: readonly boolean[];
  readonly hours: readonly boolean[];
  readonly dayOfMonth: DayOfMonthSpec;
  /** Indexed 1–12. */
  readonly months: readonly boolean[];
  readonly dayOfWeek: DayOfWeekSpec;
  /** Indexed by year − 1970. */
  readonly years: readonly boolean[];
}

/** The wall clock the fields are read on: a fixed offset from UTC, in minutes (UTC+8: 480). */
export interface CronZone {
  offsetMinutes: number;
}

export const MIN_YEAR = 1970;
export const MAX_YEAR = 2099;

interface FieldSpec {
  name: CronFieldName;
  min: number;
  max: number;
  /** Names for values, in order from `min`. */
  names?: readonly string[];
  /** Whether a range may wrap round the field's end. */
  wraps: boolean;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59, wraps: true };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59, wraps: true };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23, wraps: true };
const DAY_OF_MONTH: FieldSpec = { name: 'day-of-month', min: 1, max: 31, wraps: true };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTH_NAMES, wraps: true };
const DAY_OF_WEEK: FieldSpec = { name: 'day-of-week', min: 0, max: 6, names: DAY_NAMES, wraps: true };
const YEAR: FieldSpec = { name: 'year', min: MIN_YEAR, max: MAX_YEAR, wraps: false };

/** Parses an expression in SCF's dialect, or throws a CronError saying what is wrong. */
export function parseCron(expression: string): CronSchedule {
  const fail = (problem: string, field?: CronFieldName): never => {
    throw new CronError(expression, problem, field);
  };
  const parts = expression
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '');
  let fields: string[];
  let form: CronSchedule['form'];
  if (parts.length === 7) {
    fields = parts;
    form = 'seven-field';
  } else if (parts.length === 5) {
    // minute hour day-of-month month day-of-week: second 0, any year.
    fields = ['0', ...parts, '*'];
    form = 'five-field';
  } else {
    return fail(
      `it has ${parts.length} field${parts.length === 1 ? '' : 's'}; SCF takes seven ` +
        '(second minute hour day-of-month month day-of-week year, e.g. "0 */5 * * * * *") ' +
        'or the legacy five (minute hour day-of-month month day-of-week)',
    );
  }
  const [sec, min, hour, dom, month, dow, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return Object.freeze({
    expression,
    form,
    seconds: values(sec, SECOND, fail),
    minutes: values(min, MINUTE, fail),
    hours: values(hour, HOUR, fail),
    dayOfMonth: dayOfMonth(dom, fail),
    months: values(month, MONTH, fail),
    dayOfWeek: dayOfWeek(dow, fail),
    years: values(year, YEAR, fail).slice(MIN_YEAR),
  });
}

type Fail = (problem: string, field?: CronFieldName) => never;

/** One value of a field: digits, or a name where the field has names. */
function value(text: string, spec: FieldSpec, fail: Fail): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) {
      fail(`${spec.name} ${text} is out of range: ${rangeText(spec)}`, spec.name);
    }
    return n;
  }
  const i = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (i < 0) fail(`"${text}" is not a ${spec.name} (${rangeText(spec)})`, spec.name);
  return i + spec.min;
}

function rangeText(spec: FieldSpec): string {
  const names = spec.names ? ` or ${spec.names[0]}–${spec.names[spec.names.length - 1]}` : '';
  const sunday = spec === DAY_OF_WEEK ? ', 0 is Sunday' : '';
  return `${spec.name} is ${spec.min}–${spec.max}${names}${sunday}`;
}

/**
 * A field of values, `*`, ranges, steps and lists, as a boolean array indexed by value (length max + 1).
 * `?` is accepted by the callers for the day fields only.
 */
function values(text: string, spec: FieldSpec, fail: Fail): boolean[] {
  const out = new Array<boolean>(spec.max + 1).fill(false);
  if (text === '*') {
    out.fill(true, spec.min);
    return out;
  }
  const span = spec.max - spec.min + 1;
  for (const item of text.split(',')) {
    if (item === '') fail(`the ${spec.name} field "${text}" has an empty list item`, spec.name);
    const slash = item.split('/');
    if (slash.length > 2) fail(`the ${spec.name} field item "${item}" has more than one "/"`, spec.name);
    const [rangeText, stepText] = slash as [string, string | undefined];
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1 || Number(stepText) >= span) {
        fail(
          `the step "/${stepText}" in the ${spec.name} field must be a whole number from 1 to ${span - 1}`,
          spec.name,
        );
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (rangeText === '*') {
      if (stepText === undefined && text !== '*') {
        fail(`"*" in the ${spec.name} field stands alone, or as "*/step"`, spec.name);
      }
      from = spec.min;
      to = spec.max;
    } else {
      const dash = rangeText.split('-');
      if (dash.length > 2 || dash.some((d) => d === '')) {
        fail(`the ${spec.name} field item "${item}" is not a value, a range a-b or a step`, spec.name);
      }
      from = value(dash[0]!, spec, fail);
      // `a/n` runs from a to the field's end (Quartz's reading; SCF's example: minute `1/10` is 1, 11, 21, …).
      to = dash.length === 2 ? value(dash[1]!, spec, fail) : stepText !== undefined ? spec.max : from;
      if (to < from && !spec.wraps) {
        fail(`the ${spec.name} range ${rangeText} runs backwards`, spec.name);
      }
    }
    // A range whose end is before its start wraps round the field's end (22-2 hours: 22, 23, 0, 1, 2).
    const length = to >= from ? to - from : to + span - from;
    for (let k = 0; k <= length; k += step) out[((from - spec.min + k) % span) + spec.min] = true;
  }
  return out;
}

function dayOfMonth(text: string, fail: Fail): DayOfMonthSpec {
  const upper = text.toUpperCase();
  if (text === '*' || text === '?') return { kind: 'any' };
  if (upper === 'L') return { kind: 'last' };
  if (upper === 'LW') return { kind: 'lastWeekday' };
  const w = /^(\d+)W$/.exec(upper);
  if (w) return { kind: 'nearestWeekday', day: value(w[1]!, DAY_OF_MONTH, fail) };
  if (/[LW?#]/.test(upper)) {
    fail(
      `the day-of-month field "${text}" uses L, W or ? where SCF takes them alone: "L" (last day), ` +
        '"LW" (last weekday), "15W" (the weekday nearest the 15th) or "?"',
      'day-of-month',
    );
  }
  return { kind: 'days', days: values(text, DAY_OF_MONTH, fail) };
}

function dayOfWeek(text: string, fail: Fail): DayOfWeekSpec {
  const upper = text.toUpperCase();
  if (text === '*' || text === '?') return { kind: 'any' };
  const last = /^([0-9A-Z]+)L$/.exec(upper);
  if (last && upper !== 'L') return { kind: 'last', weekday: value(last[1]!, DAY_OF_WEEK, fail) };
  const nth = /^([0-9A-Z]+)#(\d+)$/.exec(upper);
  if (nth) {
    const k = Number(nth[2]);
    if (k < 1 || k > 5) fail(`"${text}": the week of the month after "#" is 1–5`, 'day-of-week');
    return { kind: 'nth', weekday: value(nth[1]!, DAY_OF_WEEK, fail), nth: k };
  }
  // No day name has an L in it: any L here is the special symbol out of place.
  if (/[L?#]/.test(upper)) {
    fail(
      `the day-of-week field "${text}" uses L, # or ? where SCF takes them alone with a weekday: ` +
        '"5L" (the last Friday), "1#2" (the second Monday) or "?"',
      'day-of-week',
    );
  }
  return { kind: 'days', days: values(text, DAY_OF_WEEK, fail) };
}

const MINUTE_MS = 60_000;

/** Days in month `m` (1–12) of year `y`. */
function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

/** Weekday (0 Sunday) of y-m-d. */
function weekday(y: number, m: number, d: number): number {
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** The weekday (Monday–Friday) nearest day `d` of the month, without leaving it; undefined past its end. */
function nearestWeekday(y: number, m: number, d: number): number | undefined {
  const last = daysIn(y, m);
  if (d > last) return undefined;
  const w = weekday(y, m, d);
  if (w === 6) return d > 1 ? d - 1 : d + 2; // Saturday: the Friday before, or Monday the 3rd.
  if (w === 0) return d < last ? d + 1 : d - 2; // Sunday: the Monday after, or the Friday before.
  return d;
}

function dayOfMonthMatches(spec: DayOfMonthSpec, y: number, m: number, d: number): boolean {
  switch (spec.kind) {
    case 'any':
      return true;
    case 'days':
      return spec.days[d] === true;
    case 'last':
      return d === daysIn(y, m);
    case 'lastWeekday':
      return d === nearestWeekday(y, m, daysIn(y, m));
    case 'nearestWeekday':
      return d === nearestWeekday(y, m, spec.day);
  }
}

function dayOfWeekMatches(spec: DayOfWeekSpec, y: number, m: number, d: number): boolean {
  switch (spec.kind) {
    case 'any':
      return true;
    case 'days':
      return spec.days[weekday(y, m, d)] === true;
    case 'last':
      return weekday(y, m, d) === spec.weekday && d + 7 > daysIn(y, m);
    case 'nth':
      return weekday(y, m, d) === spec.weekday && Math.ceil(d / 7) === spec.nth;
  }
}

/** Whether day y-m-d (a real date) is one the schedule fires on (its month and year aside). */
function dayMatches(s: CronSchedule, y: number, m: number, d: number): boolean {
  const domGiven = s.dayOfMonth.kind !== 'any';
  const dowGiven = s.dayOfWeek.kind !== 'any';
  if (domGiven && dowGiven)
    return dayOfMonthMatches(s.dayOfMonth, y, m, d) || dayOfWeekMatches(s.dayOfWeek, y, m, d);
  if (domGiven) return dayOfMonthMatches(s.dayOfMonth, y, m, d);
  return dayOfWeekMatches(s.dayOfWeek, y, m, d);
}

/** The first index >= `from` set in `set`, or undefined. */
function nextIn(set: readonly boolean[], from: number): number | undefined {
  for (let i = from; i < set.length; i++) if (set[i]) return i;
  return undefined;
}

/**
 * The first firing strictly after `afterMs` (epoch ms), as epoch ms (a whole second), or undefined when
 * the schedule fires no more (its years are past, or it names a day that never comes, like 30 February).
 * The fields are read on the wall clock of `zone` (default UTC).
 */
export function nextFireTime(
  schedule: CronSchedule,
  afterMs: number,
  zone: CronZone = { offsetMinutes: 0 },
): number | undefined {
  const offset = zone.offsetMinutes * MINUTE_MS;
  // The next whole second after afterMs, on the zone's wall clock (offsets are whole minutes).
  const start = new Date(Math.floor((afterMs + offset) / 1000) * 1000 + 1000);
  let y = start.getUTCFullYear();
  let mo = start.getUTCMonth() + 1;
  let d = start.getUTCDate();
  let h = start.getUTCHours();
  let mi = start.getUTCMinutes();
  let s = start.getUTCSeconds();
  const { seconds, minutes, hours, months, years } = schedule;
  // Each step either accepts the current unit or moves to the start of the next candidate one, resetting
  // the smaller units; an overflow (day 32, month 13) is caught by the bigger unit's check on the next turn.
  for (;;) {
    if (y > MAX_YEAR) return undefined;
    if (y < MIN_YEAR) {
      y = MIN_YEAR;
      mo = 1;
      d = 1;
      h = mi = s = 0;
    }
    const ny = nextIn(years, y - MIN_YEAR);
    if (ny === undefined) return undefined;
    if (ny + MIN_YEAR !== y) {
      y = ny + MIN_YEAR;
      mo = 1;
      d = 1;
      h = mi = s = 0;
    }
    const nmo = nextIn(months, mo);
    if (nmo === undefined) {
      y++;
      mo = 1;
      d = 1;
      h = mi = s = 0;
      continue;
    }
    if (nmo !== mo) {
      mo = nmo;
      d = 1;
      h = mi = s = 0;
    }
    const last = daysIn(y, mo);
    let nd = d;
    while (nd <= last && !dayMatches(schedule, y, mo, nd)) nd++;
    if (nd > last) {
      mo++;
      d = 1;
      h = mi = s = 0;
      continue;
    }
    if (nd !== d) {
      d = nd;
      h = mi = s = 0;
    }
    const nh = nextIn(hours, h);
    if (nh === undefined) {
      d++;
      h = mi = s = 0;
      continue;
    }
    if (nh !== h) {
      h = nh;
      mi = s = 0;
    }
    const nmi = nextIn(minutes, mi);
    if (nmi === undefined) {
      h++;
      mi = s = 0;
      continue;
    }
    if (nmi !== mi) {
      mi = nmi;
      s = 0;
    }
    const ns = nextIn(seconds, s);
    if (ns === undefined) {
      mi++;
      s = 0;
      continue;
    }
    return Date.UTC(y, mo - 1, d, h, mi, ns) - offset;
  }
}
