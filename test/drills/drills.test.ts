import { expect } from "chai";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { PilotEvent } from "../../automation/domain/events";
import type { Pilotlight } from "../../automation/library";
import type { SandboxSession } from "../../automation/sandbox/session";
import { PgRunStore } from "../../automation/store/pg-run-store";
import { PgliteSql } from "../../automation/store/pglite-sql";
import { decideFullDrill, type FullDrillFacts } from "../../drills/full-drill";
import { CrashingStore, SimulatedCrash } from "../support/crashing-store";
import { HOUR, MIN, SANDBOX, libraryOn, newSession, asRun, step } from "../support/sandbox-harness";


describe("drills (sandbox)", function () {
  this.timeout(180_000);
  let store: PgRunStore;

  before(async function () {
    store = await PgRunStore.open(await PgliteSql.open());
  });
  after(async function () {
    await store.close();
  });

  async function world(seed: number): Promise<{ session: SandboxSession; lib: Pilotlight; events: PilotEvent[] }> {
    const { session, reportsDir } = newSession(seed);
    await session.bootstrap(3);
    // Just after a copy landed: the newest DR copy is fresh.
    await session.advance(HOUR - (session.clock.now() % HOUR) + 50 * MIN);
    const { lib, events } = await libraryOn(session, store, reportsDir);
    return { session, lib, events };
  }

  const leftovers = async (session: SandboxSession) => ({
    stacks: (await session.sandbox.stacks.list()).filter((s) => s.startsWith("drill-")),
    clusters: [...session.sandbox.world.clusters.values()].filter((c) => c.status !== "deleted" && c.id.startsWith("pl-drill-")).map((c) => c.id),
    snapshots: [...session.sandbox.world.snapshots.values()].filter((s) => s.tags["pilotlight:expires-at"] !== undefined).map((s) => s.id),
    records: session.sandbox.world.dns.filter((d) => d.name === "drill.app.sandbox.internal").map((d) => d.host),
  });
  const NONE = { stacks: [], clusters: [], snapshots: [], records: [] };

  it("restore drill: the newest DR copy into a drill stack, validated, timed, destroyed, reported", async function () {
    const { session, lib } = await world(41);
    try {
      const run = asRun(await lib.drill("restore", {}));
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      expect(run.measurements["rpoMs"]).to.equal(50 * MIN);
      expect(run.measurements["rtoMs"]).to.be.a("number");
      expect(await leftovers(session)).to.deep.equal(NONE);
      // The production DR stack was never touched; no production record changed.
      expect(await session.ports.stacks.exists("dr")).to.equal(false);
      expect(session.sandbox.world.dns.map((d) => d.name)).to.deep.equal(["app.sandbox.internal", "drill.app.sandbox.internal"].slice(0, session.sandbox.world.dns.length));
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("a drill whose validation fails alerts, reports the table and key range, and still destroys its stack", async function () {
    const { session, lib } = await world(42);
    try {
      await session.advance(5 * MIN);
      await lib.recordManifest({});
      session.sandbox.world.faults.damageCopies = 5;
      await session.advance(HOUR); // the next backup's copy lands damaged
      const run = asRun(await lib.drill("restore", {}));
      expect(run.phase).to.equal("Failed");
      expect(step(run, "validate").error?.message).to.match(/public\.orders damaged: (at least )?\d+ missing.* keys \d+\.\.\d+/);
      expect(step(run, "destroy").state).to.equal("Succeeded");
      expect(await leftovers(session)).to.deep.equal(NONE);
      const alert = session.sandbox.notifier.sent.at(-1)!;
      expect(alert.severity).to.equal("critical");
      const report = readFileSync((step(run, "report").output as { markdown: string }).markdown, "utf8");
      expect(report).to.match(/public\.orders damaged: (at least )?\d+ missing.* keys \d+\.\.\d+/);
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("a drill interrupted by SIGTERM still destroys its stack and ends Interrupted", async function () {
    const { session, lib } = await world(43);
    try {
      const ctl = new AbortController();
      void session.clock.sleep(20 * MIN).then(() => ctl.abort(new Error("SIGTERM")));
      const run = asRun(await lib.drill("restore", { signal: ctl.signal }));
      expect(run.phase).to.equal("Interrupted");
      expect(step(run, "destroy").state).to.equal("Succeeded");
      expect(await leftovers(session)).to.deep.equal(NONE);
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("full drill: failover then failback against the drill name on throw-away stacks; the production record never moves; nothing left", async function () {
    const { session, lib } = await world(45);
    try {
      const world = session.sandbox.world;
      const production = world.resolve("app.sandbox.internal");
      const run = asRun(await lib.drill("full", {}));
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      expect(run.kind).to.equal("full-drill");
      expect(run.measurements["rpoMs"]).to.equal(50 * MIN);
      for (const m of ["rtoMs", "failbackMs", "phase.switchBackMs"]) expect(run.measurements[m], m).to.be.greaterThan(0);
      expect(run.measurements["phase.dnsMs"]).to.be.a("number"); // a new name answers at once
      // The DR restore's phases are not overwritten by the restore home, which has its own.
      expect(run.measurements["phase.clusterMs"]).to.be.below(run.measurements["rtoMs"]!);
      expect(run.measurements["home.phase.clusterMs"]).to.be.a("number");
      // The drill name answered DR, then home; the production name was never switched.
      const dr = (step(run, "switch-to-dr").output as { host: string }).host;
      const home = new URL(String((step(run, "switch-home").output as { outputs: { healthUrl: string } }).outputs.healthUrl)).host;
      expect(dr).to.not.equal(home);
      expect(session.sandbox.traffic.switches.map((x) => [x.name, x.to])).to.deep.equal([["drill.app.sandbox.internal", [home]]]);
      expect(world.resolve("app.sandbox.internal")).to.deep.equal(production);
      // The workload's write on DR came home with the data.
      expect((step(run, "check-home").output as { probeRows: number }).probeRows).to.be.greaterThan(0);
      expect(await leftovers(session)).to.deep.equal(NONE);
      expect(await session.ports.stacks.exists("dr")).to.equal(false);
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("a full drill without a drill DNS name of its own is refused, naming the field", function () {
    const facts: FullDrillFacts = { env: "sandbox", declaredAt: 0, recoveryPoint: { arn: "arn:rp", vault: "v", createdAt: 0 }, drKmsKeyArn: "k", primaryKmsKeyArn: "k", drillName: null, ttlMs: HOUR };
    const { refusal } = decideFullDrill(facts, SANDBOX);
    expect(refusal?.code).to.equal("config.invalid");
    expect(refusal?.message).to.contain("environments.sandbox.dns.drillName").and.contain("app.sandbox.internal");
    expect(decideFullDrill({ ...facts, drillName: "drill.app.sandbox.internal" }, SANDBOX).refusal).to.equal(undefined);
  });

  it("a full drill interrupted during the copy home still destroys both stacks and deletes both snapshots", async function () {
    const { session, lib, events: seen } = await world(46);
    try {
      const ctl = new AbortController();
      const events: string[] = [];
      // This library's own events (the store is shared with other tests' runs).
      const poll = async () => {
        while (!seen.some((e) => e.code === "step.started" && e.stepId === "copy-home")) await session.clock.sleep(MIN);
        await session.clock.sleep(5 * MIN);
        ctl.abort(new Error("SIGTERM"));
      };
      void poll().catch((e) => events.push(String(e)));
      const run = asRun(await lib.drill("full", { signal: ctl.signal }));
      expect(run.phase).to.equal("Interrupted");
      expect(step(run, "copy-home").state).to.equal("Interrupted");
      for (const id of ["destroy-home", "destroy-dr", "delete-snapshots", "report"]) expect(step(run, id).state, id).to.equal("Succeeded");
      expect((step(run, "delete-snapshots").output as { deleted: string[] }).deleted).to.have.length(2);
      expect(await leftovers(session)).to.deep.equal(NONE);
      expect(events).to.deep.equal([]);
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("a drill whose process was killed mid-restore leaves its stack to the sweeper: kept while its lease lives or its TTL runs, removed after", async function () {
    const { session, lib } = await world(48);
    const ctl = new AbortController();
    const crashing = new CrashingStore(store, Number.POSITIVE_INFINITY, (run) => {
      if (run.steps.find((x) => x.id === "stand-up-drill")?.state === "Running") {
        void session.clock.sleep(10 * MIN).then(() => {
          crashing.kill(); // SIGKILL: no cleanup step runs
          ctl.abort(new Error("killed"));
        });
      }
      return false;
    });
    const { lib: dying } = await libraryOn(session, crashing, mkdtempSync(join(tmpdir(), "pilotlight-killed-")));
    try {
      let error: unknown;
      try {
        await dying.drill("restore", { signal: ctl.signal });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(SimulatedCrash);
      const left = (await leftovers(session)).stacks;
      expect(left).to.have.length(1);
      // Right after the kill the lease still lives: the sweeper leaves the stack to its run.
      expect((await lib.sweep({})).destroyedStacks).to.deep.equal([]);
      // The lease has expired, but not the TTL (6 h from the drill's start).
      await session.advance(HOUR);
      expect((await lib.sweep({})).destroyedStacks).to.deep.equal([]);
      await session.advance(6 * HOUR);
      expect((await lib.sweep({})).destroyedStacks).to.deep.equal(left);
      expect(await leftovers(session)).to.deep.equal(NONE);
    } finally {
      await lib.close();
      await dying.close().catch(() => undefined);
      await session.close();
    }
  });

  it("posture check: a disabled DR key or a missing vault fails its check and alerts", async function () {
    const { session, lib } = await world(47);
    try {
      const world = session.sandbox.world;
      const drKey = [...world.keys.values()].find((k) => k.region === "us-west-2")!;
      drKey.state = "PendingDeletion";
      const run = asRun(await lib.drill("posture", {}));
      expect(run.phase).to.equal("Failed");
      expect(step(run, "keys-enabled").error).to.deep.include({ code: "posture.failed" });
      expect(step(run, "keys-enabled").error?.message).to.contain(drKey.arn).and.contain("PendingDeletion");
      expect(step(run, "vaults-present").state).to.equal("Succeeded");
      expect(session.sandbox.notifier.sent.at(-1)!.severity).to.equal("critical");
      drKey.state = "Enabled";
      world.vaults.delete("us-east-1/pilotlight-sandbox-primary");
      const again = asRun(await lib.drill("posture", {}));
      expect(step(again, "vaults-present").error?.message).to.contain("pilotlight-sandbox-primary does not exist in us-east-1");
      expect(step(again, "keys-enabled").state).to.equal("Succeeded");
    } finally {
      await lib.close();
      await session.close();
    }
  });

  it("posture check: passes when copies are fresh, fails and alerts when the newest DR copy is older than the RPO", async function () {
    const { session, lib } = await world(44);
    try {
      const good = asRun(await lib.drill("posture", {}));
      expect(good.phase, JSON.stringify(good.error)).to.equal("Completed");
      expect(step(good, "keys-enabled").output).to.deep.equal({ primary: "Enabled", DR: "Enabled" });
      expect(Object.keys((step(good, "vaults-present").output as { recoveryPoints: object }).recoveryPoints)).to.deep.equal(["us-east-1/pilotlight-sandbox-primary", "us-west-2/pilotlight-sandbox-dr"]);
      session.sandbox.world.faults.copyDelayMs = 10 * HOUR;
      await session.advance(2 * HOUR);
      const bad = asRun(await lib.drill("posture", {}));
      expect(bad.phase).to.equal("Failed");
      expect(step(bad, "dr-copy-fresh").error).to.deep.include({ code: "posture.failed" });
      expect(session.sandbox.notifier.sent.at(-1)!.severity).to.equal("critical");
    } finally {
      await lib.close();
      await session.close();
    }
  });
});
