import { expect } from "chai";
import { injectFault, recoverFaults } from "../../../automation/sandbox/faults";
import { inspectWorld } from "../../../automation/sandbox/inspect";
import { crashAndResume, type CrashPoint } from "../../support/crash";
import { FAILED_OVER, HOUR, MIN, asRun, openWorld, refusal, stageOutage, step } from "../../support/world";

describe("failback runbook (sandbox world)", function () {
  this.timeout(400_000);

  it("brings the workload home with the data written in DR, destroys DR through its program, keeps the old primary fenced", async function () {
    const w = await openWorld(FAILED_OVER);
    try {
      await w.target.world.advance(HOUR);
      expect((await refusal(w.lib.failback({ yes: true }))).code).to.equal("refused.primary-unavailable");
      recoverFaults(w.target.world, "region-outage");
      await w.target.world.advance(HOUR);
      const run = asRun(await w.lib.failback({ yes: true }));
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      const world = w.target.world;
      expect(await w.target.stacks.exists("dr")).to.equal(false);
      expect(world.cluster("pilotlight-sandbox-dr")).to.equal(undefined);
      // The DR cluster went with a final snapshot; the previous primary is kept, marked retired, fenced.
      expect(Object.values(world.s.snapshots).some((s) => s.id.startsWith("pilotlight-sandbox-dr-final"))).to.equal(
        true,
      );
      const old = world.cluster("pilotlight-sandbox")!;
      expect(old.tags["pilotlight:retired-by"]).to.equal(run.id);
      expect(old.readOnly).to.equal(true);
      const home = world.cluster("pilotlight-sandbox-g2")!;
      expect(home.readOnly).to.equal(false);
      expect(step(run, "check-data").state).to.equal("Succeeded");
      expect(run.measurements["rpoDataMs"]).to.equal(0);
      // Clients come home within the TTL and write there; DR is withdrawn.
      const after = w.target.clock.now();
      await world.advance(10 * MIN);
      const view = await inspectWorld(world, after);
      expect(view.clusters.find((c) => c.id === "pilotlight-sandbox-g2")!.writesSince).to.be.greaterThan(0);
      expect(view.clusters.filter((c) => c.id !== "pilotlight-sandbox-g2").every((c) => c.writesSince === 0)).to.equal(
        true,
      );
      expect((await refusal(w.lib.failback({ yes: true }))).code).to.equal("refused.not-failed-over");
      // The stack file keeps no key of the failover: the next one starts clean (set-all never removes).
      expect(
        Object.keys(world.s.stackFiles["dr"] ?? {}).some(
          (k) => k === "pilotlight:restoreSnapshot" || k === "pilotlight:retire",
        ),
      ).to.equal(false);
    } finally {
      await w.close();
    }
  });

  it("reports writes stranded on the old primary (seed scenario: split brain) and fails back only when they are accepted", async function () {
    const w = await openWorld();
    try {
      const outageAt = await stageOutage(w);
      // Clients' resolvers do not follow the switch: when the primary region returns they write there.
      await injectFault(w.target.world, "dns-stuck", {});
      expect(asRun(await w.lib.failover({ yes: true, outageSince: outageAt })).phase).to.equal("Completed");
      recoverFaults(w.target.world, "region-outage");
      await w.target.world.advance(HOUR);
      const stranded = (await inspectWorld(w.target.world, outageAt)).clusters.find(
        (c) => c.id === "pilotlight-sandbox",
      )!.writesSince;
      expect(stranded).to.be.greaterThan(0);
      // The posture check fences the old primary as soon as it answers and reports what it took.
      const posture = asRun(await w.lib.drill("posture", {}));
      expect(step(posture, "old-primary-fenced").error?.code).to.equal("posture.failed");
      expect(w.target.world.cluster("pilotlight-sandbox")!.readOnly).to.equal(true);
      const r = await refusal(w.lib.failback({ yes: true }));
      expect(r.code).to.equal("refused.stranded-writes");
      expect((r.details?.["stranded"] as { total: number }).total).to.be.greaterThan(0);
      recoverFaults(w.target.world, "dns-stuck");
      const run = asRun(await w.lib.failback({ yes: true, acceptStrandedWrites: true }));
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      expect((run.spec["warnings"] as string[]).some((x) => x.includes("accepting"))).to.equal(true);
    } finally {
      await w.close();
    }
  });

  it("ends PartiallyFailed when the DR teardown fails after traffic came home; a resume finishes it", async function () {
    const w = await openWorld(FAILED_OVER);
    try {
      recoverFaults(w.target.world, "region-outage");
      await w.target.world.advance(HOUR);
      await injectFault(w.target.world, "destroy-fails", { count: 1 });
      const run = asRun(await w.lib.failback({ yes: true }));
      expect(run.phase).to.equal("PartiallyFailed");
      expect(step(run, "switch-back").state).to.equal("Succeeded");
      expect(step(run, "teardown-dr").state).to.equal("Failed");
      expect(await w.target.stacks.exists("dr")).to.equal(true);
      const resumed = await w.lib.resume(run.id);
      expect(resumed.phase, JSON.stringify(resumed.error)).to.equal("Completed");
      expect(await w.target.stacks.exists("dr")).to.equal(false);
    } finally {
      await w.close();
    }
  });

  const POINTS: CrashPoint[] = [
    { inside: "copy-home", afterMs: 5 * MIN },
    { after: "restore-primary" },
    { inside: "switch-back", afterMs: 30_000 },
  ];
  for (const point of POINTS) {
    it(`a process killed ${"after" in point ? `after ${point.after}` : `inside ${point.inside}`} is resumed by a new one: Completed, one restore`, async function () {
      const w = await openWorld(FAILED_OVER);
      recoverFaults(w.target.world, "region-outage");
      await w.target.world.advance(HOUR);
      const { world } = await crashAndResume(w, point, (lib, signal) => lib.failback({ yes: true, signal }));
      await world.close();
    });
  }
});
