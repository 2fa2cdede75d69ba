/**
 * Typed reads of one action's v2 parameters. Every failure is a coded 4000 error whose message names the
 * parameter as the v2 caller spelled it and the values it accepts. An empty value counts as absent:
 * qcloudapi-sdk sends `undefined`/`null` as `name=`.
 */
import { ScfError } from '../../../errors/index.js';

/** Parameters every v2 request may carry; names starting with an upper-case letter are common ones. */
const isCommonName = (name: string): boolean => /^[A-Z]/.test(name);

export class ParamReader {
  readonly #params: ReadonlyMap<string, string>;

  constructor(params: ReadonlyMap<string, string>) {
    this.#params = params;
  }

  /** True when the parameter is present with a non-empty value. */
  has(name: string): boolean {
    return (this.#params.get(name) ?? '') !== '';
  }

  /** Names (lookup form) that start with `prefix.`, with their values. */
  withPrefix(prefix: string): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const [name, value] of this.#params) if (name.startsWith(`${prefix}.`)) out.push([name, value]);
    return out;
  }

  /**
   * Rejects action parameters the action does not know (common, upper-case parameters pass): a misspelt
   * name would otherwise be silently ignored and the caller would get an unfiltered answer.
   */
  rejectUnknown(action: string, known: readonly string[], prefixes: readonly string[] = []): void {
    for (const name of this.#params.keys()) {
      if (name === '' || isCommonName(name) || known.includes(name)) continue;
      if (prefixes.some((p) => name.startsWith(`${p}.`))) continue;
      const accepted = [...known, ...prefixes.map((p) => `${p}.*`)].join(', ');
      throw new ScfError(
        'UnknownParameter',
        `${action} does not take parameter ${name}; it accepts ${accepted} and the common parameters`,
        { field: name },
      );
    }
  }

  str(name: string): string | undefined {
    const v = this.#params.get(name);
    return v === undefined || v === '' ? undefined : v;
  }

  /** The value as sent, empty included (for fields where empty means "clear"). */
  raw(name: string): string | undefined {
    return this.#params.get(name);
  }

  required(name: string): string {
    const v = this.str(name);
    if (v === undefined) {
      throw new ScfError('MissingParameter', `parameter ${name} is required`, { field: name });
    }
    return v;
  }

  /** A decimal integer in [min, max]. */
  int(name: string, range: { min: number; max: number }): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const n = /^[0-9]{1,10}$/.test(v.trim()) ? Number(v.trim()) : Number.NaN;
    if (!Number.isInteger(n) || n < range.min || n > range.max) {
      throw new ScfError(
        'InvalidParameterValue',
        `parameter ${name} must be an integer from ${range.min} to ${range.max}, got ${JSON.stringify(v)}`,
        { field: name },
      );
    }
    return n;
  }

  /**
   * One of a fixed set of values. `values` maps each accepted spelling, in the form `normalize` gives it,
   * to the canonical value; `shown` is the list the error message offers.
   */
  oneOf<T>(
    name: string,
    values: ReadonlyMap<string, T>,
    options: { shown: readonly string[]; normalize?: (v: string) => string },
  ): T | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const found = values.get(options.normalize ? options.normalize(v) : v);
    if (found === undefined) {
      throw new ScfError(
        'InvalidParameterValue',
        `parameter ${name} must be one of ${options.shown.join(', ')}, got ${JSON.stringify(v)}`,
        { field: name },
      );
    }
    return found;
  }
}
