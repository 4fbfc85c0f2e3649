import type { PilotEvent } from "../../automation/domain/events";
import type { Run } from "../../automation/domain/run";
import type { Lease, LeaseHolder, RunFilter, RunStore } from "../../automation/ports/run-store";

/** Thrown by a {@link CrashingStore} once it has "died". */
export class SimulatedCrash extends Error {
  constructor() {
    super("simulated process crash");
  }
}

/**
 * Wraps a real store and "kills the process" at a chosen write: that write and every later call
 * throw, as if the process had died there. The inner store keeps exactly what was written before.
 */
export class CrashingStore implements RunStore {
  writes = 0;
  /** When true, lease renewals fail as if the store did not answer (everything else works). */
  failRenewals = false;
  private dead = false;

  constructor(
    private readonly inner: RunStore,
    private readonly crashAtWrite = Number.POSITIVE_INFINITY,
    /** Called with each run saved; returning true "kills the process" right after that write. */
    private readonly crashAfterSave?: (run: Run) => boolean,
  ) {}

  /** Kills the store now: every later call throws. */
  kill(): void {
    this.dead = true;
  }

  private alive(): void {
    if (this.dead) throw new SimulatedCrash();
  }

  private write(): void {
    this.alive();
    this.writes += 1;
    if (this.writes >= this.crashAtWrite) {
      this.dead = true;
      throw new SimulatedCrash();
    }
  }

  async acquireLease(req: {
    target: string;
    runId: string;
    holder: LeaseHolder;
    now: number;
    ttlMs: number;
    takeOverToken?: number;
  }) {
    this.alive();
    return this.inner.acquireLease(req);
  }
  async renewLease(lease: Lease, now: number, ttlMs: number) {
    this.alive();
    if (this.failRenewals) throw new Error("connect ECONNREFUSED 127.0.0.1:5432");
    return this.inner.renewLease(lease, now, ttlMs);
  }
  async releaseLease(lease: Lease) {
    this.alive();
    return this.inner.releaseLease(lease);
  }
  async readLease(target: string) {
    this.alive();
    return this.inner.readLease(target);
  }
  async insertRun(run: Run, lease: Lease) {
    this.write();
    return this.inner.insertRun(run, lease);
  }
  async saveRun(run: Run, lease: Lease) {
    this.write();
    await this.inner.saveRun(run, lease);
    if (this.crashAfterSave?.(run) === true) {
      this.dead = true;
      throw new SimulatedCrash();
    }
  }
  async loadRun(id: string) {
    this.alive();
    return this.inner.loadRun(id);
  }
  async listRuns(filter?: RunFilter) {
    this.alive();
    return this.inner.listRuns(filter);
  }
  async appendEvents(events: PilotEvent[]) {
    this.write();
    return this.inner.appendEvents(events);
  }
  async listEvents(runId: string) {
    this.alive();
    return this.inner.listEvents(runId);
  }
  async saveManifest(env: string, recordedAt: number, manifest: import("../../automation/domain/json").JsonObject) {
    this.write();
    return this.inner.saveManifest(env, recordedAt, manifest);
  }
  async latestManifest(env: string, before: number) {
    this.alive();
    return this.inner.latestManifest(env, before);
  }
  async lastClaimedOccurrence(slot: string) {
    return this.inner.lastClaimedOccurrence(slot);
  }

  async claimOccurrence(occurrence: string, holder: LeaseHolder, now: number) {
    this.write();
    return this.inner.claimOccurrence(occurrence, holder, now);
  }
  async close() {
    // The inner store outlives the "process".
  }
}
