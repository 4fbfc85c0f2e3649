import type { Locations } from "../config/locations";
import type { JsonObject } from "../domain/json";
import { formatDuration } from "../domain/objectives";
import type { Run } from "../domain/run";
import type { Notification } from "../ports/notifier";
import type { ReportFiles } from "../ports/reports";
import { buildHtmlReport } from "./report-html";

/** Targets a report compares against. */
export interface ReportTargets {
  rtoMs: number;
  rpoMs: number;
}

/** The measured figures of a run, from its persisted measurements. */
export interface Figures {
  rtoMs?: number;
  rpoMs?: number;
  rpoDataMs?: number;
  phases: Record<string, number>;
}

/** Reads the figures of a run. */
export function figuresOf(run: Run): Figures {
  const m = run.measurements;
  const phases: Record<string, number> = {};
  for (const [k, v] of Object.entries(m))
    if (k.startsWith("phase.")) phases[k.slice("phase.".length).replace(/Ms$/, "")] = v;
  const f: Figures = { phases };
  if (m["rtoMs"] !== undefined) f.rtoMs = m["rtoMs"];
  if (m["rpoMs"] !== undefined) f.rpoMs = m["rpoMs"];
  if (m["rpoDataMs"] !== undefined) f.rpoDataMs = m["rpoDataMs"];
  return f;
}

const verdict = (achieved: number | undefined, target: number) =>
  achieved === undefined ? "not measured" : achieved <= target ? "met" : "MISSED";

/**
 * The report of a run, in Markdown (people) and JSON (machines): targets against achieved RTO and
 * RPO (from the recovery point and from the data itself), phase durations, the step timeline and
 * facts such as the recovery point used. Replaces the seeds' hand-filled templates. With
 * `locations`, the report names the run store, state backend and reports folder the run used.
 */
export function buildRunReport(
  run: Run,
  targets: ReportTargets,
  title: string,
  locations?: Locations,
): ReportFiles & { summary: JsonObject } {
  const f = figuresOf(run);
  const facts = (run.spec["facts"] ?? {}) as JsonObject;
  const lines: string[] = [];
  lines.push(`# ${title}: ${run.phase}`, "");
  lines.push(
    `Run \`${run.id}\` (${run.kind}), started ${iso(run.startedAt)}, ended ${iso(run.endedAt ?? run.updatedAt)}.`,
    "",
  );
  lines.push("| objective | target | achieved | verdict |", "|---|---|---|---|");
  lines.push(
    `| RTO (declaration → workload healthy) | ${formatDuration(targets.rtoMs)} | ${fmt(f.rtoMs)} | ${verdict(f.rtoMs, targets.rtoMs)} |`,
  );
  lines.push(
    `| RPO (recovery point age) | ${formatDuration(targets.rpoMs)} | ${fmt(f.rpoMs)} | ${verdict(f.rpoMs, targets.rpoMs)} |`,
  );
  lines.push(
    `| RPO (newest data in the restore) | ${formatDuration(targets.rpoMs)} | ${fmt(f.rpoDataMs)} | ${verdict(f.rpoDataMs, targets.rpoMs)} |`,
    "",
  );
  const rp = facts["recoveryPoint"] as JsonObject | undefined;
  if (rp !== undefined && rp !== null)
    lines.push(
      `Recovery point: \`${String(rp["arn"])}\` (vault ${String(rp["vault"])}, created ${iso(Number(rp["createdAt"]))}).`,
      "",
    );
  if (Object.keys(f.phases).length > 0) {
    lines.push("## Phases (from the start of the restore)", "", "| phase | duration |", "|---|---|");
    for (const [k, v] of Object.entries(f.phases)) lines.push(`| ${k} | ${formatDuration(v)} |`);
    lines.push("");
  }
  lines.push("## Steps", "", "| step | state | started | duration | detail |", "|---|---|---|---|---|");
  for (const s of run.steps) {
    const took = s.startedAt !== undefined && s.endedAt !== undefined ? formatDuration(s.endedAt - s.startedAt) : "";
    const detail =
      s.error !== undefined
        ? `${s.error.code}: ${s.error.message}`
        : s.external !== undefined
          ? `${s.external.kind} ${s.external.id}`
          : "";
    lines.push(`| ${s.id} | ${s.state} | ${iso(s.startedAt)} | ${took} | ${detail.replace(/\|/g, "\\|")} |`);
  }
  lines.push("");
  if (run.phase !== "Completed") lines.push(`Resume with \`pilotlight resume ${run.id}\`.`, "");
  if (locations !== undefined) {
    lines.push(
      `Run store \`${locations.store}\`, state backend \`${locations.stateBackend}\`, reports in \`${locations.reportsDir}\`.`,
      "",
    );
  }
  const summary: JsonObject = {
    runId: run.id,
    kind: run.kind,
    phase: run.phase,
    targets: { rtoMs: targets.rtoMs, rpoMs: targets.rpoMs },
    achieved: JSON.parse(JSON.stringify({ rtoMs: f.rtoMs, rpoMs: f.rpoMs, rpoDataMs: f.rpoDataMs })) as JsonObject,
    phases: f.phases,
    ...(locations === undefined ? {} : { locations: { ...locations } }),
  };
  const json = JSON.stringify({ summary, run }, null, 2);
  return { markdown: lines.join("\n"), json, html: buildHtmlReport(run, targets, title, f), summary };
}

/** The stakeholder notification of a run, filled with measured figures. */
export function buildNotification(run: Run, targets: ReportTargets, title: string, where: string): Notification {
  const f = figuresOf(run);
  const ok = run.phase === "Completed";
  const body = [
    `${title}: ${run.phase}.`,
    `Started ${iso(run.startedAt)}, ended ${iso(run.endedAt ?? run.updatedAt)}.`,
    `RTO achieved ${fmt(f.rtoMs)} (target ${formatDuration(targets.rtoMs)}).`,
    `RPO achieved ${fmt(f.rpoMs)} by recovery point, ${fmt(f.rpoDataMs)} by the data (target ${formatDuration(targets.rpoMs)}).`,
    where,
    ok ? "" : `Resume with: pilotlight resume ${run.id}`,
  ]
    .filter((l) => l.length > 0)
    .join("\n");
  return { subject: `${title}: ${run.phase}`, body, severity: ok ? "info" : "critical", runId: run.id };
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? "n/a" : formatDuration(ms);
}

function iso(t: number | undefined): string {
  return t === undefined ? "-" : new Date(t).toISOString();
}
