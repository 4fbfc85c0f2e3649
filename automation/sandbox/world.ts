import type { RecoveryPoint, RestoreJob } from "../domain/recovery-point";
import type { BackupJobSummary } from "../ports/backups";
import type { Clock } from "../ports/clock";
import type { ClusterSnapshotInfo } from "../ports/databases";
import { SandboxCluster, type DataCopy } from "./cluster";
import { AWS_LIKE_DURATIONS, draw, type SandboxDurations } from "./durations";
import { SeededRandom } from "./random";

/** A recovery point and the real data it holds. */
export interface RecoveryPointRecord extends RecoveryPoint {
  copy?: DataCopy;
}

/** A restore job with its modelled timeline. */
export interface RestoreJobRecord extends RestoreJob {
  token: string;
  clusterId: string;
  doneAt: number;
  outcome: "COMPLETED" | "FAILED" | "STUCK";
  applied: boolean;
}

/** A manual cluster snapshot (failback). */
export interface SnapshotRecord extends ClusterSnapshotInfo {
  readyAt: number;
  copy?: DataCopy;
}

/** A Route 53 health check on a workload host. */
export interface HealthCheckRecord {
  id: string;
  host: string;
  /** Forced failover: reported unhealthy whatever the host answers. */
  inverted: boolean;
}

/** A Route 53 record. */
export interface DnsRecord {
  zoneId: string;
  name: string;
  host: string;
  failover?: "PRIMARY" | "SECONDARY";
  healthCheckId?: string;
  /** When it was last changed: resolvers follow after the TTL. */
  changedAt: number;
}

/** A deployed workload: the host its health URL answers on and the function serving it. */
export interface WorkloadRecord {
  host: string;
  /** The function behind the URL; its configuration names the database. */
  functionId: string;
  region: string;
}

/** Faults that can be injected (tests, the demo). */
export interface SandboxFaults {
  /** Regions that do not answer, with the time the outage began. */
  outages: Map<string, number>;
  /** The next N API calls fail with a throttling error. */
  throttleNext: number;
  /** Outcome of the next restore jobs, in order (default: COMPLETED). */
  restoreOutcomes: Array<"COMPLETED" | "FAILED" | "STUCK">;
  /** DNS answers stop following changes (resolvers keep the old answer). */
  dnsStuck: boolean;
  /** Extra delay of cross-region copies. */
  copyDelayMs: number;
  /** The next N cross-region copies silently lose rows (a damaged backup that still "completes"). */
  damageCopies: number;
  /** The next N stack destroys fail before deleting anything (a dependency violation, say). */
  destroyFailures: number;
}

/** Options of a {@link SandboxWorld}. */
export interface SandboxWorldOptions {
  clock: Clock;
  seed?: number;
  account?: string;
  primaryRegion: string;
  drRegion: string;
  environment: string;
  durations?: Partial<SandboxDurations>;
  /** How often the simulated backup plan runs (AWS Backup: hourly at best for snapshots). */
  backupIntervalMs?: number;
  /** How often the workload generator writes. */
  writeIntervalMs?: number;
  /** Recovery points older than this expire, as the backup plan's lifecycle `deleteAfter` does (default: 7 days). */
  retentionMs?: number;
}

/** The activity settings a session may change (a simulated month needs sparser activity). */
export type SandboxActivity = Pick<SandboxWorldOptions, "backupIntervalMs" | "writeIntervalMs" | "retentionMs">;

/** An error shaped like the AWS SDK's (name, fault, retryable) so that adapters map it alike. */
export class SandboxAwsError extends Error {
  readonly $fault: "client" | "server";
  readonly $retryable?: { throttling: boolean };

  constructor(name: string, message: string, fault: "client" | "server", throttling = false) {
    super(message);
    this.name = name;
    this.$fault = fault;
    if (throttling) this.$retryable = { throttling: true };
  }
}

/**
 * The simulated region pair: clusters with real data, vaults and recovery points produced by a
 * simulated backup plan, restore jobs, snapshots, DNS, health checks and workloads — all on the
 * injected (virtual) clock, with seeded durations and injectable faults. Behaviour spec:
 * `automation/sandbox/README.md`.
 */
export class SandboxWorld {
  readonly clock: Clock;
  readonly random: SeededRandom;
  readonly account: string;
  readonly primaryRegion: string;
  readonly drRegion: string;
  readonly environment: string;
  readonly durations: SandboxDurations;
  readonly backupIntervalMs: number;
  readonly writeIntervalMs: number;
  readonly retentionMs: number;

  readonly clusters = new Map<string, SandboxCluster>();
  readonly vaults = new Map<string, { name: string; region: string; arn: string; kmsKeyArn?: string }>();
  /** KMS keys by ARN; a test may disable one (`state: "Disabled"`). */
  readonly keys = new Map<string, { arn: string; region: string; state: string }>();
  readonly recoveryPoints: RecoveryPointRecord[] = [];
  readonly restoreJobs = new Map<string, RestoreJobRecord>();
  readonly jobs: BackupJobSummary[] = [];
  readonly snapshots = new Map<string, SnapshotRecord>();
  readonly healthChecks = new Map<string, HealthCheckRecord>();
  readonly dns: DnsRecord[] = [];
  readonly workloads = new Map<string, WorkloadRecord>();
  /** Lambda functions: id → the cluster ARN in their configuration (updated in place by `up`). */
  readonly functions = new Map<string, string>();
  readonly faults: SandboxFaults = { outages: new Map(), throttleNext: 0, restoreOutcomes: [], dnsStuck: false, copyDelayMs: 0, damageCopies: 0, destroyFailures: 0 };
  /** The name clients use; the workload generator writes wherever it resolves (follows failover). */
  appRecordName?: string;
  /** Cluster written to when there is no DNS name. */
  primaryClusterId?: string;
  /** Counters the tests and the demo read. */
  readonly stats = { writes: 0, backups: 0, copies: 0, restoresStarted: 0, apiCalls: 0, throttled: 0 };

  private readonly stop = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private orderSeq = 0;

  constructor(opts: SandboxWorldOptions) {
    this.clock = opts.clock;
    this.random = new SeededRandom(opts.seed ?? 42);
    this.account = opts.account ?? "000000000000";
    this.primaryRegion = opts.primaryRegion;
    this.drRegion = opts.drRegion;
    this.environment = opts.environment;
    this.durations = { ...AWS_LIKE_DURATIONS, ...(opts.durations ?? {}) };
    this.backupIntervalMs = opts.backupIntervalMs ?? 3_600_000;
    this.writeIntervalMs = opts.writeIntervalMs ?? 60_000;
    this.retentionMs = opts.retentionMs ?? 7 * 24 * 3_600_000;
  }

  // ---- the API surface every sandbox port goes through -------------------------------------

  /** Gate of every API call: region outages and throttling apply here. */
  api(region: string, operation: string): void {
    this.stats.apiCalls += 1;
    if (this.faults.outages.has(region)) {
      throw new SandboxAwsError("ServiceUnavailableException", `${operation}: the ${region} endpoint does not answer (region outage)`, "server");
    }
    if (this.faults.throttleNext > 0) {
      this.faults.throttleNext -= 1;
      this.stats.throttled += 1;
      throw new SandboxAwsError("ThrottlingException", `${operation}: Rate exceeded`, "client", true);
    }
  }

  /** True while a region is out. */
  isOut(region: string): boolean {
    return this.faults.outages.has(region);
  }

  /** Starts a region outage now. */
  injectOutage(region: string): void {
    this.faults.outages.set(region, this.clock.now());
  }

  /** Ends a region outage. */
  endOutage(region: string): void {
    this.faults.outages.delete(region);
  }

  // ---- resources ----------------------------------------------------------------------------

  /** Creates a cluster (empty, or with the data of `from`) with no instance: as every Aurora restore does. */
  async createCluster(id: string, region: string, tags: Record<string, string>, from?: DataCopy): Promise<SandboxCluster> {
    const existing = this.clusters.get(id);
    if (existing !== undefined && existing.status !== "deleted") {
      throw new SandboxAwsError("DBClusterAlreadyExistsFault", `DB cluster ${id} already exists`, "client");
    }
    const cluster = await this.clock.track(SandboxCluster.create({ id, region, account: this.account, tags, now: this.clock.now(), from }));
    this.clusters.set(id, cluster);
    return cluster;
  }

  /** The cluster of an ARN or identifier. */
  cluster(idOrArn: string): SandboxCluster | undefined {
    const id = idOrArn.startsWith("arn:") ? idOrArn.split(":").pop()! : idOrArn;
    const c = this.clusters.get(id);
    if (c === undefined || c.status === "deleted") return undefined;
    c.refresh(this.clock.now());
    return c;
  }

  /** Deletes a cluster and releases its database. */
  async deleteCluster(id: string): Promise<void> {
    const c = this.clusters.get(id);
    if (c === undefined) return;
    c.status = "deleting";
    await this.clock.track(c.close());
  }

  /**
   * A point-in-time restore: the newest backup of the source at or before `time`, then the
   * source's journal up to `time` (continuous backup). The window ends 5 minutes before now.
   */
  async restoreToTime(sourceId: string, time: number, targetId: string, region: string, tags: Record<string, string>): Promise<SandboxCluster> {
    const source = this.cluster(sourceId);
    if (source === undefined) throw new SandboxAwsError("DBClusterNotFoundFault", `DBCluster ${sourceId} not found`, "client");
    const now = this.clock.now();
    if (time > now - 5 * 60_000 || time < source.createdAt) {
      throw new SandboxAwsError("InvalidRestoreFault", `restore time ${new Date(time).toISOString()} is outside the restorable window (earliest ${new Date(source.createdAt).toISOString()}, latest ${new Date(now - 5 * 60_000).toISOString()})`, "client");
    }
    const base = this.recoveryPoints
      .filter((p) => p.sourceResourceArn === source.arn && p.region === region && p.status === "COMPLETED" && p.createdAt <= time && p.copy !== undefined)
      .sort((a, b) => b.createdAt - a.createdAt)[0];
    const target = await this.createCluster(targetId, region, tags, base?.copy);
    const from = base?.copy?.journalLength ?? 0;
    await this.clock.track(
      (async () => {
        for (const entry of source.journal.slice(from)) {
          if (entry.at > time) break;
          await target.db.query(entry.sql, entry.params);
          target.journal.push(entry);
        }
      })(),
    );
    this.stats.restoresStarted += 1;
    target.status = "creating";
    target.readyAt = now + draw(this.random, this.durations.clusterRestore);
    return target;
  }

  /** Registers a backup vault. */
  addVault(name: string, region: string, kmsKeyArn?: string): void {
    this.vaults.set(`${region}/${name}`, { name, region, arn: `arn:aws:backup:${region}:${this.account}:backup-vault:${name}`, ...(kmsKeyArn === undefined ? {} : { kmsKeyArn }) });
  }

  /** The data a recovery point or snapshot ARN refers to (restores read it). */
  dataOf(arn: string): DataCopy | undefined {
    return this.recoveryPoints.find((p) => p.arn === arn && p.status === "COMPLETED")?.copy ?? [...this.snapshots.values()].find((s) => s.arn === arn && s.status === "available")?.copy;
  }

  /** What a resolver answers for a name now (failover records follow health, after the TTL). */
  resolve(name: string): string[] {
    const records = this.dns.filter((r) => r.name === name);
    if (records.length === 0) return [];
    const plain = records.find((r) => r.failover === undefined);
    if (plain !== undefined) return [plain.host];
    const primary = records.find((r) => r.failover === "PRIMARY");
    const secondary = records.find((r) => r.failover === "SECONDARY");
    const primaryHealthy = primary !== undefined && this.healthCheckHealthy(primary.healthCheckId);
    if (primary !== undefined && (primaryHealthy || secondary === undefined)) return [primary.host];
    return secondary === undefined ? [] : [secondary.host];
  }

  /** State of a health check: unhealthy when inverted, when its host's region is out, or its database is down. */
  healthCheckHealthy(id: string | undefined): boolean {
    if (id === undefined) return true;
    const check = this.healthChecks.get(id);
    if (check === undefined) return false;
    if (check.inverted) return false;
    return this.workloadHealthy(check.host);
  }

  /** The cluster a workload uses now. */
  workloadCluster(w: WorkloadRecord): SandboxCluster | undefined {
    const arn = this.functions.get(w.functionId);
    return arn === undefined ? undefined : this.cluster(arn);
  }

  /** Whether the workload on `host` answers healthy: its region is up and its cluster has an available instance. */
  workloadHealthy(host: string): boolean {
    const w = this.workloads.get(host);
    if (w === undefined || this.isOut(w.region)) return false;
    const c = this.workloadCluster(w);
    return c !== undefined && c.status === "available" && c.instances.length > 0;
  }

  // ---- background activity -----------------------------------------------------------------

  /** Starts the workload generator and the backup plan. */
  startActivity(): void {
    this.loops.push(this.every(this.writeIntervalMs, () => this.writeTick()));
    this.loops.push(this.every(this.backupIntervalMs, () => this.backupTick()));
  }

  /** Stops background activity and closes every database. */
  async shutdown(): Promise<void> {
    this.stop.abort();
    await Promise.allSettled(this.loops);
    for (const c of this.clusters.values()) await c.close().catch(() => undefined);
  }

  /** Creates the application schema and seed rows on a fresh cluster. */
  async seed(cluster: SandboxCluster, rows = 500): Promise<void> {
    const now = this.clock.now();
    await this.clock.track(
      (async () => {
        await cluster.write(now, "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, customer text NOT NULL, total_cents integer NOT NULL, updated_at timestamptz NOT NULL)");
        await cluster.write(now, "CREATE TABLE IF NOT EXISTS pilotlight_heartbeat (id bigserial PRIMARY KEY, beat_at timestamptz NOT NULL)");
        const start = this.orderSeq;
        this.orderSeq += rows;
        await cluster.write(
          now,
          "INSERT INTO orders SELECT g, 'customer-' || (g % 97), (g * 37) % 10000, $1::timestamptz FROM generate_series($2::bigint, $3::bigint) g",
          [new Date(now).toISOString(), start + 1, start + rows],
        );
        await cluster.write(now, "INSERT INTO pilotlight_heartbeat (beat_at) VALUES ($1)", [new Date(now).toISOString()]);
      })(),
    );
  }

  private async every(intervalMs: number, tick: () => Promise<void>): Promise<void> {
    const signal = this.stop.signal;
    for (;;) {
      // Align to the interval (backups run at the top of the hour).
      const wait = intervalMs - (this.clock.now() % intervalMs);
      try {
        await this.clock.sleep(wait, signal);
      } catch {
        return;
      }
      try {
        await tick();
      } catch {
        // Background activity never brings the world down; its effects (no backup) are the signal.
      }
    }
  }

  /** The cluster clients write to now: behind the DNS answer, else the primary cluster. */
  writeTarget(): SandboxCluster | undefined {
    if (this.appRecordName !== undefined) {
      const host = this.resolve(this.appRecordName)[0];
      const w = host === undefined ? undefined : this.workloads.get(host);
      return w === undefined ? undefined : this.workloadCluster(w);
    }
    return this.primaryClusterId === undefined ? undefined : this.cluster(this.primaryClusterId);
  }

  private async writeTick(): Promise<void> {
    const c = this.writeTarget();
    if (c === undefined || c.readOnly || this.isOut(c.region) || c.instances.length === 0) return;
    const now = this.clock.now();
    const at = new Date(now).toISOString();
    const start = this.orderSeq;
    this.orderSeq += 5;
    await this.clock.track(
      (async () => {
        await c.write(now, "INSERT INTO orders SELECT g, 'customer-' || (g % 97), (g * 37) % 10000, $1::timestamptz FROM generate_series($2::bigint, $3::bigint) g", [at, start + 1, start + 5]);
        await c.write(now, "UPDATE orders SET total_cents = total_cents + 1, updated_at = $1::timestamptz WHERE id = $2", [at, 1 + Math.floor(this.random.next() * Math.max(1, start))]);
        await c.write(now, "INSERT INTO pilotlight_heartbeat (beat_at) VALUES ($1)", [at]);
      })(),
    );
    this.stats.writes += 1;
  }

  private async backupTick(): Promise<void> {
    // The plan's lifecycle: expired recovery points (and their data) go, in both vaults.
    const expired = this.clock.now() - this.retentionMs;
    for (let i = this.recoveryPoints.length - 1; i >= 0; i--) if (this.recoveryPoints[i]!.createdAt < expired) this.recoveryPoints.splice(i, 1);
    if (this.isOut(this.primaryRegion)) return;
    // The plan selects by tag (backup:automated=true) in the primary region.
    for (const c of [...this.clusters.values()]) {
      if (c.status === "available" && c.region === this.primaryRegion && c.tags["backup:automated"] === "true") await this.backupOne(c);
    }
  }

  private async backupOne(c: SandboxCluster): Promise<void> {
    const primaryVault = [...this.vaults.values()].find((v) => v.region === this.primaryRegion);
    const drVault = [...this.vaults.values()].find((v) => v.region === this.drRegion);
    if (primaryVault === undefined) return;
    const startedAt = this.clock.now();
    const copy = await this.clock.track(c.copy(startedAt));
    const jobId = `backup-${this.random.hex(12)}`;
    const point: RecoveryPointRecord = {
      arn: `arn:aws:rds:${this.primaryRegion}:${this.account}:cluster-snapshot:awsbackup:job-${jobId}`,
      vault: primaryVault.name,
      region: this.primaryRegion,
      createdAt: startedAt,
      kind: "snapshot",
      sourceResourceArn: c.arn,
      status: "CREATING",
    };
    this.recoveryPoints.push(point);
    const job: BackupJobSummary = { id: jobId, kind: "backup", region: this.primaryRegion, state: "RUNNING", resourceArn: c.arn, createdAt: startedAt };
    this.jobs.push(job);
    // The rest of the job plays out in the background, on the clock.
    void (async () => {
      try {
        await this.clock.sleep(draw(this.random, this.durations.backupJob), this.stop.signal);
        if (this.isOut(this.primaryRegion)) {
          point.status = "PARTIAL";
          job.state = "FAILED";
          job.statusMessage = "region outage";
          return;
        }
        point.status = "COMPLETED";
        point.copy = copy;
        job.state = "COMPLETED";
        job.completedAt = this.clock.now();
        this.stats.backups += 1;
        if (drVault === undefined) return;
        const copyJob: BackupJobSummary = { id: `copy-${this.random.hex(12)}`, kind: "copy", region: this.primaryRegion, state: "RUNNING", resourceArn: point.arn, createdAt: this.clock.now() };
        this.jobs.push(copyJob);
        await this.clock.sleep(draw(this.random, this.durations.copyJob) + this.faults.copyDelayMs, this.stop.signal);
        if (this.isOut(this.primaryRegion)) {
          copyJob.state = "FAILED";
          copyJob.statusMessage = "source region unavailable";
          return;
        }
        let copied = copy;
        if (this.faults.damageCopies > 0) {
          this.faults.damageCopies -= 1;
          copied = await this.clock.track(damaged(copy, "DELETE FROM orders WHERE id BETWEEN 100 AND 120"));
        }
        // A cross-region copy keeps the source's creation time (AWS Backup Developer Guide).
        this.recoveryPoints.push({
          arn: `arn:aws:rds:${this.drRegion}:${this.account}:cluster-snapshot:awsbackup:copy-${copyJob.id}`,
          vault: drVault.name,
          region: this.drRegion,
          createdAt: point.createdAt,
          kind: "snapshot",
          sourceResourceArn: c.arn,
          status: "COMPLETED",
          copiedFrom: point.arn,
          copy: copied,
        });
        copyJob.state = "COMPLETED";
        copyJob.completedAt = this.clock.now();
        this.stats.copies += 1;
      } catch {
        // Stopped.
      }
    })();
  }
}

/** A copy of `copy` with `sql` applied: what a silently damaged backup holds. */
async function damaged(copy: DataCopy, sql: string): Promise<DataCopy> {
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create({ loadDataDir: copy.blob });
  try {
    await db.exec(sql);
    return { ...copy, blob: await db.dumpDataDir("gzip") };
  } finally {
    await db.close();
  }
}
