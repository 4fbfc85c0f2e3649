import { PilotlightError } from "./errors";
import { parseDuration } from "./objectives";

/** The longest look back a relative time may ask for (AWS Backup keeps recovery points for years at most). */
const MAX_LOOKBACK_MS = 366 * 24 * 3_600_000;

/**
 * A time an operator gives: an ISO 8601 time, or a duration before now (`-45m`, `45m`). Resolved
 * once, against `now`, so that a retried or resumed run means the same instant; the caller
 * records the absolute time. Bad input names the field and shows examples.
 */
export function resolveTime(text: unknown, now: number, field: string): number {
  const examples = `e.g. ${field} 2026-01-19T13:00:00Z or ${field}=-45m`;
  if (typeof text === "number" && Number.isFinite(text)) return text;
  if (typeof text !== "string" || text.trim() === "") {
    throw new PilotlightError("config.invalid", `${field} needs a time`, { source: "user", hint: examples, details: { field } });
  }
  const t = text.trim();
  const relative = /^-?(\d+(?:\.\d+)?(?:ms|s|m|h|d))$/.exec(t);
  if (relative !== null) {
    const ms = parseDuration(relative[1]!);
    if (ms === undefined || ms > MAX_LOOKBACK_MS) {
      throw new PilotlightError("config.invalid", `${field} "${text}" reaches back further than a year`, { source: "user", hint: examples, details: { field } });
    }
    return now - ms;
  }
  // Only full ISO 8601 forms: Date.parse accepts too much ("yesterday" is NaN, "1" is a year).
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    throw new PilotlightError("config.invalid", `${field} "${text}" is neither an ISO 8601 time nor a duration before now`, { source: "user", hint: examples, details: { field } });
  }
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) throw new PilotlightError("config.invalid", `${field} "${text}" is not a valid time`, { source: "user", hint: examples, details: { field } });
  return ms;
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
