import { formatDuration } from "../domain/objectives";
import type { Run } from "../domain/run";
import type { Figures, ReportTargets } from "./report";

const COLOURS: Record<string, string> = {
  Succeeded: "#2e7d32",
  Failed: "#c62828",
  TimedOut: "#ef6c00",
  Interrupted: "#6a1b9a",
  Skipped: "#9e9e9e",
  Running: "#1565c0",
  Pending: "#bdbdbd",
};

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** An SVG Gantt chart of the run's steps on its own time axis. */
export function timelineSvg(run: Run): string {
  const start = run.startedAt ?? run.createdAt;
  const end = Math.max(
    run.endedAt ?? run.updatedAt,
    ...run.steps.map((s) => s.endedAt ?? s.startedAt ?? start),
    start + 1,
  );
  const width = 760;
  const label = 190;
  const row = 26;
  // The right margin keeps the duration printed after the last bars inside the chart.
  const scale = (t: number) => label + ((t - start) / (end - start)) * (width - label - 70);
  const bars = run.steps.map((s, i) => {
    const y = 30 + i * row;
    const x0 = s.startedAt === undefined ? label : scale(s.startedAt);
    const x1 = s.startedAt === undefined ? label : scale(s.endedAt ?? end);
    const w = Math.max(2, x1 - x0);
    const took =
      s.startedAt !== undefined && s.endedAt !== undefined ? formatDuration(s.endedAt - s.startedAt) : s.state;
    return `<text x="4" y="${y + 15}" font-size="12">${escapeHtml(s.id)}</text><rect x="${x0.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="16" rx="3" fill="${COLOURS[s.state] ?? "#777"}"><title>${escapeHtml(`${s.id}: ${s.state}, ${took}`)}</title></rect><text x="${(x0 + w + 4).toFixed(1)}" y="${y + 15}" font-size="11" fill="#444">${escapeHtml(took)}</text>`;
  });
  const height = 40 + run.steps.length * row;
  const ticks = Array.from({ length: 5 }, (_, i) => {
    const t = start + ((end - start) * i) / 4;
    return `<line x1="${scale(t).toFixed(1)}" y1="22" x2="${scale(t).toFixed(1)}" y2="${height - 8}" stroke="#eee"/><text x="${scale(t).toFixed(1)}" y="16" font-size="10" text-anchor="${i === 4 ? "end" : "middle"}" fill="#666">+${escapeHtml(formatDuration(t - start))}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Timeline of run ${escapeHtml(run.id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">${ticks.join("")}${bars.join("")}</svg>`;
}

/** A self-contained HTML report: verdicts against the targets, a timeline chart, the steps. */
export function buildHtmlReport(run: Run, targets: ReportTargets, title: string, f: Figures): string {
  const cell = (achieved: number | undefined, target: number) =>
    achieved === undefined
      ? `<td>n/a</td><td>not measured</td>`
      : `<td>${formatDuration(achieved)}</td><td class="${achieved <= target ? "ok" : "bad"}">${achieved <= target ? "met" : "MISSED"}</td>`;
  const steps = run.steps
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.id)}</td><td>${escapeHtml(s.title)}</td><td style="color:${COLOURS[s.state] ?? "#000"}">${s.state}</td><td>${s.startedAt !== undefined && s.endedAt !== undefined ? formatDuration(s.endedAt - s.startedAt) : ""}</td><td>${escapeHtml(s.error === undefined ? (s.external === undefined ? "" : `${s.external.kind} ${s.external.id}`) : `${s.error.code}: ${s.error.message}`)}</td></tr>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}: ${run.phase}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left}.ok{color:#2e7d32;font-weight:600}.bad{color:#c62828;font-weight:600}h1 small{font-weight:400;color:#666}</style></head>
<body><h1>${escapeHtml(title)} <small>${run.phase}</small></h1>
<p>Run <code>${escapeHtml(run.id)}</code> (${run.kind}), started ${new Date(run.startedAt ?? run.createdAt).toISOString()}.</p>
<table><tr><th>objective</th><th>target</th><th>achieved</th><th>verdict</th></tr>
<tr><td>RTO</td><td>${formatDuration(targets.rtoMs)}</td>${cell(f.rtoMs, targets.rtoMs)}</tr>
<tr><td>RPO (recovery point)</td><td>${formatDuration(targets.rpoMs)}</td>${cell(f.rpoMs, targets.rpoMs)}</tr>
<tr><td>RPO (data)</td><td>${formatDuration(targets.rpoMs)}</td>${cell(f.rpoDataMs, targets.rpoMs)}</tr></table>
<h2>Timeline</h2>${timelineSvg(run)}
<h2>Steps</h2><table><tr><th>step</th><th>what</th><th>state</th><th>took</th><th>detail</th></tr>${steps}</table>
</body></html>`;
}
