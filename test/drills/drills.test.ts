import { expect } from "chai";
import { readFileSync } from "node:fs";
import { injectFault, recoverFaults } from "../../automation/sandbox/faults";
import { decideFullDrill, type FullDrillFacts } from "../../drills/full-drill";
import { CrashingStore, SimulatedCrash } from "../support/crashing-store";
import { HOUR, MIN, SANDBOX, asRun, openWorld, step, type TestWorld } from "../support/world";

/** A fresh world just after a copy landed: the newest DR copy is 50 minutes old. */
async function world(): Promise<TestWorld> {
  const w = await openWorld();
  await w.target.world.advance(HOUR - (w.target.clock.now() % HOUR) + 50 * MIN);
  return w;
}

/** What drills may leave behind: nothing, after their cleanup. */
async function leftovers(w: TestWorld) {
  const s = w.target.world.s;
  return {
    stacks: (await w.target.stacks.list()).filter((x) => x.startsWith("drill-")),
    clusters: w.target.world
      .liveClusters()
      .filter((c) => c.id.startsWith("pl-drill-") && c.status !== "deleting")
      .map((c) => c.id),
    snapshots: Object.values(s.snapshots)
      .filter((x) => x.tags["pilotlight:expires-at"] !== undefined)
      .map((x) => x.id),
    records: s.dns.filter((d) => d.name === "drill.app.sandbox.internal").map((d) => d.host),
  };
}
const NONE = { stacks: [], clusters: [], snapshots: [], records: [] };

describe("drills (sandbox world)", function () {
  this.timeout(300_000);

  it("restore drill: the newest DR copy into a drill stack (Data API turned on, not a T class), validated, timed, destroyed, reported", async function () {
    const w = await world();
    try {
      const run = asRun(await w.lib.drill("restore", {}));
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      expect(run.measurements["rpoMs"]).to.equal(50 * MIN);
      expect(run.measurements["rtoMs"]).to.be.a("number");
      expect(await leftovers(w)).to.deep.equal(NONE);
      // The production DR stack was never touched; no production record changed.
      expect(await w.target.stacks.exists("dr")).to.equal(false);
      expect(w.target.world.s.stats.restoresStarted).to.equal(1);
    } finally {
      await w.close();
    }
  });

  it("a drill whose validation fails alerts, reports the table, and still destroys its stack", async function () {
    const w = await world();
    try {
      await w.lib.recordManifest({});
      await injectFault(w.target.world, "damaged-copy", { count: 5 });
      await w.target.world.advance(HOUR); // the next backup's copy lands damaged
      const run = asRun(await w.lib.drill("restore", {}));
      expect(run.phase).to.equal("Failed");
      expect(step(run, "validate").error?.code).to.equal("validation.failed");
      expect(step(run, "validate").error?.message).to.contain("orders");
      expect(step(run, "validate").error?.message).to.match(
        /public\.orders damaged: (at least )?\d+ missing.* keys \d+\.\.\d+/,
      );
      expect(step(run, "destroy").state).to.equal("Succeeded");
      expect(await leftovers(w)).to.deep.equal(NONE);
      expect(w.target.notifier.sent.at(-1)!.severity).to.equal("critical");
      const report = readFileSync((step(run, "report").output as { markdown: string }).markdown, "utf8");
      expect(report).to.contain("orders");
      expect(report).to.match(/public\.orders damaged: (at least )?\d+ missing.* keys \d+\.\.\d+/);
    } finally {
      await w.close();
    }
  });

  it("a drill interrupted by SIGTERM still destroys its stack and ends Interrupted", async function () {
    const w = await world();
    try {
      const ctl = new AbortController();
      void w.target.clock.sleep(20 * MIN).then(() => ctl.abort(new Error("SIGTERM")));
      const run = asRun(await w.lib.drill("restore", { signal: ctl.signal }));
      expect(run.phase).to.equal("Interrupted");
      expect(step(run, "destroy").state).to.equal("Succeeded");
      expect(await leftovers(w)).to.deep.equal(NONE);
    } finally {
      await w.close();
    }
  });

  it("full drill: failover then failback on throw-away stacks; the drill record only after validation; production never moves; nothing left", async function () {
    const w = await world();
    try {
      const world = w.target.world;
      const production = world.routeAnswer("app.sandbox.internal");
      const run = asRun(await w.lib.drill("full", {}));
      expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      expect(run.measurements["rpoMs"]).to.equal(50 * MIN);
      for (const m of ["rtoMs", "failbackMs", "phase.switchBackMs"])
        expect(run.measurements[m], m).to.be.greaterThan(0);
      expect(run.measurements["home.phase.clusterMs"]).to.be.a("number");
      expect(step(run, "switch-to-dr").startedAt!).to.be.at.least(step(run, "validate-dr").endedAt!);
      const dr = (step(run, "switch-to-dr").output as { host: string }).host;
      const home = new URL(
        String((step(run, "switch-home").output as { outputs: { healthUrl: string } }).outputs.healthUrl),
      ).host;
      expect(dr).to.not.equal(home);
      expect(world.routeAnswer("app.sandbox.internal")).to.deep.equal(production);
      expect(world.s.switches.every((x) => x.name === "drill.app.sandbox.internal")).to.equal(true);
      // The workload's write on DR came home with the data.
      expect((step(run, "check-home").output as { probeRows: number }).probeRows).to.be.greaterThan(0);
      expect(await leftovers(w)).to.deep.equal(NONE);
    } finally {
      await w.close();
    }
  });

  it("a full drill without a drill DNS name of its own is refused, naming the field", function () {
    const facts: FullDrillFacts = {
      env: "sandbox",
      declaredAt: 0,
      recoveryPoint: { arn: "arn:rp", vault: "v", createdAt: 0, engineVersion: "16.4" },
      drKmsKeyArn: "k",
      primaryKmsKeyArn: "k",
      drillName: null,
      ttlMs: HOUR,
      drFile: {},
      nameServers: [],
    };
    const { refusal } = decideFullDrill(facts, {}, SANDBOX);
    expect(refusal?.code).to.equal("config.invalid");
    expect(refusal?.message).to.contain("environments.sandbox.dns.drillName").and.contain("app.sandbox.internal");
    expect(decideFullDrill({ ...facts, drillName: "drill.app.sandbox.internal" }, {}, SANDBOX).refusal).to.equal(
      undefined,
    );
  });

  it("a full drill interrupted during the copy home still destroys both stacks and deletes both snapshots", async function () {
    const w = await world();
    try {
      const ctl = new AbortController();
      const poll = async () => {
        while (!w.events.some((e) => e.code === "step.started" && e.stepId === "copy-home"))
          await w.target.clock.sleep(MIN);
        await w.target.clock.sleep(5 * MIN);
        ctl.abort(new Error("SIGTERM"));
      };
      void poll();
      const run = asRun(await w.lib.drill("full", { signal: ctl.signal }));
      expect(run.phase).to.equal("Interrupted");
      expect(step(run, "copy-home").state).to.equal("Interrupted");
      for (const id of ["destroy-home", "destroy-dr", "delete-snapshots", "report"])
        expect(step(run, id).state, id).to.equal("Succeeded");
      expect(await leftovers(w)).to.deep.equal(NONE);
    } finally {
      await w.close();
    }
  });

  it("a drill whose process was killed mid-restore leaves its stack to the sweeper: kept while its lease lives or its TTL runs, removed after", async function () {
    const w = await world();
    try {
      const ctl = new AbortController();
      const crashing = new CrashingStore(w.store, Number.POSITIVE_INFINITY, (run) => {
        if (run.steps.find((x) => x.id === "stand-up-drill")?.state === "Running") {
          void w.target.clock.sleep(10 * MIN).then(() => {
            crashing.kill(); // SIGKILL: no cleanup step runs
            ctl.abort(new Error("killed"));
          });
        }
        return false;
      });
      let error: unknown;
      try {
        await w.another(crashing).drill("restore", { signal: ctl.signal });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(SimulatedCrash);
      const left = (await leftovers(w)).stacks;
      expect(left).to.have.length(1);
      expect((await w.lib.sweep({})).destroyedStacks).to.deep.equal([]);
      await w.target.world.advance(HOUR);
      expect((await w.lib.sweep({})).destroyedStacks).to.deep.equal([]);
      await w.target.world.advance(6 * HOUR);
      // A dry run says what would go and removes nothing.
      const dry = await w.lib.sweep({ dryRun: true });
      expect(dry.destroyedStacks).to.deep.equal(left);
      expect((await leftovers(w)).stacks).to.deep.equal(left);
      expect((await w.lib.sweep({})).destroyedStacks).to.deep.equal(left);
      expect(await leftovers(w)).to.deep.equal(NONE);
    } finally {
      await w.close();
    }
  });

  it("posture check: passes when copies are fresh; fails and alerts on a stale copy, a disabled key, AWS Backup not opted in to Aurora", async function () {
    const w = await world();
    try {
      const good = asRun(await w.lib.drill("posture", {}));
      expect(good.phase, JSON.stringify(good.error)).to.equal("Completed");
      expect(step(good, "keys-enabled").output).to.deep.equal({ primary: "Enabled", DR: "Enabled" });
      await injectFault(w.target.world, "key-disabled", {});
      await injectFault(w.target.world, "backup-opt-out", {});
      const bad = asRun(await w.lib.drill("posture", {}));
      expect(bad.phase).to.equal("Failed");
      expect(step(bad, "keys-enabled").error?.message).to.contain("Disabled");
      expect(step(bad, "backup-opt-in").error?.code).to.equal("posture.failed");
      expect(w.target.notifier.sent.at(-1)!.severity).to.equal("critical");
      // With the opt-in off the plan backs nothing up: the copy goes stale.
      recoverFaults(w.target.world, "key-disabled");
      await w.target.world.advance(2 * HOUR);
      const stale = asRun(await w.lib.drill("posture", {}));
      expect(step(stale, "dr-copy-fresh").error?.code).to.equal("posture.failed");
      expect(step(stale, "keys-enabled").state).to.equal("Succeeded");
    } finally {
      await w.close();
    }
  });
});
