import { expect } from "chai";
import { VirtualClock } from "../../../automation/adapters/virtual-clock";
import { isPilotlightError, PilotlightError } from "../../../automation/domain/errors";
import type { Run } from "../../../automation/domain/run";
import { PgRunStore } from "../../../automation/store/pg-run-store";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import { CrashingStore, SimulatedCrash } from "../../support/crashing-store";
import { HOLDER_B, MINUTE, T0, codes, makeEngine, sampleHandlers, samplePlan } from "../../support/engine-harness";
import { FakeRestores } from "../../support/fake-restores";
import { FailingSql } from "../../support/failing-sql";
import type { StepContext } from "../../../automation/engine/step-context";

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

function step(run: Run, id: string) {
  const s = run.steps.find((x) => x.id === id);
  if (s === undefined) throw new Error(`no step ${id}`);
  return s;
}

describe("Engine", function () {
  let store: PgRunStore;
  let clock: VirtualClock;
  let target = 0;
  const nextTarget = () => `env:t${++target}`;

  before(async function () {
    store = await PgRunStore.open(await PgliteSql.open());
  });
  after(async function () {
    await store.close();
  });
  beforeEach(function () {
    clock = new VirtualClock({ start: T0 });
  });
  afterEach(function () {
    clock.dispose();
  });

  describe("happy path", function () {
    it("runs independent steps in parallel and completes, journaling every transition", async function () {
      const svc = new FakeRestores(clock, 30 * MINUTE);
      const { engine, events } = makeEngine(store, clock);
      const run = await engine.start({
        kind: "failover",
        target: nextTarget(),
        spec: { env: "prod" },
        plan: samplePlan(),
        handlers: sampleHandlers(svc),
      });

      expect(run.phase).to.equal("Completed");
      const restore = step(run, "restore");
      const deploy = step(run, "deploy-app");
      // Overlap: each started before the other ended.
      expect(restore.startedAt!).to.be.lessThan(deploy.endedAt!);
      expect(deploy.startedAt!).to.be.lessThan(restore.endedAt!);
      // Wall time on the virtual clock is the critical path (1 + 30 + 2 + 1 min), not the sum.
      expect(run.endedAt! - run.startedAt!).to.equal(34 * MINUTE);
      expect(run.steps.every((s) => s.state === "Succeeded")).to.equal(true);
      expect(step(run, "validate").output).to.deep.equal({ restored: { jobId: "job-1" } });

      const persisted = await store.loadRun(run.id);
      expect(persisted).to.deep.equal(run);
      expect(codes(events)[0]).to.equal("run.created");
      expect(codes(events)).to.include.members(["run.started", "step.external-recorded", "run.finished"]);
      const stored = await store.listEvents(run.id);
      expect(stored.map((e) => e.code)).to.deep.equal(codes(events).filter((c) => c !== "lease.released"));
      expect(await store.readLease(run.target)).to.equal(undefined);
    });

    it("renews its lease during a run longer than the lease TTL", async function () {
      const svc = new FakeRestores(clock, 3 * 60 * MINUTE);
      const t = nextTarget();
      const attempts: boolean[] = [];
      // Two hours in (120 lease TTLs), another process tries to take the target.
      svc.onPoll = (n) => {
        if (n === 120) {
          void store
            .acquireLease({ target: t, runId: "intruder", holder: HOLDER_B, now: clock.now(), ttlMs: 60_000 })
            .then((a) => attempts.push(a.acquired));
        }
      };
      const { engine } = makeEngine(store, clock);
      const run = await engine.start({
        kind: "failover",
        target: t,
        spec: {},
        plan: samplePlan({ restore: { timeoutMs: 5 * 60 * MINUTE } }),
        handlers: sampleHandlers(svc),
      });
      expect(run.phase).to.equal("Completed");
      expect(run.endedAt! - run.startedAt!).to.be.greaterThan(3 * 60 * MINUTE);
      expect(attempts).to.deep.equal([false]);
    });
  });

  describe("crash and resume", function () {
    async function crashAt(k: number) {
      const inner = store;
      const svc = new FakeRestores(clock, 30 * MINUTE);
      const crashing = new CrashingStore(inner, k);
      const calls: Record<string, number> = {};
      const t = nextTarget();
      const { engine } = makeEngine(crashing, clock, { ids: [`crash-${k}-${t}`] });
      const first = await rejection(
        engine.start({
          kind: "failover",
          target: t,
          spec: {},
          plan: samplePlan(),
          handlers: sampleHandlers(svc, calls),
        }),
      );
      return { first, svc, calls, t, writes: crashing.writes, runId: `crash-${k}-${t}` };
    }

    it("converges to Completed after a crash at every journal write, never starting a second restore", async function () {
      // Count the writes of an undisturbed run first.
      const probe = new CrashingStore(store);
      const { engine } = makeEngine(probe, clock);
      await engine.start({
        kind: "failover",
        target: nextTarget(),
        spec: {},
        plan: samplePlan(),
        handlers: sampleHandlers(new FakeRestores(clock, 30 * MINUTE)),
      });
      const total = probe.writes;
      expect(total).to.be.greaterThan(10);

      for (let k = 1; k <= total; k++) {
        clock.dispose();
        clock = new VirtualClock({ start: T0 });
        const { first, svc, calls, runId } = await crashAt(k);
        expect(first, `crash at write ${k}`).to.be.instanceOf(SimulatedCrash);
        const before = await store.loadRun(runId);
        if (before === undefined) {
          // Crashed while creating the run: nothing was started.
          expect(svc.starts, `k=${k}`).to.equal(0);
          continue;
        }
        const succeededBefore = before.steps.filter((s) => s.state === "Succeeded").map((s) => s.id);
        // The dead process's lease expires; a new process resumes.
        await clock.advance(2 * MINUTE);
        const { engine: second, events } = makeEngine(store, clock);
        const run = await second.resume(runId, sampleHandlers(svc, calls));
        expect(run.phase, `crash at write ${k}`).to.equal("Completed");
        expect(svc.starts, `restore jobs started, crash at write ${k}`).to.equal(1);
        for (const id of succeededBefore) {
          if (id !== "teardown") expect(calls[id], `${id} re-ran after crash at write ${k}`).to.equal(1);
        }
        expect(codes(events)).to.include("run.resumed");
      }
    });

    it("re-attaches to the restore job when the process dies in the middle of waiting", async function () {
      const svc = new FakeRestores(clock, 30 * MINUTE);
      const crashing = new CrashingStore(store);
      svc.onPoll = (n) => {
        if (n === 5) crashing.kill();
      };
      const t = nextTarget();
      const { engine } = makeEngine(crashing, clock, { ids: ["mid-wait"] });
      const error = await rejection(
        engine.start({ kind: "failover", target: t, spec: {}, plan: samplePlan(), handlers: sampleHandlers(svc) }),
      );
      // Its store gone, the dying process cannot renew its lease: it stops at the lease's expiry
      // (fencing by time) instead of waiting out the restore.
      expect(isPilotlightError(error) && error.code, String(error)).to.equal("lease.expired");
      const stored = (await store.loadRun("mid-wait"))!;
      expect(step(stored, "restore").state).to.equal("Running");
      expect(step(stored, "restore").external).to.include({ kind: "restore-job", id: "job-1" });

      svc.onPoll = undefined;
      const { engine: second, events } = makeEngine(store, clock, { isHolderDead: () => true });
      const run = await second.resume("mid-wait", sampleHandlers(svc));
      expect(run.phase).to.equal("Completed");
      expect(svc.starts).to.equal(1);
      expect(step(run, "restore").attempts).to.equal(2);
      expect(codes(events, "restore")).to.include("step.reattached");
      expect(codes(events)).to.include("lease.taken-over");
    });

    it("resumes a Failed run: the failed wait re-attaches, completed steps stay done", async function () {
      const svc = new FakeRestores(clock, 30 * MINUTE);
      let broken = true;
      const calls: Record<string, number> = {};
      const handlers = sampleHandlers(svc, calls);
      const flaky = {
        ...handlers,
        restore: async (ctx: Parameters<typeof handlers.restore>[0]) => {
          if (ctx.external !== undefined && broken)
            throw new PilotlightError("step.failed", "DescribeRestoreJob: throttled", { source: "aws" });
          return handlers.restore!(ctx);
        },
      };
      // First attempt: the restore starts, then polling breaks on re-entry... simulate by failing after record.
      const { engine } = makeEngine(store, clock, { ids: ["failed-then-resumed"] });
      const once = {
        ...flaky,
        restore: async (ctx: Parameters<typeof handlers.restore>[0]) => {
          const id = svc.start(`${ctx.runId}/${ctx.step.id}`);
          await ctx.recordExternal({ kind: "restore-job", id });
          throw new PilotlightError("step.failed", "DescribeRestoreJob: throttled", { source: "aws" });
        },
      };
      const failed = await engine.start({
        kind: "failover",
        target: nextTarget(),
        spec: {},
        plan: samplePlan(),
        handlers: once,
      });
      expect(failed.phase).to.equal("Failed");
      expect(failed.error).to.include({ code: "step.failed", source: "aws" });
      expect(step(failed, "validate").state).to.equal("Skipped");
      expect(step(failed, "teardown").state).to.equal("Succeeded");

      broken = false;
      const { engine: second } = makeEngine(store, clock);
      const run = await second.resume("failed-then-resumed", flaky);
      expect(run.phase).to.equal("Completed");
      expect(svc.starts).to.equal(1);
      expect(calls["assess"]).to.equal(1);
      expect(calls["deploy-app"]).to.equal(1);
      expect(run.attempts).to.equal(2);
    });

    it("refuses to resume a Completed run and names an unknown one", async function () {
      const svc = new FakeRestores(clock, MINUTE);
      const { engine } = makeEngine(store, clock, { ids: ["done-run"] });
      await engine.start({
        kind: "failover",
        target: nextTarget(),
        spec: {},
        plan: samplePlan(),
        handlers: sampleHandlers(svc),
      });
      const done = await rejection(engine.resume("done-run", sampleHandlers(svc)));
      expect(isPilotlightError(done) && done.code).to.equal("run.not-resumable");
      const missing = await rejection(engine.resume("no-such-run", sampleHandlers(svc)));
      expect(isPilotlightError(missing) && missing.code).to.equal("run.not-found");
    });

    it("refuses a new run while an earlier run of the target is unfinished", async function () {
      const t = nextTarget();
      const crashing = new CrashingStore(store, 6);
      const { engine } = makeEngine(crashing, clock, { ids: ["orphan"] });
      await rejection(
        engine.start({
          kind: "failover",
          target: t,
          spec: {},
          plan: samplePlan(),
          handlers: sampleHandlers(new FakeRestores(clock, MINUTE)),
        }),
      );
      await clock.advance(5 * MINUTE);
      const { engine: second } = makeEngine(store, clock, { ids: ["second"] });
      const error = await rejection(
        second.start({
          kind: "failover",
          target: t,
          spec: {},
          plan: samplePlan(),
          handlers: sampleHandlers(new FakeRestores(clock, MINUTE)),
        }),
      );
      expect(isPilotlightError(error) && error.code).to.equal("run.unfinished");
      expect(isPilotlightError(error) && error.details).to.deep.include({ runId: "orphan" });
      expect(await store.loadRun("second")).to.equal(undefined);
      expect(await store.readLease(t)).to.equal(undefined);
    });
  });

  describe("leases", function () {
    it("refuses a second concurrent run of one target with lease.held and persists nothing for it", async function () {
      const t = nextTarget();
      const svc = new FakeRestores(clock, 30 * MINUTE);
      const { engine } = makeEngine(store, clock, { ids: ["first"] });
      const { engine: other } = makeEngine(store, clock, { ids: ["second"], holder: HOLDER_B });
      const first = engine.start({
        kind: "failover",
        target: t,
        spec: {},
        plan: samplePlan(),
        handlers: sampleHandlers(svc),
      });
      while ((await store.loadRun("first")) === undefined) await clock.advance(0);
      const error = await rejection(
        other.start({ kind: "failover", target: t, spec: {}, plan: samplePlan(), handlers: sampleHandlers(svc) }),
      );
      expect(isPilotlightError(error) && error.code).to.equal("lease.held");
      expect(isPilotlightError(error) && error.source).to.equal("user");
      expect(isPilotlightError(error) && error.details).to.deep.include({ runId: "first", host: "host-a", pid: 101 });
      expect((await first).phase).to.equal("Completed");
      expect(await store.loadRun("second")).to.equal(undefined);
      expect(svc.starts).to.equal(1);
    });

    it("takes over an expired lease, and a live one only when its holder is proven dead", async function () {
      const t = nextTarget();
      const held = await store.acquireLease({
        target: t,
        runId: "ghost",
        holder: HOLDER_B,
        now: clock.now(),
        ttlMs: 60_000,
      });
      expect(held.acquired).to.equal(true);
      const svc = new FakeRestores(clock, MINUTE);
      const { engine } = makeEngine(store, clock);
      const refused = await rejection(
        engine.start({ kind: "failover", target: t, spec: {}, plan: samplePlan(), handlers: sampleHandlers(svc) }),
      );
      expect(isPilotlightError(refused) && refused.code).to.equal("lease.held");

      const { engine: knowing, events } = makeEngine(store, clock, { isHolderDead: (h) => h.host === "host-b" });
      const run = await knowing.start({
        kind: "failover",
        target: t,
        spec: {},
        plan: samplePlan(),
        handlers: sampleHandlers(svc),
      });
      expect(run.phase).to.equal("Completed");
      expect(codes(events)).to.include("lease.taken-over");

      const again = await store.acquireLease({
        target: t,
        runId: "ghost-2",
        holder: HOLDER_B,
        now: clock.now(),
        ttlMs: 60_000,
      });
      expect(again.acquired).to.equal(true);
      await clock.advance(61_000);
      const { engine: later } = makeEngine(store, clock);
      expect(
        (
          await later.start({
            kind: "failover",
            target: t,
            spec: {},
            plan: samplePlan(),
            handlers: sampleHandlers(svc),
          })
        ).phase,
      ).to.equal("Completed");
    });

    it("stops with lease.lost and writes nothing more once another holder took the lease", async function () {
      const t = nextTarget();
      const svc = new FakeRestores(clock, 60 * MINUTE);
      const { engine } = makeEngine(store, clock, { ids: ["usurped"] });
      svc.onPoll = (n) => {
        if (n === 3) {
          void store.readLease(t).then((l) =>
            store.acquireLease({
              target: t,
              runId: "usurper",
              holder: HOLDER_B,
              now: clock.now(),
              ttlMs: 10 * 60 * MINUTE,
              takeOverToken: l!.token,
            }),
          );
        }
      };
      const error = await rejection(
        engine.start({ kind: "failover", target: t, spec: {}, plan: samplePlan(), handlers: sampleHandlers(svc) }),
      );
      expect(isPilotlightError(error) && error.code).to.equal("lease.lost");
      const stored = (await store.loadRun("usurped"))!;
      expect(stored.phase).to.equal("InProgress");
      expect(step(stored, "restore").state).to.equal("Running");
      expect((await store.readLease(t))!.runId).to.equal("usurper");
    });
  });

  describe("abort, deadlines, cleanup", function () {
    it("abort → Interrupted; running steps interrupted, pending ones skipped, cleanup still ran", async function () {
      const svc = new FakeRestores(clock, 30 * MINUTE);
      const ctl = new AbortController();
      svc.onPoll = (n) => {
        if (n === 3) ctl.abort(new Error("SIGINT"));
      };
      const { engine, events } = makeEngine(store, clock);
      const run = await engine.start({
        kind: "failover",
        target: nextTarget(),
        spec: {},
        plan: samplePlan(),
        handlers: sampleHandlers(svc),
        signal: ctl.signal,
      });
      expect(run.phase).to.equal("Interrupted");
      expect(step(run, "restore").state).to.equal("Interrupted");
      expect(step(run, "deploy-app").state).to.equal("Interrupted");
      expect(step(run, "validate").state).to.equal("Skipped");
      expect(step(run, "teardown").state).to.equal("Succeeded");
      expect(codes(events)).to.include.members(["step.interrupted", "step.skipped"]);
      expect((await store.loadRun(run.id))!.phase).to.equal("Interrupted");
      expect(await store.readLease(run.target)).to.equal(undefined);
    });

    it("a step past its deadline ends TimedOut with its own code; its signal is aborted; cleanup runs", async function () {
      const svc = new FakeRestores(clock, 5 * 60 * MINUTE);
      let signalAborted = false;
      const handlers = sampleHandlers(svc);
      const { engine, events } = makeEngine(store, clock);
      const run = await engine.start({
        kind: "failover",
        target: nextTarget(),
        spec: {},
        plan: samplePlan({ restore: { timeoutMs: 45 * MINUTE } }),
        handlers: {
          ...handlers,
          restore: async (ctx) => {
            ctx.signal.addEventListener("abort", () => (signalAborted = true));
            return handlers.restore!(ctx);
          },
        },
      });
      expect(run.phase).to.equal("Failed");
      const restore = step(run, "restore");
      expect(restore.state).to.equal("TimedOut");
      expect(restore.error?.code).to.equal("step.timed-out");
      expect(restore.endedAt! - restore.startedAt!).to.equal(45 * MINUTE);
      expect(restore.error?.hint).to.contain("job-1");
      expect(signalAborted).to.equal(true);
      expect(step(run, "teardown").state).to.equal("Succeeded");
      expect(codes(events, "restore")).to.include("step.timed-out");
    });

    it("a failing cleanup step makes an otherwise successful run PartiallyFailed", async function () {
      const handlers = sampleHandlers(new FakeRestores(clock, MINUTE));
      const { engine } = makeEngine(store, clock);
      const run = await engine.start({
        kind: "restore-drill",
        target: nextTarget(),
        spec: {},
        plan: samplePlan(),
        handlers: {
          ...handlers,
          teardown: async () =>
            Promise.reject(new PilotlightError("step.failed", "stack is locked", { source: "aws" })),
        },
      });
      expect(run.phase).to.equal("PartiallyFailed");
      expect(step(run, "teardown").error).to.include({ code: "step.failed", source: "aws" });
    });

    it("a failing non-critical step makes the run PartiallyFailed and does not stop the others", async function () {
      const handlers = sampleHandlers(new FakeRestores(clock, MINUTE));
      const { engine } = makeEngine(store, clock);
      const plan = samplePlan({ "deploy-app": { critical: false } });
      plan.steps.find((s) => s.id === "validate")!.dependsOn = ["restore"];
      const run = await engine.start({
        kind: "failover",
        target: nextTarget(),
        spec: {},
        plan,
        handlers: { ...handlers, "deploy-app": async () => Promise.reject(new Error("boom")) },
      });
      expect(run.phase).to.equal("PartiallyFailed");
      expect(step(run, "deploy-app").error).to.include({ code: "internal", source: "system", message: "boom" });
      expect(step(run, "switch").state).to.equal("Succeeded");
    });
  });

  describe("store faults", function () {
    // One test opens an embedded PostgreSQL of its own: slow on a busy machine.
    this.timeout(120_000);
    it("stops when its lease expires unrenewed: steps aborted, none started, the run resumable", async function () {
      const t = nextTarget();
      const svc = new FakeRestores(clock, 30 * MINUTE);
      const flaky = new CrashingStore(store);
      const pollTimes: number[] = [];
      let renewalsFailFrom = 0;
      svc.onPoll = (n) => {
        pollTimes.push(clock.now());
        // Two minutes into the restore the store stops renewing (it still takes journal writes:
        // fencing must not wait for one to fail).
        if (n === 2) {
          flaky.failRenewals = true;
          renewalsFailFrom = clock.now();
        }
      };
      const { engine, events } = makeEngine(flaky, clock, { ids: ["expiring"] });
      const handlers = sampleHandlers(svc);
      const started = engine.start({ kind: "failover", target: t, spec: {}, plan: samplePlan(), handlers });
      const error = await rejection(started);
      const stoppedAt = clock.now();
      expect(isPilotlightError(error) && error.code, String(error)).to.equal("lease.expired");
      expect(isPilotlightError(error) && error.source).to.equal("system");
      expect(isPilotlightError(error) && error.hint).to.contain("resume expiring");

      // The last renewal succeeded before the failures began: the lease ran out within one TTL.
      const expiredAt = events.find((e) => e.code === "lease.expired")!.data!["expiresAt"] as number;
      expect(expiredAt).to.be.at.most(renewalsFailFrom + 60_000);
      expect(stoppedAt).to.equal(expiredAt);
      expect(codes(events)).to.include("lease.renewal-failed");
      // Nothing acted after the expiry: the restore stopped polling, no step started.
      expect(Math.max(...pollTimes)).to.be.at.most(expiredAt);
      expect(events.filter((e) => e.code === "step.started" && e.time > expiredAt)).to.deep.equal([]);
      const stored = (await store.loadRun("expiring"))!;
      expect(stored.phase).to.equal("InProgress");
      expect(step(stored, "restore").state).to.equal("Running");
      expect(step(stored, "validate").state).to.equal("Pending");

      // The store answers again: another process resumes and re-attaches to the same restore.
      const { engine: next } = makeEngine(store, clock);
      const resumed = await next.resume("expiring", sampleHandlers(svc));
      expect(resumed.phase).to.equal("Completed");
      expect(svc.starts).to.equal(1);
    });

    it("a stopped store ends the run as store.unavailable (not internal) naming the run; resume", async function () {
      const sql = new FailingSql(await PgliteSql.open());
      const failing = await PgRunStore.open(sql);
      try {
        const calls: string[] = [];
        const handlers = {
          first: async () => void calls.push("first"),
          second: async (ctx: StepContext) => {
            calls.push("second");
            if (calls.filter((c) => c === "second").length === 1) sql.stop();
            await ctx.recordExternal({ kind: "job", id: "job-1" });
          },
          third: async () => void calls.push("third"),
        };
        const plan = {
          steps: [
            { id: "first", title: "first", dependsOn: [], timeoutMs: MINUTE },
            { id: "second", title: "second", dependsOn: ["first"], timeoutMs: MINUTE },
            { id: "third", title: "third", dependsOn: ["second"], timeoutMs: MINUTE },
          ],
        };
        const { engine } = makeEngine(failing, clock, { ids: ["store-stopped"] });
        const target = nextTarget();
        const error = await rejection(engine.start({ kind: "failover", target, spec: {}, plan, handlers }));
        expect(isPilotlightError(error) && error.code, String(error)).to.equal("store.unavailable");
        expect(isPilotlightError(error) && error.source).to.equal("system");
        expect(isPilotlightError(error) && error.details).to.deep.include({ runId: "store-stopped" });
        expect(isPilotlightError(error) && error.hint).to.contain("pilotlight resume store-stopped");
        expect(calls).to.deep.equal(["first", "second"]);

        sql.start();
        await clock.advance(2 * MINUTE);
        const { engine: next } = makeEngine(failing, clock);
        const run = await next.resume("store-stopped", handlers);
        expect(run.phase).to.equal("Completed");
        expect(calls).to.deep.equal(["first", "second", "second", "third"]);
      } finally {
        await failing.close();
      }
    });
  });

  describe("validation before anything is persisted", function () {
    it("lists every problem of a malformed plan and persists nothing", async function () {
      const t = nextTarget();
      const { engine } = makeEngine(store, clock, { ids: ["never"] });
      const error = await rejection(
        engine.start({
          kind: "failover",
          target: t,
          spec: {},
          plan: {
            steps: [
              { id: "a", title: "a", dependsOn: ["b"], timeoutMs: 1 },
              { id: "b", title: "b", dependsOn: ["a"], timeoutMs: 0 },
              { id: "c", title: "c", dependsOn: ["nope"], timeoutMs: 1 },
            ],
          },
          handlers: { a: async () => undefined, b: async () => undefined, c: async () => undefined },
        }),
      );
      expect(isPilotlightError(error) && error.code).to.equal("plan.invalid");
      const problems = (isPilotlightError(error) && (error.details?.["problems"] as string[])) || [];
      expect(problems.some((p) => p.includes("cycle"))).to.equal(true);
      expect(problems.some((p) => p.includes("timeoutMs"))).to.equal(true);
      expect(problems.some((p) => p.includes('unknown step "nope"'))).to.equal(true);
      expect(await store.loadRun("never")).to.equal(undefined);
      expect(await store.readLease(t)).to.equal(undefined);
    });

    it("refuses a plan whose action has no handler", async function () {
      const { engine } = makeEngine(store, clock);
      const error = await rejection(
        engine.start({
          kind: "failover",
          target: nextTarget(),
          spec: {},
          plan: samplePlan(),
          handlers: { assess: async () => undefined },
        }),
      );
      expect(isPilotlightError(error) && error.code).to.equal("plan.invalid");
    });
  });
});
