/**
 * `npm run bench:rto`: how close the orchestrated failover comes to the critical path of the
 * same (AWS-like, seeded) durations, in the sandbox. For each seed: a primary with history, a
 * regional outage, the real failover runbook; then
 *   - orchestrated RTO: declaration → workload healthy in DR, as the run measured it;
 *   - critical path: the longest chain of the modelled durations (resource creations as a
 *     dependency graph, then the DNS switch), i.e. the best any orchestrator could do;
 *   - sequential sum: the same durations one after another, as a hand-run runbook does them.
 * The seed runbook's own estimate (70–130 min) is printed for context. Last line:
 * `rto/critical-path = X.XXX` (mean over seeds).
 */
import { FileReports } from "../automation/adapters/file-reports";
import { validateConfig } from "../automation/config/load";
import { SANDBOX_CONFIG } from "../automation/config/sandbox-default";
import { formatDuration } from "../automation/domain/objectives";
import { isPreview } from "../automation/library";
import { createPilotlight } from "../drills/index";
import type { ResourceSpan } from "../automation/sandbox/sandbox-stacks";
import { SandboxSession } from "../automation/sandbox/session";
import { PgRunStore } from "../automation/store/pg-run-store";
import { PgliteSql } from "../automation/store/pglite-sql";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const HOUR = 3_600_000;
const MIN = 60_000;

function criticalPath(spans: ResourceSpan[]): number {
  const byKey = new Map(spans.map((s) => [s.key, s]));
  const memo = new Map<string, number>();
  const longest = (k: string): number => {
    if (memo.has(k)) return memo.get(k)!;
    const s = byKey.get(k);
    if (s === undefined) return 0;
    const value = s.end - s.start + Math.max(0, ...s.deps.map(longest));
    memo.set(k, value);
    return value;
  };
  return Math.max(0, ...spans.map((s) => longest(s.key)));
}

async function main(): Promise<void> {
  const seeds = Number(process.argv.find((a) => a.startsWith("--seeds="))?.slice(8) ?? 5);
  const env = validateConfig(SANDBOX_CONFIG).environments["sandbox"]!;
  const store = await PgRunStore.open(await PgliteSql.open());
  const ratios: number[] = [];
  console.log("seed  orchestrated RTO  critical path  sequential sum  rto/critical  sequential/rto");
  for (let seed = 1; seed <= seeds; seed++) {
    const session = new SandboxSession({ envName: "sandbox", environment: env, reports: new FileReports(mkdtempSync(join(tmpdir(), "pl-bench-"))), seed, start: Date.UTC(2026, 0, 1), rows: 200 });
    const lib = await createPilotlight({ target: "sandbox", config: SANDBOX_CONFIG, store, ports: session.ports, clock: session.clock });
    await session.bootstrap(3);
    await session.advance(HOUR - (session.clock.now() % HOUR) + 50 * MIN);
    session.outage();
    await session.advance(env.decision.prepareBelow + 10 * MIN);
    const run = await lib.failover({ yes: true });
    if (isPreview(run) || run.phase !== "Completed") throw new Error(`seed ${seed}: failover did not complete`);
    const spans = session.sandbox.stacks.spans.get("dr") ?? [];
    const dns = session.sandbox.traffic.switches.filter((s) => s.noticedAt >= run.startedAt!).map((s) => s.visibleAt - s.noticedAt)[0] ?? 0;
    const critical = criticalPath(spans) + dns;
    const sequential = spans.reduce((sum, s) => sum + (s.end - s.start), 0) + dns;
    const rto = run.measurements["rtoMs"]!;
    ratios.push(rto / critical);
    console.log(
      `${String(seed).padStart(4)}  ${formatDuration(rto).padStart(16)}  ${formatDuration(critical).padStart(13)}  ${formatDuration(sequential).padStart(14)}  ${(rto / critical).toFixed(3).padStart(12)}  ${(sequential / rto).toFixed(3).padStart(14)}`,
    );
    await lib.close();
    await session.close();
  }
  await store.close();
  console.log("seed runbook's hand-made estimate for the same failover: 70–130 min (sequential, manual DNS)");
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  console.log(`rto/critical-path = ${mean.toFixed(3)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
