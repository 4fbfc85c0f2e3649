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
 * Parses a duration such as `90s`, `15m`, `4h`, `1.5h` or `2d` into milliseconds; returns
 * `undefined` for anything else (callers report the field).
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (m === null) return undefined;
  const value = Number(m[1]) * UNIT_MS[m[2]!]!;
  return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined;
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
