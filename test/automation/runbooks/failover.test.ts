import { expect } from "chai";
import { existsSync, readFileSync } from "node:fs";
import { isPilotlightError } from "../../../automation/domain/errors";
import type { Run } from "../../../automation/domain/run";
import { isPreview, type Pilotlight } from "../../../automation/library";
import type { SandboxSession } from "../../../automation/sandbox/session";
import { PgRunStore } from "../../../automation/store/pg-run-store";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import { HOUR, MIN, SANDBOX, libraryOn, newSession, stageOutage, asRun, step } from "../../support/sandbox-harness";

async function refusal(p: Promise<unknown>): Promise<{ code: string; source: string; details?: Record<string, unknown> }> {
  try {
    await p;
  } catch (error) {
    if (isPilotlightError(error)) return { code: error.code, source: error.source, ...(error.details === undefined ? {} : { details: error.details }) };
    throw error;
  }
  throw new Error("expected a refusal");
}


describe("failover runbook (sandbox)", function () {
  this.timeout(120_000);
  let store: PgRunStore;

  before(async function () {
    store = await PgRunStore.open(await PgliteSql.open());
  });
  after(async function () {
    await store.close();
  });

  async function world(seed = 11): Promise<{ session: SandboxSession; lib: Pilotlight; events: ReturnType<typeof Array<import("../../../automation/domain/events").PilotEvent>>; reportsDir: string }> {
    const { session, reportsDir } = newSession(seed);
    await session.bootstrap(4);
    const { lib, events } = await libraryOn(session, store, reportsDir);
    return { session, lib, events, reportsDir };
  }

  describe("happy path and report", function () {
    let session: SandboxSession;
    let lib: Pilotlight;
    let run: Run;
    let events: Array<{ code: string }>;

    before(async function () {
      ({ session, lib, events } = await world());
      await stageOutage(session);
      run = asRun(await lib.failover({ yes: true }));
    });
    after(async function () {
      await lib.close();
      await session.close();
    });

    it("completes, restoring exactly once, with measured RTO and RPO within the targets", function () {
      expect(run.phase).to.equal("Completed");
      expect(session.sandbox.world.stats.restoresStarted).to.equal(1);
      const m = run.measurements;
      expect(m["rtoMs"]).to.be.a("number").and.be.at.most(SANDBOX.objectives.rto);
      expect(m["rpoMs"]).to.equal(50 * MIN);
      expect(m["rpoDataMs"]).to.be.a("number").and.be.at.most(SANDBOX.objectives.rpo);
      for (const phase of ["phase.clusterMs", "phase.instanceMs", "phase.workloadMs", "phase.dnsMs"]) expect(m[phase], phase).to.be.a("number");
      // A restored cluster has no instance: the instance phase ends after the cluster phase.
      expect(m["phase.instanceMs"]!).to.be.greaterThan(m["phase.clusterMs"]!);
    });

    it("moves clients to the DR region and serves reads and writes there", async function () {
      const drHost = new URL(String((step(run, "stand-up-dr").output as { outputs: { healthUrl: string } }).outputs.healthUrl)).host;
      expect(await session.ports.traffic.resolve({ zoneId: SANDBOX.dns!.zoneId, name: SANDBOX.dns!.name, type: "CNAME" })).to.deep.equal([drHost]);
      expect(session.sandbox.world.writeTarget()?.region).to.equal("us-west-2");
    });

    it("writes the report and notifies with the measured figures", function () {
      const out = step(run, "report").output as { markdown: string; json: string };
      expect(existsSync(out.markdown) && existsSync(out.json)).to.equal(true);
      const json = JSON.parse(readFileSync(out.json, "utf8"));
      expect(json.summary.achieved.rtoMs).to.equal(run.measurements["rtoMs"]);
      expect(readFileSync(out.markdown, "utf8")).to.contain("| RTO (declaration → workload healthy) | 4h 00m |");
      const sent = session.sandbox.notifier.sent;
      expect(sent).to.have.length(1);
      expect(sent[0]!.body).to.contain("RTO achieved").and.contain("50m 00s");
    });

    it("journals every step and the run's end as events", async function () {
      const persisted = (await store.listEvents(run.id)).map((e) => e.code);
      expect(persisted.filter((c) => c === "step.succeeded")).to.have.length(5);
      expect(persisted.at(-1)).to.equal("run.finished");
      expect(events.map((e) => e.code)).to.include("plan.ready");
    });

    it("refuses a second failover while the DR stack stands", async function () {
      const r = await refusal(lib.failover({ yes: true, force: true }));
      expect(r.code).to.equal("refused.dr-active");
    });
  });

  describe("guards: a clear refusal and nothing changed", function () {
    let session: SandboxSession;
    let lib: Pilotlight;

    before(async function () {
      ({ session, lib } = await world(12));
    });
    after(async function () {
      await lib.close();
      await session.close();
    });

    async function nothingChanged(before: number): Promise<void> {
      expect(await session.ports.stacks.exists("dr")).to.equal(false);
      expect((await store.listRuns({ kind: "failover", limit: 500 })).length).to.equal(before);
      expect(session.sandbox.world.stats.restoresStarted).to.equal(0);
    }

    it("refuses to fail over away from a healthy primary without --force", async function () {
      const before = (await store.listRuns({ kind: "failover", limit: 500 })).length;
      const r = await refusal(lib.failover({ yes: true }));
      expect(r).to.deep.include({ code: "refused.primary-healthy", source: "user" });
      await nothingChanged(before);
    });

    it("applies the wait / prepare policy to a young outage, unless --critical", async function () {
      const before = (await store.listRuns({ kind: "failover", limit: 500 })).length;
      await session.advance(HOUR - (session.clock.now() % HOUR) + 50 * MIN);
      session.outage();
      await session.advance(5 * MIN);
      expect(await refusal(lib.failover({ yes: true }))).to.deep.include({ code: "refused.wait" });
      expect((await refusal(lib.failover({ yes: true }))).details).to.deep.include({ advice: "wait" });
      await session.advance(20 * MIN);
      expect((await refusal(lib.failover({ yes: true }))).details).to.deep.include({ advice: "prepare" });
      const preview = await lib.failover({ yes: true, critical: true, dryRun: true });
      expect(isPreview(preview)).to.equal(true);
      await nothingChanged(before);
    });

    it("refuses a recovery point older than the RPO without --accept-data-loss", async function () {
      const before = (await store.listRuns({ kind: "failover", limit: 500 })).length;
      const r = await refusal(lib.failover({ yes: true, critical: true, before: session.clock.now() - 3 * HOUR }));
      expect(r.code).to.equal("refused.rpo-breach");
      expect(r.details!["ageMs"]).to.be.greaterThan(SANDBOX.objectives.rpo);
      const preview = await lib.failover({ yes: true, critical: true, before: session.clock.now() - 3 * HOUR, acceptDataLoss: true, dryRun: true });
      expect(isPreview(preview) && preview.warnings.join(" ")).to.contain("accepting data loss");
      await nothingChanged(before);
    });

    it("refuses when the named recovery point is not a completed copy of the primary", async function () {
      const before = (await store.listRuns({ kind: "failover", limit: 500 })).length;
      const r = await refusal(lib.failover({ yes: true, critical: true, recoveryPoint: "arn:aws:rds:us-west-2:000000000000:cluster-snapshot:nope" }));
      expect(r.code).to.equal("refused.no-recovery-point");
      await nothingChanged(before);
    });

    it("without --yes refuses when there is no terminal, and stops when the operator says no", async function () {
      const before = (await store.listRuns({ kind: "failover", limit: 500 })).length;
      expect((await refusal(lib.failover({ critical: true }))).code).to.equal("refused.confirmation-required");
      let asked = "";
      const declined = await refusal(lib.failover({ critical: true, confirm: async (q) => ((asked = q), false) }));
      expect(declined.code).to.equal("refused.declined");
      expect(asked).to.contain("us-west-2");
      await nothingChanged(before);
    });

    it("a dry run prints the plan and its facts and changes nothing", async function () {
      const before = (await store.listRuns({ kind: "failover", limit: 500 })).length;
      const preview = await lib.failover({ critical: true, dryRun: true });
      if (!isPreview(preview)) throw new Error("expected a preview");
      expect(preview.plan.steps.map((s) => s.id)).to.deep.equal(["stand-up-dr", "check-data", "switch-traffic", "verify-workload", "report"]);
      expect(preview.facts["recoveryPoint"]).to.have.property("arn");
      await nothingChanged(before);
    });
  });

  describe("forced failover from a primary that still answers", function () {
    it("inverts the primary's health check so that Route 53 moves clients", async function () {
      const { session, lib } = await world(13);
      try {
        // Mid-hour: the top-of-the-hour backup has reached the DR vault.
        await session.advance(HOUR - (session.clock.now() % HOUR) + 50 * MIN);
        const run = asRun(await lib.failover({ yes: true, force: true }));
        expect(run.phase).to.equal("Completed");
        expect(step(run, "switch-traffic").external).to.include({ kind: "health-check-inverted" });
        expect([...session.sandbox.world.healthChecks.values()].every((c) => c.inverted)).to.equal(true);
      } finally {
        await lib.close();
        await session.close();
      }
    });
  });

  describe("faults", function () {
    it("a failed restore fails the run with the AWS error, still reports, and a resume completes with one more restore only", async function () {
      const { session, lib } = await world(14);
      try {
        await stageOutage(session);
        session.sandbox.world.faults.restoreOutcomes.push("FAILED");
        const run = asRun(await lib.failover({ yes: true }));
        expect(run.phase).to.equal("Failed");
        expect(step(run, "stand-up-dr").error).to.include({ code: "pulumi.error", source: "aws" });
        expect(step(run, "check-data").state).to.equal("Skipped");
        expect(step(run, "report").state).to.equal("Succeeded");
        expect(session.sandbox.notifier.sent[0]!.severity).to.equal("critical");
        const resumed = await lib.resume(run.id);
        expect(resumed.phase).to.equal("Completed");
        expect(session.sandbox.world.stats.restoresStarted).to.equal(2);
      } finally {
        await lib.close();
        await session.close();
      }
    });

    it("rides out throttling through retries with backoff", async function () {
      const { session, lib } = await world(15);
      try {
        await stageOutage(session);
        session.sandbox.world.faults.throttleNext = 3;
        const run = asRun(await lib.failover({ yes: true }));
        expect(run.phase).to.equal("Completed");
        expect(session.sandbox.world.stats.throttled).to.equal(3);
      } finally {
        await lib.close();
        await session.close();
      }
    });

    it("a restore stuck past the step's deadline ends TimedOut with its own code, and nothing is left running", async function () {
      const { session, lib } = await world(16);
      try {
        await stageOutage(session);
        session.sandbox.world.faults.restoreOutcomes.push("STUCK");
        const started = session.clock.now();
        const run = asRun(await lib.failover({ yes: true }));
        expect(run.phase).to.equal("Failed");
        expect(step(run, "stand-up-dr")).to.deep.include({ state: "TimedOut" });
        expect(step(run, "stand-up-dr").error?.code).to.equal("step.timed-out");
        expect(step(run, "stand-up-dr").endedAt! - started).to.equal(4 * HOUR);
        expect(session.clock.pendingTimers()).to.be.at.most(3);
      } finally {
        await lib.close();
        await session.close();
      }
    });

    it("a backup that silently lost rows fails the data check against the primary's manifest, naming the table and where its rows went missing", async function () {
      const { session, lib } = await world(19);
      try {
        await session.advance(HOUR - (session.clock.now() % HOUR) + 55 * MIN);
        await lib.recordManifest({});
        session.sandbox.world.faults.damageCopies = 5;
        await stageOutage(session);
        const run = asRun(await lib.failover({ yes: true }));
        expect(run.phase).to.equal("Failed");
        const error = step(run, "check-data").error!;
        expect(error.code).to.equal("validation.failed");
        expect(error.message).to.match(/public\.orders damaged: (at least )?\d+ missing.* keys \d+\.\.\d+/);
        expect(step(run, "switch-traffic").state).to.equal("Skipped");
      } finally {
        await lib.close();
        await session.close();
      }
    });

    it("DNS that never moves fails switch-traffic with traffic.not-switched", async function () {
      const { session, lib } = await world(17);
      try {
        await stageOutage(session);
        session.sandbox.world.faults.dnsStuck = true;
        const run = asRun(await lib.failover({ yes: true }));
        expect(run.phase).to.equal("Failed");
        expect(step(run, "switch-traffic").error).to.deep.include({ code: "traffic.not-switched" });
        expect(step(run, "verify-workload").state).to.equal("Skipped");
      } finally {
        await lib.close();
        await session.close();
      }
    });

    it("refuses a second concurrent failover of the environment", async function () {
      const { session, lib } = await world(18);
      const { lib: other } = await libraryOn(session, store, "unused");
      try {
        await stageOutage(session);
        const first = lib.failover({ yes: true });
        while (!(await session.ports.stacks.exists("dr"))) await session.clock.sleep(1000);
        const r = await refusal(other.failover({ yes: true }));
        expect(["lease.held", "refused.dr-active"]).to.include(r.code);
        expect(asRun(await first).phase).to.equal("Completed");
        expect(session.sandbox.world.stats.restoresStarted).to.equal(1);
      } finally {
        await other.close();
        await lib.close();
        await session.close();
      }
    });
  });
});
