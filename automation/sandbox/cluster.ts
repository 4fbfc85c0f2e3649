import type { PGlite } from "@electric-sql/pglite";
import { fenceStatements } from "../adapters/fencing-sql";
import { createPglite } from "../store/pglite-factory";
import { PgliteSql } from "../store/pglite-sql";

/** One write applied to a sandbox cluster, journaled so that point-in-time restores can replay it. */
export interface JournalEntry {
  at: number;
  sql: string;
  params: unknown[];
}

/** A real copy of a cluster's data at a moment. */
export interface DataCopy {
  takenAt: number;
  /** PGlite data directory tarball (gzip). */
  blob: Blob;
  /** Journal entries after `takenAt` are not in the copy. */
  journalLength: number;
}

/**
 * A simulated Aurora cluster whose data is a real PostgreSQL (PGlite, in memory). Every write goes
 * through {@link write}, which journals it: a snapshot is a dump of the data directory, and a
 * point-in-time restore is the newest snapshot before the time plus the journal up to it.
 */
export class SandboxCluster {
  readonly journal: JournalEntry[] = [];
  status: "creating" | "available" | "failed" | "deleting" | "deleted" = "creating";
  /** How a modelled creation ends (fault injection). */
  outcome: "COMPLETED" | "FAILED" | "STUCK" = "COMPLETED";
  instances: string[] = [];
  /** Writes are refused (`default_transaction_read_only`), as fencing does on Aurora. */
  readOnly = false;
  /** When a creating cluster becomes available. */
  readyAt = 0;
  /** Instances being created, with the time each becomes available. */
  readonly pendingInstances = new Map<string, number>();
  deletionProtection = false;

  private constructor(
    readonly id: string,
    readonly arn: string,
    readonly region: string,
    readonly db: PGlite,
    readonly tags: Record<string, string>,
    readonly createdAt: number,
  ) {}

  /** Creates an empty cluster or one loaded from a copy. */
  static async create(opts: { id: string; region: string; account: string; tags: Record<string, string>; now: number; from?: DataCopy }): Promise<SandboxCluster> {
    const db = await createPglite(opts.from === undefined ? {} : { loadDataDir: opts.from.blob });
    const arn = `arn:aws:rds:${opts.region}:${opts.account}:cluster:${opts.id}`;
    const cluster = new SandboxCluster(opts.id, arn, opts.region, db, { ...opts.tags }, opts.now);
    if (opts.from !== undefined) {
      const { rows } = await db.query<{ default_transaction_read_only: string }>("SHOW default_transaction_read_only");
      cluster.readOnly = rows[0]?.default_transaction_read_only === "on";
    }
    return cluster;
  }

  /** Moves modelled transitions forward to `now` (creating → available, pending instances). */
  refresh(now: number): void {
    if (this.status === "creating" && now >= this.readyAt) this.status = this.outcome === "FAILED" ? "failed" : "available";
    for (const [id, at] of this.pendingInstances) {
      if (this.status === "available" && now >= at) {
        this.pendingInstances.delete(id);
        this.instances.push(id);
      }
    }
  }

  /** A {@link PgliteSql} view for reads and validation (the connection a user would have). */
  sql(): PgliteSql {
    return new PgliteSql(this.db);
  }

  /** Applies and journals a write; refused while fenced. */
  async write(at: number, sql: string, params: unknown[] = []): Promise<void> {
    if (this.readOnly) throw new Error(`cluster ${this.id} is read-only (fenced)`);
    await this.db.query(sql, params);
    this.journal.push({ at, sql, params });
  }

  /**
   * Fences (or unfences) writes with the same SQL the real adapter sends to Aurora: the setting
   * is stored in the database, so it travels with snapshots (a restore of a fenced cluster must
   * be unfenced).
   */
  async setReadOnly(readOnly: boolean): Promise<void> {
    for (const statement of fenceStatements(readOnly)) await this.db.exec(statement);
    this.readOnly = readOnly;
  }

  /** A real copy of the data now. */
  async copy(at: number): Promise<DataCopy> {
    const blob = await this.db.dumpDataDir("gzip");
    return { takenAt: at, blob, journalLength: this.journal.length };
  }

  /** Closes the database (deleted clusters release their memory). */
  async close(): Promise<void> {
    this.status = "deleted";
    if (!this.db.closed) await this.db.close();
  }
}
