import { expect } from "chai";
import type { PilotEvent } from "../../automation/domain/events";
import { PgRunStore } from "../../automation/store/pg-run-store";
import { PgliteSql } from "../../automation/store/pglite-sql";
import { VirtualClock } from "../../automation/adapters/virtual-clock";
import type { Config } from "../../automation/config/schema";
import { DrillScheduler, clockCron, drillSlot, occurrencesBetween, type Cron } from "../../drills/scheduler";
import { HOUR, MIN, openWorld } from "../support/world";

/** A cron driven by the test: `fire(kind, at)` triggers every scheduler's task of that drill. */
class HandCron implements Cron {
  readonly tasks: Array<{ expression: string; fire: (at: Date) => Promise<void> }> = [];
  schedule(expression: string, _timezone: string, fire: (at: Date) => Promise<void>) {
    const t = { expression, fire };
    this.tasks.push(t);
    return { stop: () => void this.tasks.splice(this.tasks.indexOf(t), 1), nextRun: () => null };
  }
}

describe("cron occurrences", function () {
  it("lists occurrences strictly between two times, in the schedule's time zone (DST included)", function () {
    const iso = (xs: number[]) => xs.map((x) => new Date(x).toISOString());
    expect(
      iso(
        occurrencesBetween("0 3 * * *", "UTC", Date.parse("2026-01-01T03:00:00Z"), Date.parse("2026-01-03T03:00:00Z")),
      ),
    ).to.deep.equal(["2026-01-02T03:00:00.000Z"]);
    // Europe/Berlin leaves winter time on 29 March 2026: 03:00 local is 02:00 UTC before, 01:00 UTC after.
    expect(
      iso(
        occurrencesBetween(
          "0 3 * * *",
          "Europe/Berlin",
          Date.parse("2026-03-28T00:00:00Z"),
          Date.parse("2026-03-31T00:00:00Z"),
        ),
      ),
    ).to.deep.equal(["2026-03-28T02:00:00.000Z", "2026-03-29T01:00:00.000Z", "2026-03-30T01:00:00.000Z"]);
    expect(occurrencesBetween("0 * * * *", "UTC", 0, 10 * 24 * HOUR, 5)).to.have.length(5);
    expect(occurrencesBetween("0 * * * *", "UTC", 5 * HOUR, 5 * HOUR)).to.deep.equal([]);
  });

  it("a drill's slot is per target unless real: a sandbox world sharing the store never takes a real night", function () {
    expect(drillSlot({ kind: "real", id: "real", simulated: false }, "prod", "restore")).to.equal("prod:restore");
    expect(drillSlot({ kind: "sandbox", id: "sandbox:w1", simulated: true }, "prod", "restore")).to.equal(
      "sandbox:w1:prod:restore",
    );
  });

  it("a clock-driven cron fires each occurrence on virtual time and stops when told", async function () {
    const clock = new VirtualClock({ start: Date.parse("2026-01-01T00:00:00Z") });
    const fired: string[] = [];
    const task = clockCron(clock).schedule("30 */6 * * *", "UTC", async (at) => void fired.push(at.toISOString()));
    expect(task.nextRun()?.toISOString()).to.equal("2026-01-01T00:30:00.000Z");
    await clock.sleep(13 * HOUR);
    task.stop();
    await clock.sleep(24 * HOUR);
    expect(fired).to.deep.equal(["2026-01-01T00:30:00.000Z", "2026-01-01T06:30:00.000Z", "2026-01-01T12:30:00.000Z"]);
  });
});

describe("drill scheduler and sweeper (sandbox)", function () {
  this.timeout(240_000);
  let store: PgRunStore;

  before(async function () {
    store = await PgRunStore.open(await PgliteSql.open());
  });
  after(async function () {
    await store.close();
  });

  it("three scheduler processes on one store run each scheduled drill exactly once, without overlap", async function () {
    const w = await openWorld();
    const session = { clock: w.target.clock };
    await w.target.world.advance(HOUR - (session.clock.now() % HOUR) + 50 * MIN);
    const schedulers: DrillScheduler[] = [];
    const events: PilotEvent[] = [];
    const crons: HandCron[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const lib = w.another(store);
        const cron = new HandCron();
        crons.push(cron);
        const s = new DrillScheduler({
          lib,
          config: lib.config,
          store,
          cron,
          clock: session.clock,
          sink: (e) => events.push(e),
          holder: { host: "h", pid: 100 + i, instance: `s${i}` },
        });
        await s.start();
        schedulers.push(s);
      }
      // Two occurrences of the nightly restore drill and one of the posture check, seen by all three.
      // Every process's task fires at the same moment; each resolves when its own drill (if any) ends.
      const fireAll = (expression: string, at: Date) =>
        Promise.all(crons.flatMap((c) => c.tasks.filter((t) => t.expression === expression).map((t) => t.fire(at))));
      const night = new Date(session.clock.now());
      await Promise.all([fireAll("0 3 * * *", night), fireAll("0 * * * *", night)]);
      await fireAll("0 3 * * *", new Date(night.getTime() + 24 * HOUR));
      const drills = await store.listRuns({ kind: "restore-drill", limit: 50 });
      const postures = await store.listRuns({ kind: "posture-check", limit: 50 });
      expect(drills.filter((r) => r.spec["env"] === "sandbox").length).to.equal(2);
      expect(postures.filter((r) => r.spec["env"] === "sandbox").length).to.equal(1);
      expect(events.filter((e) => e.code === "schedule.claimed-elsewhere")).to.have.length(6);
      expect(drills.every((r) => r.phase === "Completed")).to.equal(true);
      expect(events.filter((e) => e.code === "step.failed")).to.deep.equal([]);
      // No drill stack is left behind.
      expect((await w.target.stacks.list()).filter((s) => s.startsWith("drill-"))).to.deep.equal([]);
    } finally {
      for (const s of schedulers) await s.stop();
      await w.close();
    }
  });

  it("skips an occurrence while the previous run of that drill is still running in the process", async function () {
    const w = await openWorld();
    const session = { clock: w.target.clock };
    await w.target.world.advance(HOUR - (session.clock.now() % HOUR) + 50 * MIN);
    // The world's own store: copies of one fixture are one world (one id), and the shared store
    // already holds the previous test's claim of this night.
    const lib = w.lib;
    const events: PilotEvent[] = [];
    const cron = new HandCron();
    const s = new DrillScheduler({
      lib,
      config: lib.config,
      store: w.store,
      cron,
      clock: session.clock,
      sink: (e) => events.push(e),
    });
    try {
      await s.start();
      const task = cron.tasks.find((t) => t.expression === "0 3 * * *")!;
      const first = task.fire(new Date(session.clock.now()));
      // Bounded: a claim refused (another world's slot) must fail the test, not spin virtual time.
      for (let i = 0; i < 600 && !events.some((e) => e.code === "schedule.fired"); i++) await session.clock.sleep(1000);
      expect(events.map((e) => e.code)).to.include("schedule.fired");
      await task.fire(new Date(session.clock.now() + HOUR));
      expect(events.map((e) => e.code)).to.include("schedule.skipped");
      // Stopping interrupts the running drill; its cleanup still destroys the drill stack.
      await s.stop();
      await first;
      const runs = (await w.store.listRuns({ kind: "restore-drill", limit: 100 })).filter(
        (r) => r.spec["env"] === "sandbox",
      );
      expect(runs[0]!.phase).to.be.oneOf(["Interrupted", "Completed"]);
      expect((await w.target.stacks.list()).filter((x) => x.startsWith("drill-"))).to.deep.equal([]);
    } finally {
      await w.close();
    }
  });

  it("logs occurrences missed while no scheduler ran; with catchUp, two restarting schedulers run the newest once", async function () {
    const own = await PgRunStore.open(await PgliteSql.open());
    const w = await openWorld();
    const session = { clock: w.target.clock };
    const lib = w.another(own);
    try {
      const env = lib.config.environments["sandbox"]!;
      const only = (catchUp: boolean): Config => ({
        ...lib.config,
        environments: {
          sandbox: {
            ...env,
            drills: {
              ...env.drills,
              full: { ...env.drills.full, enabled: false },
              posture: { ...env.drills.posture, enabled: false },
              restore: { ...env.drills.restore, catchUp },
            },
          },
        },
      });
      const events: PilotEvent[] = [];
      const make = (catchUp: boolean, instance: string) =>
        new DrillScheduler({
          lib,
          config: only(catchUp),
          store: own,
          cron: new HandCron(),
          clock: session.clock,
          sink: (e) => events.push(e),
          holder: { host: "h", pid: 1, instance },
        });
      // Never scheduled before: nothing can have been missed.
      const first = make(false, "first");
      await first.start();
      expect(events.filter((e) => e.code === "schedule.missed")).to.deep.equal([]);
      // The last claim was three nights ago.
      const now = session.clock.now();
      const lastNight =
        Math.floor(now / (24 * HOUR)) * 24 * HOUR + 3 * HOUR - (now % (24 * HOUR) < 3 * HOUR ? 24 * HOUR : 0);
      const slot = drillSlot(lib.target, "sandbox", "restore");
      await own.claimOccurrence(
        `${slot}:${new Date(lastNight - 3 * 24 * HOUR).toISOString()}`,
        { host: "old", pid: 1, instance: "old" },
        lastNight - 3 * 24 * HOUR,
      );
      const noCatchUp = make(false, "a");
      await noCatchUp.start();
      await noCatchUp.settled();
      const missed = events.filter((e) => e.code === "schedule.missed").map((e) => e.data);
      expect(missed).to.deep.equal([
        {
          slot,
          missed: 3,
          first: new Date(lastNight - 2 * 24 * HOUR).toISOString(),
          newest: new Date(lastNight).toISOString(),
          catchUp: false,
        },
      ]);
      expect(await own.listRuns({ kind: "restore-drill" })).to.deep.equal([]);
      // With catchUp, two processes restarting at once run the newest missed night exactly once.
      const a = make(true, "b");
      const b = make(true, "c");
      await Promise.all([a.start(), b.start()]);
      await Promise.all([a.settled(), b.settled()]);
      const runs = await own.listRuns({ kind: "restore-drill" });
      expect(runs, JSON.stringify(events.filter((e) => e.level !== "info"))).to.have.length(1);
      expect(runs[0]!.phase, JSON.stringify(runs[0]!.error)).to.equal("Completed");
      expect(
        events.filter((e) => e.code === "schedule.fired").map((e) => (e.data as { occurrence: string }).occurrence),
      ).to.deep.equal([`${slot}:${new Date(lastNight).toISOString()}`]);
      expect(await own.lastClaimedOccurrence(slot)).to.equal(lastNight);
      for (const s of [first, noCatchUp, a, b]) await s.stop();
    } finally {
      await lib.close();
      await w.close();
      await own.close();
    }
  });

  it("the sweeper removes expired, tagged drill clusters and snapshots in both regions and leaves untagged and forensic ones alone", async function () {
    const w = await openWorld();
    try {
      const world = w.target.world;
      const past = new Date(world.now() - HOUR).toISOString();
      const cluster = (id: string, tags: Record<string, string>) =>
        world.createCluster({
          id,
          region: "us-west-2",
          tags,
          source: { kind: "empty" },
          engineVersion: "16.4",
          readyInMs: 0,
        });
      cluster("pl-drill-leftover", { "managed-by": "pilotlight", "pilotlight:expires-at": past });
      cluster("pl-drill-fresh", {
        "managed-by": "pilotlight",
        "pilotlight:expires-at": new Date(world.now() + HOUR).toISOString(),
      });
      cluster("someone-elses", { "pilotlight:expires-at": past });
      cluster("pl-drill-evidence", {
        "managed-by": "pilotlight",
        "pilotlight:expires-at": past,
        "pilotlight:forensics": "run-1",
      });
      const snapshot = (id: string, region: string, tags: Record<string, string>) => {
        const arn = `arn:aws:rds:${region}:000000000000:cluster-snapshot:${id}`;
        world.s.snapshots[arn] = {
          id,
          arn,
          region,
          status: "available",
          clusterId: "x",
          createdAt: 0,
          tags,
          readyAt: 0,
          engineVersion: "16.4",
        };
      };
      snapshot("pl-drill-snap", "us-west-2", { "managed-by": "pilotlight", "pilotlight:expires-at": past });
      snapshot("pl-drill-home", "us-east-1", { "managed-by": "pilotlight", "pilotlight:expires-at": past });
      snapshot("their-snap", "us-east-1", { "pilotlight:expires-at": past });
      snapshot("pl-failback-keep", "us-east-1", { "managed-by": "pilotlight" });
      const report = await w.lib.sweep({});
      expect(report.deletedClusters).to.deep.equal(["pl-drill-leftover"]);
      expect(report.deletedSnapshots).to.deep.equal(["pl-drill-snap", "pl-drill-home"]);
      expect(
        Object.values(world.s.snapshots)
          .map((x) => x.id)
          .sort(),
      ).to.deep.equal(["pl-failback-keep", "their-snap"]);
      expect(report.keptUntagged).to.deep.equal(["someone-elses", "their-snap"]);
      expect(report.keptForensics).to.deep.equal(["pl-drill-evidence"]);
      expect(world.cluster("pl-drill-leftover")).to.equal(undefined);
      expect(world.cluster("pl-drill-fresh")).to.not.equal(undefined);
      expect(world.cluster("someone-elses")).to.not.equal(undefined);
    } finally {
      await w.close();
    }
  });
});
