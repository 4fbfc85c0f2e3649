import { expect } from "chai";
import { existsSync } from "node:fs";
import { injectFault, recoverFaults } from "../../../automation/sandbox/faults";
import { inspectWorld } from "../../../automation/sandbox/inspect";
import { HOUR, MIN, SANDBOX, asRun, openWorld, refusal, stageOutage, step, type TestWorld } from "../../support/world";

const drClusterId = "pilotlight-sandbox-dr";

describe("failover runbook (sandbox world)", function () {
  this.timeout(300_000);

  describe("a regional outage, failed over", function () {
    let w: TestWorld;
    let run: ReturnType<typeof asRun>;
    let outageAt: number;
    before(async function () {
      w = await openWorld();
      outageAt = await stageOutage(w);
      run = asRun(await w.lib.failover({ yes: true, outageSince: outageAt }));
    });
    after(async function () {
      await w.close();
    });

    it("completes with exactly one restore and measures RTO, RPO and the downtime from the outage", function () {
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      expect(w.target.world.s.stats.restoresStarted).to.equal(1);
      const m = run.measurements;
      expect(m["rtoMs"]).to.be.a("number").and.be.at.most(SANDBOX.objectives.rto);
      expect(m["rpoMs"]).to.equal(50 * MIN);
      expect(m["rpoDataMs"]).to.be.a("number").and.be.at.most(SANDBOX.objectives.rpo);
      expect(m["downtimeMs"]).to.equal(
        m["rtoMs"]! + (run.spec["facts"] as { declaredAt: number }).declaredAt - outageAt,
      );
      for (const phase of ["phase.clusterMs", "phase.instanceMs", "phase.dnsMs"])
        expect(m[phase], phase).to.be.a("number");
      // A restored cluster has no instance: the instance phase ends after the cluster phase.
      expect(m["phase.instanceMs"]!).to.be.greaterThan(m["phase.clusterMs"]!);
    });

    it("publishes DR only after its data passed the checks, and pins traffic before", function () {
      const checked = step(run, "check-data").endedAt!;
      expect(step(run, "pin-dr").startedAt!).to.be.at.least(checked);
      expect(step(run, "publish-dr").startedAt!).to.be.at.least(step(run, "pin-dr").endedAt!);
    });

    it("sends clients to DR within the TTL and they write there; the Data API was turned on for the restored cluster", async function () {
      const view = await inspectWorld(w.target.world, outageAt);
      const dr = view.clusters.find((c) => c.id === drClusterId)!;
      expect(dr.dataApi).to.equal(true);
      const before = dr.writesSince;
      await w.target.world.advance(10 * MIN);
      expect(w.target.world.clientTarget()?.id).to.equal(drClusterId);
      expect(
        (await inspectWorld(w.target.world, outageAt)).clusters.find((c) => c.id === drClusterId)!.writesSince,
      ).to.be.greaterThan(before);
    });

    it("keeps clients on DR when the primary region comes back (no split brain), with Route 53's control plane down all along", async function () {
      recoverFaults(w.target.world, "region-outage");
      const back = w.target.clock.now();
      await w.target.world.advance(HOUR);
      const view = await inspectWorld(w.target.world, back);
      expect(view.clusters.find((c) => c.id === "pilotlight-sandbox")!.writesSince).to.equal(0);
      expect(view.clusters.find((c) => c.id === drClusterId)!.writesSince).to.be.greaterThan(0);
      expect(Object.values(view.dns)[0]).to.contain("dr-workload");
    });

    it("writes the report and notifies with the measured figures", function () {
      const out = step(run, "report").output as { markdown: string; json: string };
      expect(existsSync(out.markdown) && existsSync(out.json)).to.equal(true);
      expect(w.target.notifier.sent.some((n) => n.runId === run.id)).to.equal(true);
    });

    it("refuses a second failover while the DR stack stands, naming the run to resume or abandon", async function () {
      const r = await refusal(w.lib.failover({ yes: true, critical: true }));
      expect(r.code).to.equal("refused.dr-active");
    });
  });

  describe("traffic follows the data (seed scenario: a damaged copy)", function () {
    let w: TestWorld;
    before(async function () {
      w = await openWorld();
    });
    after(async function () {
      await w.close();
    });

    it("a copy that lost rows fails the check; no client reaches DR; abandon clears the way; an earlier point completes", async function () {
      // A manifest on the primary once this hour's copy is in, then the next copy silently loses rows.
      await w.target.world.advance(HOUR - (w.target.clock.now() % HOUR) + 45 * MIN);
      await w.lib.recordManifest({});
      await injectFault(w.target.world, "damaged-copy", { count: 1 });
      const outageAt = await stageOutage(w);
      const failed = asRun(await w.lib.failover({ yes: true, outageSince: outageAt }));
      expect(failed.phase).to.equal("Failed");
      expect(step(failed, "check-data").error?.code).to.equal("validation.failed");
      expect(step(failed, "check-data").error?.message).to.match(
        /public\.orders damaged: (at least )?\d+ missing.* keys \d+\.\.\d+/,
      );
      expect(step(failed, "publish-dr").state).to.equal("Skipped");
      // An hour later no client has written to the unchecked DR database.
      await w.target.world.advance(HOUR);
      const view = await inspectWorld(w.target.world, outageAt);
      expect(view.clusters.find((c) => c.id === drClusterId)!.writesSince).to.equal(0);
      // A new failover is refused while the DR stack stands; abandoning removes it, cluster included.
      expect((await refusal(w.lib.failover({ yes: true, critical: true }))).code).to.equal("refused.dr-active");
      const abandoned = asRun(await w.lib.abandon({ yes: true, run: failed.id }));
      expect(abandoned.phase, JSON.stringify(abandoned.error)).to.equal("Completed");
      expect(await w.target.stacks.exists("dr")).to.equal(false);
      expect(w.target.world.cluster(drClusterId)).to.equal(undefined);
      // Another failover, from the recovery point before the damaged one.
      const damagedAt = (failed.spec["facts"] as { recoveryPoint: { createdAt: number } }).recoveryPoint.createdAt;
      const retry = asRun(await w.lib.failover({ yes: true, critical: true, before: damagedAt, acceptDataLoss: true }));
      expect(retry.phase, JSON.stringify(retry.error)).to.equal("Completed");
      expect((retry.spec["facts"] as { recoveryPoint: { createdAt: number } }).recoveryPoint.createdAt).to.be.lessThan(
        damagedAt,
      );
      expect(w.events.some((e) => e.code === "run.warning" && e.runId === undefined)).to.equal(true);
    });
  });

  describe("guards and the seeds' policy", function () {
    let w: TestWorld;
    before(async function () {
      w = await openWorld();
    });
    after(async function () {
      await w.close();
    });

    it("a dry run shows facts and plan and changes nothing", async function () {
      const preview = await w.lib.failover({ dryRun: true, force: true, acceptDataLoss: true });
      expect((preview as { dryRun?: boolean }).dryRun).to.equal(true);
      expect(await w.target.stacks.exists("dr")).to.equal(false);
      expect(w.target.world.s.stats.restoresStarted).to.equal(0);
    });

    it("refuses to fail over away from a healthy primary, and changes nothing", async function () {
      expect((await refusal(w.lib.failover({ yes: true }))).code).to.equal("refused.primary-healthy");
      expect(await w.target.stacks.exists("dr")).to.equal(false);
    });

    it("without the outage's start, refuses and asks for it (Route 53 does not tell when a check began failing)", async function () {
      await injectFault(w.target.world, "region-outage", {});
      expect((await refusal(w.lib.failover({ yes: true }))).code).to.equal("refused.wait");
    });

    it("waits under 15 minutes of outage, prepares under 60, with the advice in the refusal", async function () {
      const now = w.target.clock.now();
      const wait = await refusal(w.lib.failover({ yes: true, outageSince: now - 5 * MIN }));
      expect(wait.details?.["advice"]).to.equal("wait");
      const prepare = await refusal(w.lib.failover({ yes: true, outageSince: now - 30 * MIN }));
      expect(prepare.details?.["advice"]).to.equal("prepare");
    });

    it("resolves a relative --outage-since once and records the absolute time in the run's spec", async function () {
      const preview = await w.lib.failover({ dryRun: true, outageSince: "-70m", acceptDataLoss: true });
      const request = (preview as unknown as { request: { outageSince: number } }).request;
      expect(request.outageSince).to.equal(w.target.clock.now() - 70 * MIN);
      expect((await refusal(w.lib.failover({ yes: true, outageSince: "yesterday" }))).code).to.equal("config.invalid");
    });
  });

  describe("prepare, then fail over (the seeds' prepare window)", function () {
    let w: TestWorld;
    before(async function () {
      w = await openWorld();
    });
    after(async function () {
      await w.close();
    });

    it("stages DR without moving traffic; the later failover only switches, with a short RTO", async function () {
      const outageAt = await stageOutage(w, 30 * MIN);
      const prepared = asRun(await w.lib.failover({ yes: true, outageSince: outageAt, prepare: true }));
      expect(prepared.phase, JSON.stringify(prepared.error)).to.equal("Completed");
      expect(prepared.steps.map((s) => s.id)).to.deep.equal(["close-dr", "stand-up-dr", "check-data", "report"]);
      expect(w.target.world.s.stats.restoresStarted).to.equal(1);
      // No client reaches the prepared DR.
      await w.target.world.advance(40 * MIN);
      expect(
        (await inspectWorld(w.target.world, outageAt)).clusters.find((c) => c.id === drClusterId)!.writesSince,
      ).to.equal(0);
      const over = asRun(await w.lib.failover({ yes: true, outageSince: outageAt }));
      expect(over.phase, JSON.stringify(over.error)).to.equal("Completed");
      expect(over.steps[0]!.id).to.equal("recheck-dr");
      expect(w.target.world.s.stats.restoresStarted).to.equal(1);
      expect(over.measurements["rtoMs"]!).to.be.at.most(15 * MIN);
      expect(over.measurements["rtoWithPrepareMs"]!).to.be.greaterThan(over.measurements["rtoMs"]!);
      await w.target.world.advance(5 * MIN);
      expect(w.target.world.clientTarget()?.id).to.equal(drClusterId);
    });
  });

  describe("faults", function () {
    it("a failed restore fails the run with the AWS error, still reports, and a resume completes with one more restore", async function () {
      const w = await openWorld();
      try {
        const outageAt = await stageOutage(w);
        await injectFault(w.target.world, "restore-fails", { count: 1 });
        const run = asRun(await w.lib.failover({ yes: true, outageSince: outageAt }));
        expect(run.phase).to.equal("Failed");
        expect(step(run, "stand-up-dr").error?.code).to.equal("pulumi.error");
        expect(step(run, "report").state).to.equal("Succeeded");
        const resumed = await w.lib.resume(run.id);
        expect(resumed.phase, JSON.stringify(resumed.error)).to.equal("Completed");
        expect(w.target.world.s.stats.restoresStarted).to.equal(2);
      } finally {
        await w.close();
      }
    });

    it("rides out throttling through retries with backoff", async function () {
      const w = await openWorld();
      try {
        const outageAt = await stageOutage(w);
        await injectFault(w.target.world, "throttling", { count: 4 });
        const run = asRun(await w.lib.failover({ yes: true, outageSince: outageAt }));
        expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
        expect(w.target.world.s.stats.throttled).to.equal(4);
      } finally {
        await w.close();
      }
    });
  });
});
