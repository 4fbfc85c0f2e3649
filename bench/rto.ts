/**
 * `npm run bench:rto`: how close the orchestrated failover comes to the critical path of the
 * same (AWS-like, seeded) durations, in the sandbox, and what preparing buys. For each seed, two
 * copies of one world with history and a regional outage of the primary:
 *   - cold: the real failover runbook, declared 70 minutes into the outage;
 *   - prepared: `failover --prepare` 30 minutes into the outage, then `failover` 40 minutes later.
 * Figures per seed:
 *   - cold RTO: declaration → workload healthy in DR, as the run measured it;
 *   - critical path: the longest chain of the modelled durations (resource creations as a
 *     dependency graph, then the DNS switch), i.e. the best any orchestrator could do cold;
 *   - sequential sum: the same durations one after another, as a hand-run runbook does them;
 *   - prepared RTO: declaration of the second `failover` → healthy (target ≤ 15 min), and the
 *     prepare's own duration beside it.
 * The seed runbook's own estimate (70–130 min) is printed for context. Last lines:
 * `rto/critical-path = X.XXX` and `prepared RTO max = …` (over seeds).
 */
import { formatDuration } from "../automation/domain/objectives";
import type { ResourceSpan } from "../automation/sandbox/sandbox-stacks";
import { MIN, asRun, fixture, openWorld, stageOutage, type Fixture } from "../test/support/world";

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

async function cold(f: Fixture): Promise<{ rto: number; critical: number; sequential: number }> {
  const w = await openWorld(f);
  try {
    const since = await stageOutage(w, 70 * MIN);
    const run = asRun(await w.lib.failover({ yes: true, outageSince: since }));
    if (run.phase !== "Completed") throw new Error(`${f.name}: cold failover ended ${run.phase}`);
    const spans = w.target.stacks.spans.get("dr") ?? [];
    const dns =
      w.target.world.s.switches.filter((s) => s.noticedAt >= run.startedAt!).map((s) => s.visibleAt - s.noticedAt)[0] ??
      0;
    return {
      rto: run.measurements["rtoMs"]!,
      critical: criticalPath(spans) + dns,
      sequential: spans.reduce((sum, s) => sum + (s.end - s.start), 0) + dns,
    };
  } finally {
    await w.close();
  }
}

async function prepared(f: Fixture): Promise<{ rto: number; prepare: number }> {
  const w = await openWorld(f);
  try {
    const since = await stageOutage(w, 30 * MIN);
    const staged = asRun(await w.lib.failover({ yes: true, outageSince: since, prepare: true }));
    if (staged.phase !== "Completed") throw new Error(`${f.name}: prepare ended ${staged.phase}`);
    await w.target.world.advance(40 * MIN);
    const run = asRun(await w.lib.failover({ yes: true, outageSince: since }));
    if (run.phase !== "Completed") throw new Error(`${f.name}: prepared failover ended ${run.phase}`);
    return { rto: run.measurements["rtoMs"]!, prepare: staged.endedAt! - staged.startedAt! };
  } finally {
    await w.close();
  }
}

async function main(): Promise<void> {
  const seeds = Number(process.argv.find((a) => a.startsWith("--seeds="))?.slice(8) ?? 3);
  const ratios: number[] = [];
  const preparedRtos: number[] = [];
  const row = (cells: string[]) =>
    console.log(cells.map((c, i) => c.padStart([4, 10, 13, 14, 12, 13, 10][i]!)).join("  "));
  row(["seed", "cold RTO", "critical path", "sequential sum", "rto/critical", "prepared RTO", "prepare"]);
  for (let seed = 1; seed <= seeds; seed++) {
    const f: Fixture = { name: `bench-${seed}`, seed, hours: 4, rows: 200 };
    await fixture(f);
    const c = await cold(f);
    const p = await prepared(f);
    ratios.push(c.rto / c.critical);
    preparedRtos.push(p.rto);
    row([
      String(seed),
      formatDuration(c.rto),
      formatDuration(c.critical),
      formatDuration(c.sequential),
      (c.rto / c.critical).toFixed(3),
      formatDuration(p.rto),
      formatDuration(p.prepare),
    ]);
  }
  console.log("seed runbook's hand-made estimate for the same failover: 70–130 min (sequential, manual DNS)");
  const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
  console.log(`rto/critical-path = ${mean.toFixed(3)}`);
  const worst = Math.max(...preparedRtos);
  console.log(`prepared RTO max = ${formatDuration(worst)} (target ≤ 15m: ${worst <= 15 * MIN ? "met" : "MISSED"})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
