import { expect } from "chai";
import { isPilotlightError } from "../../../automation/domain/errors";
import { PgRunStore } from "../../../automation/store/pg-run-store";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import { CrashingStore, SimulatedCrash } from "../../support/crashing-store";
import { HOUR, MIN, libraryOn, newSession, stageOutage, asRun, step } from "../../support/sandbox-harness";


/** A crash point: after a step succeeded (a step boundary), or some time into a waiting step. */
type CrashPoint = { after: string } | { inside: string; afterMs: number };

const FAILOVER_POINTS: CrashPoint[] = [
  { inside: "stand-up-dr", afterMs: 20 * MIN },
  { after: "stand-up-dr" },
  { after: "check-data" },
  { inside: "switch-traffic", afterMs: 30_000 },
  { after: "switch-traffic" },
  { after: "verify-workload" },
];
const FAILBACK_POINTS: CrashPoint[] = [
  { after: "fence-dr" },
  { inside: "snapshot-dr", afterMs: 2 * MIN },
  { after: "snapshot-dr" },
  { inside: "copy-home", afterMs: 5 * MIN },
  { after: "copy-home" },
  { inside: "restore-primary", afterMs: 20 * MIN },
  { after: "restore-primary" },
  { after: "unfence-primary" },
  { after: "check-data" },
  { inside: "switch-back", afterMs: 30_000 },
  { after: "switch-back" },
  { after: "verify-primary" },
  { after: "teardown-dr" },
];

describe("failback runbook and crash-resume of failover and failback (sandbox)", function () {
  this.timeout(600_000);
  let store: PgRunStore;

  before(async function () {
    store = await PgRunStore.open(await PgliteSql.open());
  });
  after(async function () {
    await store.close();
  });

  it("brings the workload home with the data written in DR, destroys DR, keeps the old primary", async function () {
    const { session, reportsDir } = newSession(21);
    const { lib } = await libraryOn(session, store, reportsDir);
    try {
      await session.bootstrap(4);
      await stageOutage(session);
      expect(asRun(await lib.failover({ yes: true })).phase).to.equal("Completed");
      await session.advance(2 * HOUR);
      const drCluster = session.sandbox.world.writeTarget()!;
      const writtenInDr = drCluster.journal.length;
      expect(writtenInDr).to.be.greaterThan(0);

      // Guard: the primary region still does not answer.
      try {
        await lib.failback({ yes: true });
        expect.fail("failback with the primary region out");
      } catch (error) {
        expect(isPilotlightError(error) && error.code).to.equal("refused.primary-unavailable");
      }
      session.recover();
      await session.advance(HOUR);
      const run = asRun(await lib.failback({ yes: true }));
      expect(run.phase).to.equal("Completed");
      const world = session.sandbox.world;
      expect(await session.ports.stacks.exists("dr")).to.equal(false);
      expect(world.cluster(drCluster.id)).to.equal(undefined);
      // The DR cluster went with a final snapshot; the previous primary is kept, marked retired.
      expect([...world.snapshots.values()].some((s) => s.id.startsWith(`${drCluster.id}-final`))).to.equal(true);
      expect(world.cluster("pilotlight-sandbox")?.tags["pilotlight:retired-by"]).to.equal(run.id);
      const home = world.writeTarget()!;
      expect(home.id).to.equal("pilotlight-sandbox-g2");
      expect(home.readOnly).to.equal(false);
      // Every row written in DR came home: the comparison step found no difference.
      expect(step(run, "check-data").state).to.equal("Succeeded");
      expect(run.measurements["rpoDataMs"]).to.equal(0);
      // Writes flow again, into the new primary.
      const before = home.journal.length;
      await session.advance(10 * MIN);
      expect(home.journal.length).to.be.greaterThan(before);
      // A second failback has nothing to do.
      try {
        await lib.failback({ yes: true });
        expect.fail("second failback");
      } catch (error) {
        expect(isPilotlightError(error) && error.code).to.equal("refused.not-failed-over");
      }
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("ends PartiallyFailed, not Failed, when traffic is home and the data equal but the tag guard refused the DR teardown", async function () {
    const { session, reportsDir } = newSession(23);
    const { lib, events } = await libraryOn(session, store, reportsDir);
    try {
      await session.bootstrap(3);
      await stageOutage(session);
      expect(asRun(await lib.failover({ yes: true })).phase).to.equal("Completed");
      await session.advance(HOUR);
      // Someone removed pilotlight's tag from the DR cluster: the deletion guard must refuse it.
      const drCluster = session.sandbox.world.writeTarget()!;
      delete drCluster.tags["managed-by"];
      session.recover();
      await session.advance(HOUR);
      const run = asRun(await lib.failback({ yes: true }));

      const persisted = (await store.loadRun(run.id))!;
      expect(persisted.phase).to.equal("PartiallyFailed");
      for (const id of ["check-data", "switch-back", "verify-primary", "report"]) {
        expect(step(persisted, id).state, id).to.equal("Succeeded");
      }
      expect(step(persisted, "teardown-dr").state).to.equal("Failed");
      expect(step(persisted, "teardown-dr").error?.code).to.equal("guard.untagged");
      expect(persisted.error?.code).to.equal("guard.untagged");
      // Home, serving, and the untagged cluster left alone.
      expect(session.sandbox.world.writeTarget()!.id).to.equal("pilotlight-sandbox-g2");
      expect(session.sandbox.world.cluster(drCluster.id)).not.to.equal(undefined);
      const finished = events.filter((e) => e.runId === run.id && e.code === "run.finished");
      expect(finished.map((e) => e.data?.["phase"])).to.deep.equal(["PartiallyFailed"]);
      // The report describes the same outcome as the run.
      const summary = (step(persisted, "report").output as { summary: { phase: string } }).summary;
      expect(summary.phase).to.equal("PartiallyFailed");

      // Once the tag is back, resuming finishes the teardown.
      drCluster.tags["managed-by"] = "pilotlight";
      const resumed = await lib.resume(run.id);
      expect(resumed.phase, JSON.stringify(resumed.error)).to.equal("Completed");
      expect(session.sandbox.world.cluster(drCluster.id)).to.equal(undefined);
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("converges to Completed after a crash at every step boundary and inside every waiting step, with exactly one restore per run", async function () {
    const { session, reportsDir } = newSession(22);
    await session.bootstrap(3);
    const rounds = Math.max(FAILOVER_POINTS.length, FAILBACK_POINTS.length);
    try {
      for (let i = 0; i < rounds; i++) {
        await stageOutage(session);
        await crashAndResume("failover", FAILOVER_POINTS[i % FAILOVER_POINTS.length]!);
        session.recover();
        await session.advance(HOUR);
        await crashAndResume("failback", FAILBACK_POINTS[i % FAILBACK_POINTS.length]!);
        // Free the retired generation (tagged by pilotlight) so memory stays flat.
        for (const c of [...session.sandbox.world.clusters.values()]) {
          if (c.status !== "deleted" && c.tags["pilotlight:retired-by"] !== undefined) await session.sandbox.world.deleteCluster(c.id);
        }
      }
    } finally {
      await session.close();
    }

    async function crashAndResume(kind: "failover" | "failback", point: CrashPoint): Promise<void> {
      const label = `${kind} crash ${"after" in point ? `after ${point.after}` : `inside ${point.inside} +${point.afterMs}ms`}`;
      const ctl = new AbortController();
      let armed = false;
      const crashing = new CrashingStore(store, Number.POSITIVE_INFINITY, (run) => {
        if ("after" in point) return step(run, point.after)?.state === "Succeeded";
        if (!armed && step(run, point.inside)?.state === "Running") {
          armed = true;
          // The process dies some time into the wait: its store and its children go with it.
          void session.clock.sleep(point.afterMs).then(() => {
            crashing.kill();
            ctl.abort(new Error("killed"));
          });
        }
        return false;
      });
      const restoresBefore = session.sandbox.world.stats.restoresStarted;
      const { lib: dying, events } = await libraryOn(session, crashing, reportsDir);
      let error: unknown;
      try {
        await (kind === "failover" ? dying.failover({ yes: true, signal: ctl.signal }) : dying.failback({ yes: true, signal: ctl.signal }));
      } catch (e) {
        error = e;
      }
      expect(error, label).to.be.instanceOf(SimulatedCrash);
      const runId = events.find((e) => e.code === "run.created")!.runId!;
      const crashed = (await store.loadRun(runId))!;
      expect(crashed.phase, label).to.equal("InProgress");
      // The dead holder's lease expires; a new process resumes.
      await session.advance(2 * MIN);
      const { lib: next } = await libraryOn(session, store, reportsDir);
      const run = await next.resume(crashed.id);
      expect(run.phase, `${label}: ${JSON.stringify(run.error)}`).to.equal("Completed");
      expect(session.sandbox.world.stats.restoresStarted - restoresBefore, `${label}: restores`).to.equal(1);
      await next.close();
      await dying.close();
    }
  });
});
