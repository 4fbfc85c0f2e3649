import { readIsoTime, readRestoreTime, TIME_EXAMPLE } from "../domain/time";

/**
 * Validators of numeric and time arguments, used as yargs `coerce` functions: yargs reports what
 * they throw as a usage error (exit 2, with the command's help) before any handler runs, so a bad
 * number never reaches the store or a socket as NaN or -1. Every message names the flag, the
 * accepted range and an example.
 */

/** Bounds and an example of a whole-number argument. */
export interface IntegerBounds {
  min: number;
  max: number;
  example: number;
}

/** The single value of an argument (yargs gives an array when a flag is repeated). */
function single(flag: string, value: unknown): unknown {
  if (Array.isArray(value)) throw new Error(`--${flag} was given ${value.length} times; give it once`);
  return value;
}

/** A coerce function accepting a whole number in `[min, max]`. */
export function integerArgument(flag: string, bounds: IntegerBounds): (value: unknown) => number {
  return (raw) => {
    const value = single(flag, raw);
    const text = String(value).trim();
    const n = typeof value === "number" ? value : /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
      throw new Error(
        `--${flag} must be a whole number from ${bounds.min} to ${bounds.max}, e.g. --${flag} ${bounds.example} (got "${text}")`,
      );
    }
    return n;
  };
}

/** A coerce function accepting an ISO 8601 time; yields epoch milliseconds. */
export function timeArgument(flag: string): (value: unknown) => number {
  return (raw) => {
    const text = String(single(flag, raw));
    const ms = readIsoTime(text);
    if (ms === undefined)
      throw new Error(`--${flag} must be an ISO 8601 time, e.g. --${flag} ${TIME_EXAMPLE} (got "${text}")`);
    return ms;
  };
}

/**
 * A coerce function for a time read against the library's clock (virtual on the sandbox): an ISO
 * 8601 time or a duration before now (`-45m`), and `latest` where `latest` is allowed. The text is
 * kept; only its form and bounds are checked here, and they do not depend on the time.
 */
export function restoreTimeArgument(flag: string, o: { latest?: boolean } = {}): (value: unknown) => string {
  return (raw) => {
    const text = String(single(flag, raw));
    if (o.latest === true && text.trim() === "latest") return "latest";
    const reading = readRestoreTime(/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(text.trim()) ? `-${text.trim()}` : text, 0);
    if (!reading.ok) {
      throw new Error(`--${flag} "${text}" ${reading.problem}; e.g. --${flag} ${TIME_EXAMPLE} or --${flag}=-45m`);
    }
    return text;
  };
}
