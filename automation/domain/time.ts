import { PilotlightError } from "./errors";
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
    return ms === undefined
      ? { ok: false, problem: "is neither an ISO 8601 time nor a duration before now" }
      : { ok: true, ms };
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

/**
 * A time an operator gives: an ISO 8601 time, a duration before now (`-45m`, or `45m`), resolved
 * once against `now` so that a retried or resumed run means the same instant (the caller records
 * the absolute time). Bad input names the field and shows examples.
 */
export function resolveTime(text: unknown, now: number, field: string): number {
  const examples = `e.g. ${field} ${TIME_EXAMPLE} or ${field}=-45m`;
  if (typeof text === "number" && Number.isFinite(text)) return text;
  if (typeof text !== "string" || text.trim() === "") {
    throw new PilotlightError("config.invalid", `${field} needs a time`, {
      source: "user",
      hint: examples,
      details: { field },
    });
  }
  const t = text.trim();
  const reading = readRestoreTime(/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(t) ? `-${t}` : t, now);
  if (!reading.ok)
    throw new PilotlightError("config.invalid", `${field} "${text}" ${reading.problem}`, {
      source: "user",
      hint: examples,
      details: { field },
    });
  return reading.ms;
}

/** An instant for people: ISO 8601 in UTC and how long ago. */
export function describeTime(ms: number, now: number): string {
  const ago = now - ms;
  const iso = new Date(ms).toISOString().replace(/\.000Z$/, "Z");
  if (ago < 0) return `${iso} (in the future)`;
  const minutes = Math.round(ago / 60_000);
  const age = minutes < 90 ? `${minutes} min ago` : `${(minutes / 60).toFixed(1)} h ago`;
  return `${iso} (${age})`;
}
