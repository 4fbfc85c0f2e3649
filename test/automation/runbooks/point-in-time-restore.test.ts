import { expect } from "chai";
import { injectFault } from "../../../automation/sandbox/faults";
import { inspectWorld } from "../../../automation/sandbox/inspect";
import { MIN, asRun, openWorld, refusal, step, type TestWorld } from "../../support/world";

describe("point-in-time restore runbook (sandbox world)", function () {
  this.timeout(400_000);

  async function corrupted(): Promise<{ w: TestWorld; corruptedAt: number }> {
    const w = await openWorld();
    await w.target.world.advance(20 * MIN);
    const corruptedAt = w.target.clock.now();
    await injectFault(w.target.world, "data-corruption", {});
    await w.target.world.advance(30 * MIN);
    return { w, corruptedAt };
  }

  it("restores to before the corruption into a new generation, shows what differs, cuts over, keeps the damaged cluster", async function () {
    const { w, corruptedAt } = await corrupted();
    try {
      const run = asRun(await w.lib.restore({ yes: true, to: new Date(corruptedAt - MIN).toISOString() }));
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      const compare = step(run, "compare").output as { differences: Array<{ table: string; changedKeys: number }> };
      expect(compare.differences.find((d) => d.table.endsWith("orders"))!.changedKeys).to.be.greaterThan(0);
      const world = w.target.world;
      const damaged = world.cluster("pilotlight-sandbox")!;
      expect(damaged.tags["pilotlight:forensics"]).to.equal(run.id);
      expect(damaged.readOnly).to.equal(true);
      // Clients follow the cut-over: writes land in generation 2 only.
      const after = w.target.clock.now();
      await world.advance(10 * MIN);
      const view = await inspectWorld(world, after);
      expect(view.clusters.find((c) => c.id === "pilotlight-sandbox-g2")!.writesSince).to.be.greaterThan(0);
      expect(view.clusters.find((c) => c.id === "pilotlight-sandbox")!.writesSince).to.equal(0);
      // Nothing deletes what is kept for forensics, whatever path asks.
      const guard = await refusal(
        w.target.ports.databases.deleteCluster({
          region: "us-east-1",
          id: "pilotlight-sandbox",
          maxWaitMs: MIN,
          signal: new AbortController().signal,
        }),
      );
      expect(guard.code).to.equal("guard.forensics");
    } finally {
      await w.close();
    }
  });

  it("a restore to the wrong time leaves a way out (seed scenario): abandon drops the candidate and lifts the fence; the right time then completes", async function () {
    const { w, corruptedAt } = await corrupted();
    try {
      // "-10m" is after the corruption: resolved once, recorded as an absolute time.
      const wrong = asRun(await w.lib.restore({ yes: true, to: "-10m" }));
      expect((wrong.spec["request"] as { to: number }).to).to.equal(
        (wrong.spec["facts"] as { declaredAt: number }).declaredAt - 10 * MIN,
      );
      expect(wrong.phase).to.equal("Failed");
      expect(step(wrong, "compare").error?.code).to.equal("validation.failed");
      expect(step(wrong, "cut-over").state).to.equal("Skipped");
      expect(w.target.world.cluster("pilotlight-sandbox")!.readOnly).to.equal(true);
      // A second restore is refused while the candidate stands; resume would repeat the wrong time.
      expect(
        (await refusal(w.lib.restore({ yes: true, to: new Date(corruptedAt - MIN).toISOString() }))).code,
      ).to.equal("refused.candidate-exists");
      const abandoned = asRun(await w.lib.abandon({ yes: true, run: wrong.id }));
      expect(abandoned.phase, JSON.stringify(abandoned.error)).to.equal("Completed");
      expect(w.target.world.cluster("pilotlight-sandbox-g2")).to.equal(undefined);
      expect(w.target.world.cluster("pilotlight-sandbox")!.readOnly).to.equal(false);
      const right = asRun(await w.lib.restore({ yes: true, to: new Date(corruptedAt - MIN).toISOString() }));
      expect(right.phase, JSON.stringify(right.error)).to.equal("Completed");
      expect(w.target.world.cluster("pilotlight-sandbox-g2")!.readOnly).to.equal(false);
    } finally {
      await w.close();
    }
  });

  it("refuses a time outside the restorable window and changes nothing; a bad time is a clear error", async function () {
    const w = await openWorld();
    try {
      expect((await refusal(w.lib.restore({ yes: true, to: "-1m" }))).code).to.equal("refused.restore-time");
      expect((await refusal(w.lib.restore({ yes: true, to: "yesterday" }))).code).to.equal("config.invalid");
      expect(w.target.world.cluster("pilotlight-sandbox")!.readOnly).to.equal(false);
      expect(w.target.world.s.stats.restoresStarted).to.equal(0);
    } finally {
      await w.close();
    }
  });

  it("same-region recovery: a primary that lost its instances is restored to its latest restorable time (seed 001)", async function () {
    const w = await openWorld();
    try {
      await injectFault(w.target.world, "primary-lost", {});
      await w.target.world.advance(10 * MIN);
      const run = asRun(await w.lib.restore({ yes: true, to: "latest" }));
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      expect((step(run, "fence-primary").output as { skipped?: string }).skipped).to.contain("no instance");
      await w.target.world.advance(10 * MIN);
      expect(w.target.world.clientTarget()?.id).to.equal("pilotlight-sandbox-g2");
    } finally {
      await w.close();
    }
  });
});
