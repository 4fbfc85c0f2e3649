import { MAX_DURATION_TEXT, readDuration } from "./objectives";

/**
 * ISO 8601 as operators type it: a date, or a date and a time (`T` or a space) with optional
 * seconds, fraction and zone. `Date.parse` alone accepts "1" or "Jan 2" and guesses.
 */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/i;

/** An example of a time argument, for messages. */
export const TIME_EXAMPLE = "2026-01-19T13:00:00Z";

/** Epoch milliseconds of an ISO 8601 time, or `undefined` when `text` is not one. */
export function readIsoTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (!ISO_TIME.test(trimmed)) return undefined;
  const ms = Date.parse(trimmed.replace(" ", "T"));
  return Number.isFinite(ms) ? ms : undefined;
}

/** A restore time read from text, or the problem in words (the caller names the flag). */
export type RestoreTimeReading = { ok: true; ms: number } | { ok: false; problem: string };

/**
 * `--to`: an ISO 8601 time, or a duration before `now` such as `-45m` (at most
 * {@link MAX_DURATION_TEXT} back). Whether the time lies in the restorable window is the
 * runbook's guard, not the parser's.
 */
export function readRestoreTime(text: string, now: number): RestoreTimeReading {
  const relative = /^-(.+)$/.exec(text.trim());
  if (relative === null) {
    const ms = readIsoTime(text);
    return ms === undefined ? { ok: false, problem: "is neither an ISO 8601 time nor a duration before now" } : { ok: true, ms };
  }
  const d = readDuration(relative[1]!);
  if (d.ok) return { ok: true, ms: now - d.ms };
  const why = {
    syntax: "is neither an ISO 8601 time nor a duration before now",
    "not-positive": "must lie before now",
    "too-long": `reaches back more than ${MAX_DURATION_TEXT}`,
  }[d.problem];
  return { ok: false, problem: why };
}
