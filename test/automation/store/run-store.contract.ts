import { expect } from "chai";
import { isPilotlightError } from "../../../automation/domain/errors";
import { createRun, type Run } from "../../../automation/domain/run";
import type { RunStore } from "../../../automation/ports/run-store";
import { HOLDER_A, HOLDER_B, T0 } from "../../support/engine-harness";

/**
 * The contract every {@link RunStore} passes: PGlite in `npm test`, a PostgreSQL server in the
 * CI leg (`npm run test:pg`). `open` returns a fresh store over an empty database.
 */
export function runStoreContract(name: string, open: () => Promise<RunStore>): void {
  describe(`RunStore contract: ${name}`, function () {
    let store: RunStore;
    let n = 0;
    const target = () => `env:contract-${++n}`;
    const sampleRun = (id: string, t: string, createdAt = T0): Run =>
      createRun({
        id,
        kind: "failover",
        target: t,
        spec: { env: "prod", note: "ünïcode ✓" },
        steps: [{ id: "a", title: "A", dependsOn: [], timeoutMs: 1000 }],
        now: createdAt,
      });

    before(async function () {
      store = await open();
    });
    after(async function () {
      await store.close();
    });

    it("grants a free lease, refuses a held one, and reports who holds it", async function () {
      const t = target();
      const first = await store.acquireLease({ target: t, runId: "r1", holder: HOLDER_A, now: T0, ttlMs: 60_000 });
      expect(first.acquired).to.equal(true);
      const second = await store.acquireLease({
        target: t,
        runId: "r2",
        holder: HOLDER_B,
        now: T0 + 59_999,
        ttlMs: 60_000,
      });
      expect(second.acquired).to.equal(false);
      if (!second.acquired)
        expect(second.current).to.deep.include({ runId: "r1", holder: HOLDER_A, expiresAt: T0 + 60_000 });
    });

    it("takes over an expired lease or a named dead holder's, with a larger fencing token", async function () {
      const t = target();
      const a = await store.acquireLease({ target: t, runId: "r1", holder: HOLDER_A, now: T0, ttlMs: 60_000 });
      if (!a.acquired) throw new Error("first acquisition failed");
      const expired = await store.acquireLease({
        target: t,
        runId: "r2",
        holder: HOLDER_B,
        now: T0 + 60_000,
        ttlMs: 60_000,
      });
      if (!expired.acquired) throw new Error("expired lease was not taken over");
      expect(expired.lease.token).to.be.greaterThan(a.lease.token);
      expect(expired.tookOver).to.deep.include({ runId: "r1", token: a.lease.token });
      const wrongToken = await store.acquireLease({
        target: t,
        runId: "r3",
        holder: HOLDER_A,
        now: T0 + 60_001,
        ttlMs: 60_000,
        takeOverToken: a.lease.token,
      });
      expect(wrongToken.acquired).to.equal(false);
      const proven = await store.acquireLease({
        target: t,
        runId: "r3",
        holder: HOLDER_A,
        now: T0 + 60_001,
        ttlMs: 60_000,
        takeOverToken: expired.lease.token,
      });
      expect(proven.acquired).to.equal(true);
    });

    it("renews only a current lease and releases only its own token", async function () {
      const t = target();
      const a = await store.acquireLease({ target: t, runId: "r1", holder: HOLDER_A, now: T0, ttlMs: 60_000 });
      if (!a.acquired) throw new Error("unexpected");
      expect(await store.renewLease(a.lease, T0 + 30_000, 60_000)).to.equal(true);
      expect((await store.readLease(t))!.expiresAt).to.equal(T0 + 90_000);
      const b = await store.acquireLease({ target: t, runId: "r2", holder: HOLDER_B, now: T0 + 90_000, ttlMs: 60_000 });
      if (!b.acquired) throw new Error("unexpected");
      expect(await store.renewLease(a.lease, T0 + 91_000, 60_000)).to.equal(false);
      await store.releaseLease(a.lease);
      expect((await store.readLease(t))!.runId).to.equal("r2");
      await store.releaseLease(b.lease);
      expect(await store.readLease(t)).to.equal(undefined);
      // Tokens keep growing after a release, so a stale holder can never be confused with a new one.
      const c = await store.acquireLease({
        target: t,
        runId: "r3",
        holder: HOLDER_A,
        now: T0 + 100_000,
        ttlMs: 60_000,
      });
      if (!c.acquired) throw new Error("unexpected");
      expect(c.lease.token).to.be.greaterThan(b.lease.token);
    });

    it("lets exactly one of many simultaneous claimants take a lease", async function () {
      const t = target();
      const attempts = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.acquireLease({
            target: t,
            runId: `r${i}`,
            holder: { ...HOLDER_A, instance: `i${i}` },
            now: T0,
            ttlMs: 60_000,
          }),
        ),
      );
      expect(attempts.filter((a) => a.acquired)).to.have.length(1);
    });

    it("persists runs under a current lease and fences writes of a lost one", async function () {
      const t = target();
      const a = await store.acquireLease({ target: t, runId: `${t}/1`, holder: HOLDER_A, now: T0, ttlMs: 60_000 });
      if (!a.acquired) throw new Error("unexpected");
      const run = sampleRun(`${t}/1`, t);
      await store.insertRun(run, a.lease);
      expect(await store.loadRun(run.id)).to.deep.equal(run);
      const changed: Run = { ...run, phase: "InProgress", updatedAt: T0 + 5, measurements: { rtoMs: 42 } };
      await store.saveRun(changed, a.lease);
      expect(await store.loadRun(run.id)).to.deep.equal(changed);

      const b = await store.acquireLease({
        target: t,
        runId: run.id,
        holder: HOLDER_B,
        now: T0 + 60_000,
        ttlMs: 60_000,
      });
      if (!b.acquired) throw new Error("unexpected");
      try {
        await store.saveRun({ ...changed, phase: "Failed" }, a.lease);
        expect.fail("a fenced write went through");
      } catch (error) {
        expect(isPilotlightError(error) && error.code).to.equal("lease.lost");
      }
      expect((await store.loadRun(run.id))!.phase).to.equal("InProgress");
      try {
        await store.insertRun(sampleRun(`${t}/2`, t), a.lease);
        expect.fail("a fenced insert went through");
      } catch (error) {
        expect(isPilotlightError(error) && error.code).to.equal("lease.lost");
      }
      expect(await store.loadRun(`${t}/2`)).to.equal(undefined);
    });

    it("lists runs newest first, filtered by kind, target and phase, limited", async function () {
      const t = target();
      const a = await store.acquireLease({ target: t, runId: "x", holder: HOLDER_A, now: T0, ttlMs: 60_000 });
      if (!a.acquired) throw new Error("unexpected");
      for (let i = 0; i < 3; i++)
        await store.insertRun(
          { ...sampleRun(`${t}/r${i}`, t, T0 + i), kind: i === 1 ? "restore-drill" : "failover" },
          a.lease,
        );
      expect((await store.listRuns({ target: t })).map((r) => r.id)).to.deep.equal([`${t}/r2`, `${t}/r1`, `${t}/r0`]);
      expect((await store.listRuns({ target: t, kind: "restore-drill" })).map((r) => r.id)).to.deep.equal([`${t}/r1`]);
      expect(await store.listRuns({ target: t, phase: "Completed" })).to.deep.equal([]);
      expect((await store.listRuns({ target: t, limit: 1 })).map((r) => r.id)).to.deep.equal([`${t}/r2`]);
    });

    it("keeps manifests per environment and finds the newest at or before a time", async function () {
      const env = `manifest-${++n}`;
      await store.saveManifest(env, T0, { tables: [], v: 1 });
      await store.saveManifest(env, T0 + 3_600_000, { tables: [], v: 2 });
      expect((await store.latestManifest(env, T0 + 1_000))?.manifest).to.deep.equal({ tables: [], v: 1 });
      expect((await store.latestManifest(env, T0 + 7_200_000))?.recordedAt).to.equal(T0 + 3_600_000);
      expect(await store.latestManifest(env, T0 - 1)).to.equal(undefined);
    });

    it("lets exactly one of many claimants claim a scheduled occurrence", async function () {
      const key = `sandbox:restore:${++n}`;
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.claimOccurrence(key, { ...HOLDER_A, instance: `s${i}` }, T0)),
      );
      expect(claims.filter(Boolean)).to.have.length(1);
      expect(await store.claimOccurrence(key, HOLDER_B, T0 + 1)).to.equal(false);
    });

    it("tells the newest claimed occurrence of a slot, and no other slot's (even one sharing its prefix)", async function () {
      const slot = `env_${++n}:restore`;
      expect(await store.lastClaimedOccurrence(slot)).to.equal(undefined);
      for (const t of ["2026-01-02T03:00:00.000Z", "2026-01-10T03:00:00.000Z", "2026-01-05T03:00:00.000Z"])
        await store.claimOccurrence(`${slot}:${t}`, HOLDER_A, T0);
      await store.claimOccurrence(`${slot}x:2026-02-01T03:00:00.000Z`, HOLDER_A, T0);
      await store.claimOccurrence(`env-${n}:restore:2026-03-01T03:00:00.000Z`, HOLDER_A, T0); // "_" is no wildcard
      expect(await store.lastClaimedOccurrence(slot)).to.equal(Date.parse("2026-01-10T03:00:00.000Z"));
    });

    it("appends events in order and lists them per run", async function () {
      const runId = `${target()}/events`;
      await store.appendEvents([
        { time: T0, level: "info", runId, code: "run.created", message: "one" },
        {
          time: T0 + 1,
          level: "warn",
          runId,
          stepId: "a",
          code: "step.progress",
          message: "two",
          data: { pct: 50, nested: { ok: true } },
        },
      ]);
      await store.appendEvents([
        { time: T0 + 2, level: "error", runId, stepId: "a", code: "step.failed", message: "three" },
      ]);
      const events = await store.listEvents(runId);
      expect(events).to.deep.equal([
        { time: T0, level: "info", runId, code: "run.created", message: "one" },
        {
          time: T0 + 1,
          level: "warn",
          runId,
          stepId: "a",
          code: "step.progress",
          message: "two",
          data: { pct: 50, nested: { ok: true } },
        },
        { time: T0 + 2, level: "error", runId, stepId: "a", code: "step.failed", message: "three" },
      ]);
    });
  });
}
