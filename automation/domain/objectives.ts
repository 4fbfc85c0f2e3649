/**
 * Recovery objectives of an environment, in milliseconds. Every run measures what it achieved
 * against them.
 */
export interface RecoveryObjectives {
  rtoMs: number;
  rpoMs: number;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * The longest duration pilotlight accepts anywhere (objectives, thresholds, TTLs, `--to=-…`): a
 * year. Longer ones are typing mistakes, and `99999999999999999999d` is not even a time.
 */
export const MAX_DURATION_MS = 365 * 86_400_000;
/** {@link MAX_DURATION_MS} as written in configuration files and messages. */
export const MAX_DURATION_TEXT = "365d";

/** A duration read from text, or why it is not one (callers word the message for their field). */
export type DurationReading = { ok: true; ms: number } | { ok: false; problem: "syntax" | "not-positive" | "too-long" };

/**
 * Reads a duration such as `90s`, `15m`, `4h`, `1.5h` or `2d`: positive, at most `max`
 * (default {@link MAX_DURATION_MS}), rounded to milliseconds.
 */
export function readDuration(text: string, max = MAX_DURATION_MS): DurationReading {
  const m = DURATION.exec(text.trim());
  if (m === null) return { ok: false, problem: "syntax" };
  const value = Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
  if (!Number.isFinite(value) || value > max) return { ok: false, problem: "too-long" };
  if (value <= 0) return { ok: false, problem: "not-positive" };
  return { ok: true, ms: value };
}

/**
 * Parses a duration such as `90s`, `15m`, `4h`, `1.5h` or `2d` into milliseconds; returns
 * `undefined` for anything else, zero and anything beyond {@link MAX_DURATION_MS} (callers
 * report the field; {@link readDuration} says which problem it was).
 */
export function parseDuration(text: string): number | undefined {
  const r = readDuration(text);
  return r.ok ? r.ms : undefined;
}

/** Formats milliseconds compactly for humans: `42s`, `17m 05s`, `3h 02m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  const sign = ms < 0 ? "-" : "";
  const total = Math.round(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${sign}${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${sign}${m}m ${String(s).padStart(2, "0")}s`;
  if (total === 0 && Math.abs(ms) > 0) return `${sign}${Math.abs(ms)}ms`;
  return `${sign}${s}s`;
}
