import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import { createPglite } from "../store/pglite-factory";
import type { JournalEntry, WorldFolder } from "./world-folder";
import type { ClusterState, DataRef } from "./world-state";

/** The world services a cluster needs: its folder, the clock, and its source cluster's journal. */
export interface ClusterHost {
  folder: WorldFolder;
  now(): number;
  /** Tracks I/O so that the virtual clock stands still meanwhile. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Another cluster's state by uid (a point-in-time restore replays its journal). */
  clusterState(uid: string): ClusterState | undefined;
  /**
   * Writes the world now: the cluster's data is already on disk (PGlite writes through), so what
   * the world says of it (materialized, journal length, read-only) must be too before the caller
   * goes on — a process killed in between would otherwise leave a successor that rebuilds the
   * data from its snapshot and loses what was written since.
   */
  persist(): void;
}

const READ_ONLY_SETTING = `SELECT EXISTS (
  SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
  WHERE d.datname = current_database() AND s.setrole = 0
    AND 'default_transaction_read_only=on' = ANY (s.setconfig)) AS ro`;

/**
 * A simulated Aurora cluster whose data is a real PostgreSQL (PGlite in the world folder). Its
 * data is created on first use from its source (empty, a recovery point's tarball, or a
 * point-in-time replay), so that the API call that created it is one atomic change of the world.
 *
 * Sessions are modelled as Aurora has them: every statement of the simulated application, and
 * every Data API statement outside a transaction, runs in a new session that starts with the
 * database's defaults (`ALTER DATABASE … SET default_transaction_read_only` applies to new
 * sessions only — PostgreSQL docs, "ALTER DATABASE"). One lock per cluster keeps a session's
 * statements together on the single PGlite connection.
 */
export class SandboxCluster {
  private handle: Promise<PGlite> | undefined;
  private lockChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly host: ClusterHost,
    readonly state: ClusterState,
  ) {}

  get id(): string {
    return this.state.id;
  }
  get uid(): string {
    return this.state.uid;
  }
  get arn(): string {
    return this.state.arn;
  }
  get region(): string {
    return this.state.region;
  }
  get tags(): Record<string, string> {
    return this.state.tags;
  }
  get status(): ClusterState["status"] {
    return this.state.status;
  }
  get readOnly(): boolean {
    return this.state.readOnly;
  }
  /** Identifiers of the available instances. */
  get instances(): string[] {
    return this.state.instances.filter((i) => i.status === "available").map((i) => i.id);
  }

  /** Moves modelled transitions forward to `now`; true when something changed. */
  refresh(now: number): boolean {
    const s = this.state;
    let changed = false;
    if (s.status === "creating" && now >= s.readyAt) {
      s.status = s.outcome === "FAILED" ? "failed" : "available";
      changed = true;
    }
    for (const i of s.instances) {
      if (i.status === "creating" && s.status === "available" && now >= i.readyAt) {
        i.status = "available";
        changed = true;
      }
    }
    const gone = s.instances.filter((i) => i.status === "deleting" && now >= i.readyAt);
    if (gone.length > 0) {
      s.instances = s.instances.filter((i) => !gone.includes(i));
      changed = true;
    }
    if (s.status === "deleting" && s.deletingUntil !== undefined && now >= s.deletingUntil) {
      s.status = "deleted";
      changed = true;
    }
    return changed;
  }

  /** Whether a writer instance is available: nothing connects to a cluster without one (aws.md). */
  hasAvailableInstance(): boolean {
    return this.state.status === "available" && this.instances.length > 0;
  }

  /** The database, created from the cluster's source on first use. */
  db(): Promise<PGlite> {
    this.handle ??= this.host.track(this.open());
    return this.handle;
  }

  /**
   * Runs `fn` as one session: it starts with the database's read-only default, and nothing of
   * another session runs in between.
   */
  async session<T>(fn: (db: PGlite) => Promise<T>): Promise<T> {
    const db = await this.db();
    return this.exclusive(async () => {
      // A new session: nothing an earlier one SET survives; the database's defaults apply.
      await db.query("DISCARD ALL");
      await db.query(`SET SESSION default_transaction_read_only = ${this.state.readOnly ? "on" : "off"}`);
      const result = await fn(db);
      return result;
    });
  }

  /** Re-reads the database's read-only default (after an `ALTER DATABASE` went through SQL). */
  async syncReadOnly(db: PGlite): Promise<void> {
    const { rows } = await db.query<{ ro: boolean }>(READ_ONLY_SETTING);
    const ro = rows[0]?.ro === true;
    if (ro !== this.state.readOnly) {
      this.state.readOnly = ro;
      this.host.persist();
    }
  }

  /**
   * A write of the simulated application (or of pilotlight's probe) in a session of its own,
   * journaled so that point-in-time restores replay it and `inspect` counts it. A fenced database
   * refuses it, as PostgreSQL does.
   */
  async write(sql: string, params: unknown[] = [], by: JournalEntry["by"] = "app"): Promise<void> {
    const entry: JournalEntry = { at: this.host.now(), sql, params, by };
    await this.host.track(this.session(async (db) => db.query(sql, params)));
    this.host.folder.appendJournal(this.state.uid, [entry]);
    this.state.journalLength += 1;
    this.host.persist();
  }

  /** The cluster's journal as the world state counts it. */
  journal(): JournalEntry[] {
    return this.host.folder.readJournal(this.state.uid, this.state.journalLength);
  }

  /** A real copy of the data now, written to the world folder. */
  async copy(file: string): Promise<DataRef> {
    const db = await this.db();
    const takenAt = this.host.now();
    const journalLength = this.state.journalLength;
    const blob = await this.host.track(this.exclusive(() => db.dumpDataDir("gzip")));
    await this.host.track(this.host.folder.writeData(file, blob));
    return { file, takenAt, journalLength, sourceUid: this.state.uid };
  }

  /** Closes the database (the data stays in the folder). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle === undefined) return;
    const db = await handle.catch(() => undefined);
    if (db !== undefined && !db.closed) await db.close();
  }

  /** Closes and removes the data (a deleted cluster). */
  async destroy(): Promise<void> {
    await this.close();
    this.host.folder.removeCluster(this.state.uid);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lockChain.then(fn);
    this.lockChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async open(): Promise<PGlite> {
    const dir = this.host.folder.clusterDir(this.state.uid);
    if (!this.state.materialized) {
      // A process killed while it made the data left a partial folder: make it again.
      this.host.folder.removeCluster(this.state.uid);
    }
    mkdirSync(dir, { recursive: true });
    if (this.state.materialized) return createPglite({ dataDir: dir });
    const src = this.state.source;
    let db: PGlite;
    if (src.kind === "data") {
      db = await createPglite({ dataDir: dir, loadDataDir: this.host.folder.readData(src.data.file) });
    } else if (src.kind === "pitr") {
      // The newest backup at or before the time, then the source's journal up to the time
      // (continuous backup: Aurora User Guide, "Restoring a DB cluster to a specified time").
      db =
        src.base === undefined
          ? await createPglite({ dataDir: dir })
          : await createPglite({ dataDir: dir, loadDataDir: this.host.folder.readData(src.base.file) });
      const source = this.host.clusterState(src.sourceUid);
      const journal = source === undefined ? [] : this.host.folder.readJournal(source.uid, source.journalLength);
      const replayed: JournalEntry[] = [];
      for (const entry of journal.slice(src.base?.journalLength ?? 0)) {
        if (entry.at > src.time) break;
        await db.query(entry.sql, entry.params);
        replayed.push(entry);
      }
      // The restored cluster's history starts with what it replayed.
      this.host.folder.appendJournal(this.state.uid, replayed);
      this.state.journalLength = replayed.length;
    } else {
      db = await createPglite({ dataDir: dir });
    }
    await this.syncReadOnly(db);
    this.state.materialized = true;
    this.host.persist();
    return db;
  }
}
