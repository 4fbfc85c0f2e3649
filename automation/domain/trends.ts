import type { JsonObject } from "./json";
import type { Run, RunKind } from "./run";

/** The figures trended per run. */
export const TREND_METRICS = ["restoreMs", "rtoMs", "rpoMs"] as const;
export type TrendMetric = (typeof TREND_METRICS)[number];

/** The step whose duration is the restore, per kind of run. */
const RESTORE_STEP: Partial<Record<RunKind, string>> = {
  "restore-drill": "stand-up-drill",
  "full-drill": "stand-up-dr",
  failover: "stand-up-dr",
  failback: "restore-primary",
  "point-in-time-restore": "restore-candidate",
};

/** One run on the trend. */
export interface TrendPoint extends JsonObject {
  runId: string;
  at: number;
  phase: string;
  restoreMs: number | null;
  rtoMs: number | null;
  rpoMs: number | null;
}

/** Summary of one metric over the window (successful runs only). */
export interface MetricSummary extends JsonObject {
  n: number;
  last: number | null;
  p50: number | null;
  p95: number | null;
  max: number | null;
  /** The objective it is held to (RTO/RPO), if any. */
  objectiveMs: number | null;
  /** Successful runs whose figure exceeded the objective. */
  overObjective: number;
  /** Median of the newer half minus median of the older half: > 0 is getting slower/staler. */
  drift: number | null;
}

/** Trend of one kind of run in one environment. */
export interface Trend extends JsonObject {
  env: string;
  kind: string;
  runs: number;
  outcomes: Record<string, number>;
  /** Share of finished runs that completed. */
  successRate: number | null;
  metrics: Record<TrendMetric, MetricSummary>;
  points: TrendPoint[];
}

/** Nearest-rank percentile of ascending `sorted`. */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function median(xs: number[]): number | null {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

function pointOf(run: Run): TrendPoint {
  const restore = run.steps.find((s) => s.id === RESTORE_STEP[run.kind]);
  const restoreMs =
    restore?.state === "Succeeded" && restore.startedAt !== undefined && restore.endedAt !== undefined
      ? restore.endedAt - restore.startedAt
      : null;
  return {
    runId: run.id,
    at: run.createdAt,
    phase: run.phase,
    restoreMs,
    rtoMs: run.measurements["rtoMs"] ?? null,
    rpoMs: run.measurements["rpoMs"] ?? null,
  };
}

/**
 * Trends of restore duration, RTO and RPO over time, per environment and kind of run: oldest
 * first, with percentiles, objective breaches and drift (newer half vs older half) computed over
 * completed runs only — a failed drill has no RTO, it has an outcome.
 */
export function computeTrends(
  runs: Run[],
  objectives: (env: string) => { rtoMs: number; rpoMs: number } | undefined,
): Trend[] {
  const groups = new Map<string, Run[]>();
  for (const r of runs) {
    if (r.endedAt === undefined) continue;
    const env = typeof r.spec["env"] === "string" ? r.spec["env"] : "unknown";
    const k = `${env}\u0000${r.kind}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const trends: Trend[] = [];
  for (const [k, list] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const [env, kind] = k.split("\u0000") as [string, string];
    list.sort((a, b) => a.createdAt - b.createdAt);
    const points = list.map(pointOf);
    const outcomes: Record<string, number> = {};
    for (const r of list) outcomes[r.phase] = (outcomes[r.phase] ?? 0) + 1;
    const ok = points.filter((p) => p.phase === "Completed");
    const objective = objectives(env);
    const summary = (metric: TrendMetric): MetricSummary => {
      const series = ok.map((p) => p[metric]).filter((x): x is number => x !== null);
      const sorted = [...series].sort((a, b) => a - b);
      const objectiveMs =
        metric === "rtoMs" ? (objective?.rtoMs ?? null) : metric === "rpoMs" ? (objective?.rpoMs ?? null) : null;
      const half = Math.floor(series.length / 2);
      const older = median(series.slice(0, half));
      const newer = median(series.slice(series.length - half));
      return {
        n: series.length,
        last: series.at(-1) ?? null,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        max: sorted.at(-1) ?? null,
        objectiveMs,
        overObjective: objectiveMs === null ? 0 : series.filter((x) => x > objectiveMs).length,
        drift: half === 0 || older === null || newer === null ? null : newer - older,
      };
    };
    trends.push({
      env,
      kind,
      runs: list.length,
      outcomes,
      successRate: list.length === 0 ? null : ok.length / list.length,
      metrics: { restoreMs: summary("restoreMs"), rtoMs: summary("rtoMs"), rpoMs: summary("rpoMs") },
      points,
    });
  }
  return trends;
}

const BARS = "▁▂▃▄▅▆▇█";

/** A one-line chart of a series (failed runs as `×`), for terminals. */
export function sparkline(points: TrendPoint[], metric: TrendMetric): string {
  const values = points.map((p) => (p.phase === "Completed" ? p[metric] : null));
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return "";
  const lo = Math.min(...known);
  const hi = Math.max(...known);
  return values
    .map((v) => (v === null ? "×" : BARS[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * (BARS.length - 1))]))
    .join("");
}
