import type { PilotEvent } from "../domain/events";
import type { JsonObject } from "../domain/json";
import type { Run, RunKind, RunPhase } from "../domain/run";

/** Who holds a lease: enough to tell an operator which process to look for. */
export interface LeaseHolder {
  host: string;
  pid: number;
  /** Random per process, so that two processes with one pid on two hosts never collide. */
  instance: string;
}

/** A held lease. `token` increases on every acquisition and fences writes of older holders. */
export interface Lease {
  target: string;
  token: number;
  runId: string;
  holder: LeaseHolder;
  acquiredAt: number;
  expiresAt: number;
}

/** Result of trying to take a lease. */
export type LeaseAttempt = { acquired: true; lease: Lease; tookOver?: Lease } | { acquired: false; current: Lease };

/** Filter for listing runs. */
export interface RunFilter {
  kind?: RunKind;
  target?: string;
  phase?: RunPhase;
  limit?: number;
}

/**
 * Persistence of runs, events and leases. Implementations: `PgRunStore` over PGlite (embedded
 * default) or a PostgreSQL server; both pass one contract suite.
 */
export interface RunStore {
  /**
   * Takes the target's lease for `runId` when it is free, expired at `now`, or held by the lease
   * whose token is `takeOverToken` (the caller proved that holder dead).
   */
  acquireLease(req: {
    target: string;
    runId: string;
    holder: LeaseHolder;
    now: number;
    ttlMs: number;
    takeOverToken?: number;
  }): Promise<LeaseAttempt>;
  /** Extends a held lease; false when it was lost (taken over or released). */
  renewLease(lease: Lease, now: number, ttlMs: number): Promise<boolean>;
  /** Releases a held lease (no-op when already lost). */
  releaseLease(lease: Lease): Promise<void>;
  /** The current lease of a target, if any (expired or not). */
  readLease(target: string): Promise<Lease | undefined>;

  /** Inserts a new run; fenced: fails with `lease.lost` unless `lease` is current. */
  insertRun(run: Run, lease: Lease): Promise<void>;
  /** Replaces a run's persisted state; fenced like {@link insertRun}. */
  saveRun(run: Run, lease: Lease): Promise<void>;
  loadRun(id: string): Promise<Run | undefined>;
  listRuns(filter?: RunFilter): Promise<Run[]>;
  /** Appends events of a run, in order. */
  appendEvents(events: PilotEvent[]): Promise<void>;
  listEvents(runId: string): Promise<PilotEvent[]>;
  /** Stores a validation manifest recorded on an environment's primary. */
  saveManifest(env: string, recordedAt: number, manifest: JsonObject): Promise<void>;
  /** The newest manifest of an environment recorded at or before `before`. */
  latestManifest(env: string, before: number): Promise<{ recordedAt: number; manifest: JsonObject } | undefined>;
  /** Claims one scheduled occurrence (`env:kind:time`); true for exactly one claimant ever. */
  claimOccurrence(occurrence: string, holder: LeaseHolder, now: number): Promise<boolean>;
  /** The time of the newest claimed occurrence of a schedule slot (`env:kind`), if any. */
  lastClaimedOccurrence(slot: string): Promise<number | undefined>;
  close(): Promise<void>;
}
