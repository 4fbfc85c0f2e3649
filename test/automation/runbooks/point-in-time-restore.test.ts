import { expect } from "chai";
import { isPilotlightError } from "../../../automation/domain/errors";
import { parseRestoreTime } from "../../../automation/library";
import { PgRunStore } from "../../../automation/store/pg-run-store";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import { HOUR, MIN, libraryOn, newSession, asRun, step } from "../../support/sandbox-harness";


describe("point-in-time restore runbook (sandbox)", function () {
  this.timeout(180_000);
  let store: PgRunStore;

  before(async function () {
    store = await PgRunStore.open(await PgliteSql.open());
  });
  after(async function () {
    await store.close();
  });

  async function corrupted(seed: number) {
    const { session, reportsDir } = newSession(seed);
    await session.bootstrap(3);
    await session.advance(HOUR - (session.clock.now() % HOUR) + 20 * MIN);
    const corruptedAt = session.clock.now();
    await session.corrupt();
    await session.advance(30 * MIN);
    const { lib } = await libraryOn(session, store, reportsDir);
    return { session, lib, corruptedAt };
  }

  const negatives = async (session: Awaited<ReturnType<typeof corrupted>>["session"]) => {
    const c = session.sandbox.world.writeTarget()!;
    const { rows } = await c.db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders WHERE total_cents < 0");
    return { cluster: c.id, n: rows[0]!.n };
  };

  it("restores to before the corruption into a new generation, shows what differs, cuts over and keeps the damaged cluster", async function () {
    const { session, lib, corruptedAt } = await corrupted(31);
    try {
      expect((await negatives(session)).n).to.be.greaterThan(0);
      const run = asRun(await lib.restore({ to: new Date(corruptedAt - 15 * MIN).toISOString(), yes: true }));
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      const after = await negatives(session);
      expect(after).to.deep.equal({ cluster: "pilotlight-sandbox-g2", n: 0 });
      const damaged = session.sandbox.world.cluster("pilotlight-sandbox")!;
      expect(damaged.tags["pilotlight:forensics"]).to.equal(run.id);
      expect(damaged.readOnly).to.equal(true);
      const compare = step(run, "compare").output as { differences: Array<{ table: string; changedKeys: number }> };
      expect(compare.differences.find((d) => d.table === "public.orders")!.changedKeys).to.be.greaterThan(0);
      expect(run.measurements["rpoMs"]).to.equal(45 * MIN);
      expect(session.sandbox.world.stats.restoresStarted).to.equal(1);
      // Writes flow into the restored generation.
      const before = session.sandbox.world.cluster("pilotlight-sandbox-g2")!.journal.length;
      await session.advance(5 * MIN);
      expect(session.sandbox.world.cluster("pilotlight-sandbox-g2")!.journal.length).to.be.greaterThan(before);
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("refuses a time after the corruption's checks fail on the candidate: nothing is cut over", async function () {
    const { session, lib } = await corrupted(32);
    try {
      const run = asRun(await lib.restore({ to: new Date(session.clock.now() - 10 * MIN).toISOString(), yes: true }));
      expect(run.phase).to.equal("Failed");
      expect(step(run, "compare").error).to.deep.include({ code: "validation.failed" });
      expect(step(run, "cut-over").state).to.equal("Skipped");
      // The workload still uses the damaged (fenced) cluster; the candidate exists beside it.
      expect((await negatives(session)).cluster).to.equal("pilotlight-sandbox");
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("refuses a time outside the restorable window and changes nothing", async function () {
    const { session, lib } = await corrupted(33);
    try {
      for (const to of [session.clock.now() - 2 * MIN, session.clock.now() + HOUR, session.clock.now() - 8 * 24 * HOUR]) {
        try {
          await lib.restore({ to: new Date(to).toISOString(), yes: true });
          expect.fail("expected a refusal");
        } catch (error) {
          expect(isPilotlightError(error) && error.code).to.equal("refused.restore-time");
        }
      }
      expect(session.sandbox.world.cluster("pilotlight-sandbox")!.readOnly).to.equal(false);
      expect(session.sandbox.world.stats.restoresStarted).to.equal(0);
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("parses --to as an ISO time or a duration before now", function () {
    expect(parseRestoreTime("2026-01-19T13:00:00Z", 0)).to.equal(Date.UTC(2026, 0, 19, 13));
    expect(parseRestoreTime("-45m", 10 * HOUR)).to.equal(10 * HOUR - 45 * MIN);
    expect(() => parseRestoreTime("yesterday", 0)).to.throw(/--to/);
    // An absurd duration is a refusal for embedders too, not an "Invalid time value" later.
    expect(() => parseRestoreTime("-99999999999999999999d", 0)).to.throw(/--to .* reaches back more than 365d/);
  });
});
