import { expect } from "chai";
import type { Config } from "../../automation/config/schema";
import type { PilotEvent } from "../../automation/domain/events";
import type { Run } from "../../automation/domain/run";
import { injectFault } from "../../automation/sandbox/faults";
import { renderMetrics } from "../../drills/metrics";
import { DrillScheduler, clockCron, drillSlot } from "../../drills/scheduler";
import { HOUR, MIN, newWorld, step } from "../support/world";

const at = (day: number, hour: number, minute = 0) => Date.UTC(2026, 9, day, hour, minute);
const dayOf = (r: Run) => new Date(r.createdAt).getUTCDate();

/**
 * October 2026 on virtual time: the nightly restore drill at 03:00 UTC runs from the scheduler on
 * the sandbox's clock, with a fault on some nights. Backups every 6 h (so a month stays cheap);
 * the drill always restores the newest DR copy.
 */
describe("a simulated month of nightly drills (sandbox, virtual time)", function () {
  this.timeout(600_000);

  it("records every night with the right phase, logs the missed night, and leaves nothing behind after the sweeper", async function () {
    const w = await newWorld({
      start: at(1, 0) - 7 * HOUR,
      seed: 61,
      rows: 200,
      hours: 7,
      backupIntervalMs: 6 * HOUR,
      writeIntervalMs: HOUR,
      retentionMs: 2 * 24 * HOUR,
    });
    const { lib, store } = w;
    const world = w.target.world;
    const clock = w.target.clock;
    const until = (t: number) => clock.sleep(t - clock.now());
    const events: PilotEvent[] = [];
    const base = lib.config;
    const env = base.environments["sandbox"]!;
    // Posture checks are left out: hourly, they would be 700 more runs with nothing to add here.
    const config: Config = {
      ...base,
      environments: {
        sandbox: { ...env, drills: { ...env.drills, posture: { ...env.drills.posture, enabled: false } } },
      },
    };
    const scheduler = (instance: string) =>
      new DrillScheduler({
        lib,
        config,
        store,
        cron: clockCron(clock),
        clock,
        sink: (e) => events.push(e),
        holder: { host: "h", pid: 1, instance },
      });
    try {
      const a = scheduler("a");
      await a.start();

      await until(at(4, 20));
      await injectFault(world, "restore-fails", { count: 1 }); // 5 October: the restore fails

      await until(at(8, 20));
      await lib.recordManifest({});
      await injectFault(world, "damaged-copy", { count: 1 }); // 9 October: the midnight copy lands with rows missing

      await until(at(13, 3, 20));
      await a.stop(); // 13 October: SIGTERM mid-drill; the process stays down until noon the next day

      await until(at(14, 12));
      const b = scheduler("b");
      await b.start(); // 14 October 03:00 was missed: logged, not caught up

      await until(at(17, 2, 59));
      const throttledBefore = world.s.stats.throttled;
      await injectFault(world, "throttling", { count: 3 }); // 17 October: throttled API calls, ridden out by retries

      await until(at(21, 2));
      await injectFault(world, "destroy-fails", { count: 1 }); // 21 October: the drill stack's destroy fails

      await until(at(32, 0)); // 1 November, 00:00
      await b.stop();

      const runs = (await store.listRuns({ kind: "restore-drill", limit: 100 })).sort(
        (x, y) => x.createdAt - y.createdAt,
      );
      const phases = Object.fromEntries(runs.map((r) => [dayOf(r), r.phase]));
      const expected: Record<number, string> = {};
      for (let d = 1; d <= 31; d++) if (d !== 14) expected[d] = "Completed";
      Object.assign(expected, { 5: "Failed", 9: "Failed", 13: "Interrupted", 21: "PartiallyFailed" });
      const why = runs
        .map(
          (r) =>
            `${dayOf(r)} ${r.phase} ${r.steps
              .filter((s) => s.error)
              .map((s) => `${s.id}: ${s.error!.message}`)
              .join(" / ")}`,
        )
        .join("\n");
      expect(phases, why).to.deep.equal(expected);
      expect(runs.map((r) => new Date(r.createdAt).toISOString().slice(11, 16))).to.satisfy((times: string[]) =>
        times.every((t) => t === "03:00"),
      );

      const night = (d: number) => runs.find((r) => dayOf(r) === d)!;
      expect(step(night(5), "stand-up-drill").state).to.equal("Failed");
      expect(step(night(9), "validate").error?.code).to.equal("validation.failed");
      expect(step(night(9), "validate").error?.message).to.contain("orders");
      expect(step(night(13), "destroy").state).to.equal("Succeeded");
      expect(world.s.stats.throttled - throttledBefore).to.equal(3);
      expect(step(night(21), "destroy").error?.code).to.equal("pulumi.error");
      for (const r of runs) expect(step(r, "report").state, `report of ${dayOf(r)}`).to.equal("Succeeded");
      // Alerts: one critical per failed night (5, 9, 21 — an interrupted drill is not a finding).
      expect(w.target.notifier.sent.filter((m) => m.severity === "critical").length).to.be.at.least(3);

      const missed = events.filter((e) => e.code === "schedule.missed");
      const slot = drillSlot(lib.target, "sandbox", "restore");
      expect(missed.map((e) => e.data)).to.deep.equal([
        { slot, missed: 1, first: "2026-10-14T03:00:00.000Z", newest: "2026-10-14T03:00:00.000Z", catchUp: false },
      ]);

      // The stack whose destroy failed on the 21st was swept after the 22nd's drill (its TTL had
      // passed); nothing is left, and a sweep now finds nothing more.
      const swept = events.filter((e) => e.code === "schedule.swept");
      expect(
        swept.map((e) => [
          (e.data as { occurrence: string }).occurrence,
          (e.data as { destroyedStacks: string[] }).destroyedStacks,
        ]),
      ).to.deep.equal([[`${slot}:2026-10-22T03:00:00.000Z`, [`drill-${night(21).id.toLowerCase()}`]]]);
      const drillStacks = async () => (await w.target.stacks.list()).filter((s) => s.startsWith("drill-"));
      const liveDrillClusters = () =>
        world
          .liveClusters()
          .filter((c) => c.id.startsWith("pl-drill-"))
          .map((c) => c.id);
      expect(await drillStacks()).to.deep.equal([]);
      expect(liveDrillClusters()).to.deep.equal([]);
      const report = await lib.sweep({});
      expect([report.destroyedStacks, report.deletedClusters, report.errors]).to.deep.equal([[], [], []]);

      // The month as trends: outcomes and the RPO of every completed night (backups every 6 h, drill at 03:00).
      const [trend] = await lib.runs.trends({ kind: "restore-drill", days: 31 });
      expect(trend!.outcomes).to.deep.equal({ Completed: 26, Failed: 2, Interrupted: 1, PartiallyFailed: 1 });
      expect(trend!.metrics.rpoMs).to.deep.include({ n: 26, p50: 3 * HOUR, overObjective: 26 });
      // RPO is measured from when the drill declared, which a night that waited (a lease taken over,
      // a store retried) does a moment after 03:00.
      expect(trend!.metrics.rpoMs.max).to.be.within(3 * HOUR, 3 * HOUR + MIN);
      expect(trend!.metrics.restoreMs.n).to.equal(26);

      const metrics = renderMetrics(runs);
      expect(metrics).to.contain('pilotlight_last_run_failed{env="sandbox",kind="restore-drill"} 0');
      expect(metrics).to.contain('pilotlight_runs{env="sandbox",kind="restore-drill",phase="Failed"} 2');
    } finally {
      await w.close();
    }
  });
});
