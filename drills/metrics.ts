import { createServer, type Server } from "node:http";
import { PilotlightError } from "../automation/domain/errors";
import type { Run } from "../automation/domain/run";

/** Escapes a Prometheus label value. */
function label(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * Prometheus text exposition of the run history: last success time, last phase, RTO/RPO gauges of
 * the last completed run, and outcome counts — per environment and kind.
 */
export function renderMetrics(runs: Run[]): string {
  const byKey = new Map<string, Run[]>();
  for (const r of runs) {
    const env = typeof r.spec["env"] === "string" ? r.spec["env"] : "unknown";
    const k = `${env}\u0000${r.kind}`;
    byKey.set(k, [...(byKey.get(k) ?? []), r]);
  }
  const out: string[] = [
    "# HELP pilotlight_last_success_timestamp_seconds End of the last Completed run.",
    "# TYPE pilotlight_last_success_timestamp_seconds gauge",
    "# HELP pilotlight_last_run_failed 1 when the last finished run did not complete.",
    "# TYPE pilotlight_last_run_failed gauge",
    "# HELP pilotlight_rto_seconds Achieved RTO of the last Completed run.",
    "# TYPE pilotlight_rto_seconds gauge",
    "# HELP pilotlight_rpo_seconds Achieved RPO (recovery point age) of the last Completed run.",
    "# TYPE pilotlight_rpo_seconds gauge",
    "# HELP pilotlight_runs Runs recorded, by outcome.",
    "# TYPE pilotlight_runs gauge",
  ];
  for (const [k, list] of [...byKey.entries()].sort()) {
    const [env, kind] = k.split("\u0000") as [string, string];
    const l = `env="${label(env)}",kind="${label(kind)}"`;
    const finished = list.filter((r) => r.endedAt !== undefined).sort((a, b) => b.endedAt! - a.endedAt!);
    const success = finished.find((r) => r.phase === "Completed");
    if (success !== undefined) {
      out.push(`pilotlight_last_success_timestamp_seconds{${l}} ${Math.round(success.endedAt! / 1000)}`);
      if (success.measurements["rtoMs"] !== undefined)
        out.push(`pilotlight_rto_seconds{${l}} ${success.measurements["rtoMs"] / 1000}`);
      if (success.measurements["rpoMs"] !== undefined)
        out.push(`pilotlight_rpo_seconds{${l}} ${success.measurements["rpoMs"] / 1000}`);
    }
    if (finished[0] !== undefined)
      out.push(`pilotlight_last_run_failed{${l}} ${finished[0].phase === "Completed" ? 0 : 1}`);
    const phases = new Map<string, number>();
    for (const r of list) phases.set(r.phase, (phases.get(r.phase) ?? 0) + 1);
    for (const [phase, n] of [...phases.entries()].sort()) out.push(`pilotlight_runs{${l},phase="${phase}"} ${n}`);
  }
  return out.join("\n") + "\n";
}

/** Serves `GET /metrics` on `host:port` from `load()`; resolves with the listening server. */
export function serveMetrics(load: () => Promise<Run[]>, port: number, host = "127.0.0.1"): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url !== "/metrics") {
      res.writeHead(404).end("not found\n");
      return;
    }
    load().then(
      (runs) => res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(renderMetrics(runs)),
      (error: unknown) =>
        res.writeHead(500).end(`store unavailable: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new PilotlightError(
          "config.invalid",
          `--metrics-port ${port}: cannot listen on ${host}:${port} (${error.code ?? error.message})`,
          {
            source: "user",
            hint:
              error.code === "EADDRINUSE"
                ? "another process uses that port: choose a free one (9464 is Prometheus' usual pick)"
                : "choose a port above 1023 that this user may bind",
          },
        ),
      ),
    );
    server.listen(port, host, () => resolve(server));
  });
}
