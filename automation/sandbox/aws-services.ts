import { PilotlightError } from "../domain/errors";
import type { RecoveryPoint, RestoreJob } from "../domain/recovery-point";
import { isThrottling, toAwsError } from "../adapters/aws-errors";
import { assertOwned } from "../adapters/tag-guard";
import { retry, waitFor, type WaitCheck } from "../engine/wait";
import type { Backups, BackupJobSummary, StartRestoreRequest, VaultInfo } from "../ports/backups";
import type { ClusterInfo, ClusterSnapshotInfo, Databases, WaitOptions } from "../ports/databases";
import type { Health, ProbeResult } from "../ports/health";
import type { KeyInfo, Keys } from "../ports/keys";
import type { Notification, Notifier } from "../ports/notifier";
import type { DatabaseLocator, SqlAccess } from "../ports/sql-access";
import type { HealthCheckStatus, Traffic } from "../ports/traffic";
import type { SqlClient } from "../store/sql";
import type { SandboxCluster } from "./cluster";
import { draw } from "./durations";
import { SandboxAwsError, type RecoveryPointRecord, type SandboxWorld } from "./world";


/**
 * Shared call discipline of the sandbox's services, mirroring the AWS SDK's: every call passes
 * the world's gate (outages, throttling), throttling is retried with backoff like the SDK's
 * standard retry mode (5 attempts), and errors are translated once with {@link toAwsError}.
 */
abstract class SandboxService {
  constructor(protected readonly world: SandboxWorld) {}

  protected async call<T>(region: string, operation: string, fn: () => Promise<T> | T, resource?: string): Promise<T> {
    try {
      return await retry(
        async () => {
          this.world.api(region, operation);
          return await fn();
        },
        { clock: this.world.clock, retryable: isThrottling, maxAttempts: 5, baseDelayMs: 200, random: () => this.world.random.next() },
      );
    } catch (error) {
      throw toAwsError(error, operation, resource);
    }
  }

  protected clusterOrThrow(idOrArn: string): SandboxCluster {
    const c = this.world.cluster(idOrArn);
    if (c === undefined) throw new SandboxAwsError("DBClusterNotFoundFault", `DBCluster ${idOrArn} not found`, "client");
    c.refresh(this.world.clock.now());
    return c;
  }
}

function publicPoint(p: RecoveryPointRecord): RecoveryPoint {
  const { copy: _copy, ...rest } = p;
  return rest;
}

/** AWS Backup in the sandbox. */
export class SandboxBackups extends SandboxService implements Backups {
  async listRecoveryPoints(q: { region: string; vault: string; resourceArn?: string }): Promise<RecoveryPoint[]> {
    return this.call(q.region, "ListRecoveryPointsByBackupVault", () =>
      this.world.recoveryPoints
        .filter((p) => p.region === q.region && p.vault === q.vault && (q.resourceArn === undefined || p.sourceResourceArn === q.resourceArn))
        .map(publicPoint),
    q.vault);
  }

  async describeRecoveryPoint(q: { region: string; vault: string; arn: string }): Promise<RecoveryPoint> {
    return this.call(q.region, "DescribeRecoveryPoint", () => {
      const p = this.world.recoveryPoints.find((x) => x.arn === q.arn && x.vault === q.vault && x.region === q.region);
      if (p === undefined) throw new SandboxAwsError("ResourceNotFoundException", `recovery point ${q.arn} not found in ${q.vault}`, "client");
      return publicPoint(p);
    }, q.arn);
  }

  async restoreMetadata(q: { region: string; vault: string; arn: string }): Promise<Record<string, string>> {
    const p = await this.describeRecoveryPoint(q);
    return { DBClusterIdentifier: p.sourceResourceArn.split(":").pop()!, Engine: "aurora-postgresql" };
  }

  async startRestore(req: StartRestoreRequest): Promise<{ restoreJobId: string }> {
    return this.call(req.region, "StartRestoreJob", () => {
      for (const job of this.world.restoreJobs.values()) if (job.token === req.idempotencyToken) return { restoreJobId: job.id };
      const data = this.world.dataOf(req.recoveryPointArn);
      if (data === undefined) throw new SandboxAwsError("ResourceNotFoundException", `recovery point ${req.recoveryPointArn} is not restorable`, "client");
      const clusterId = req.metadata["DBClusterIdentifier"];
      if (clusterId === undefined || req.metadata["Engine"] === undefined) {
        throw new SandboxAwsError("InvalidParameterValueException", "Metadata must include DBClusterIdentifier and Engine", "client");
      }
      const now = this.world.clock.now();
      const id = `restore-${this.world.random.hex(12)}`;
      this.world.stats.restoresStarted += 1;
      this.world.restoreJobs.set(id, {
        id,
        token: req.idempotencyToken,
        region: req.region,
        status: "PENDING",
        recoveryPointArn: req.recoveryPointArn,
        createdAt: now,
        clusterId,
        doneAt: now + draw(this.world.random, this.world.durations.clusterRestore),
        outcome: this.world.faults.restoreOutcomes.shift() ?? "COMPLETED",
        applied: false,
      });
      return { restoreJobId: id };
    });
  }

  async describeRestoreJob(q: { region: string; id: string }): Promise<RestoreJob> {
    const job = await this.call(q.region, "DescribeRestoreJob", () => {
      const j = this.world.restoreJobs.get(q.id);
      if (j === undefined) throw new SandboxAwsError("ResourceNotFoundException", `restore job ${q.id} not found`, "client");
      return j;
    }, q.id);
    const now = this.world.clock.now();
    if (job.status === "PENDING" && now > job.createdAt) job.status = "RUNNING";
    if (now >= job.doneAt && !job.applied && job.outcome !== "STUCK") {
      job.applied = true;
      if (job.outcome === "FAILED") {
        job.status = "FAILED";
        job.statusMessage = "The restore failed: insufficient capacity for the requested configuration";
      } else {
        // An AWS Backup restore of Aurora creates the cluster and no instance (aws.md).
        const cluster = await this.world.createCluster(job.clusterId, job.region, {}, this.world.dataOf(job.recoveryPointArn));
        cluster.status = "available";
        job.status = "COMPLETED";
        job.createdResourceArn = cluster.arn;
        job.completedAt = now;
      }
    }
    const { token: _t, clusterId: _c, doneAt: _d, outcome: _o, applied: _a, ...view } = job;
    return { ...view };
  }

  async listJobs(q: { region: string; kind: "backup" | "copy"; since: number }): Promise<BackupJobSummary[]> {
    return this.call(q.region, q.kind === "backup" ? "ListBackupJobs" : "ListCopyJobs", () =>
      this.world.jobs.filter((j) => j.kind === q.kind && j.region === q.region && j.createdAt >= q.since).map((j) => ({ ...j })),
    );
  }

  async describeVault(q: { region: string; vault: string }): Promise<VaultInfo | undefined> {
    return this.call(q.region, "DescribeBackupVault", () => {
      const v = this.world.vaults.get(`${q.region}/${q.vault}`);
      if (v === undefined) return undefined;
      const info: VaultInfo = { name: v.name, arn: v.arn, region: v.region, recoveryPoints: this.world.recoveryPoints.filter((p) => p.region === q.region && p.vault === q.vault).length };
      if (v.kmsKeyArn !== undefined) info.encryptionKeyArn = v.kmsKeyArn;
      return info;
    });
  }
}

/** KMS in the sandbox: the keys the programs created, with the state a test gives them. */
export class SandboxKeys extends SandboxService implements Keys {
  async describeKey(q: { region: string; keyArn: string }): Promise<KeyInfo | undefined> {
    return this.call(q.region, "DescribeKey", () => {
      const k = this.world.keys.get(q.keyArn);
      return k === undefined ? undefined : { arn: k.arn, state: k.state, enabled: k.state === "Enabled" };
    });
  }
}

function clusterInfo(c: SandboxCluster): ClusterInfo {
  return {
    id: c.id,
    arn: c.arn,
    region: c.region,
    status: c.status,
    endpoint: `${c.id}.cluster-sandbox.${c.region}.rds.amazonaws.com`,
    engine: "aurora-postgresql",
    instances: [...c.instances],
    tags: { ...c.tags },
  };
}

/** Amazon RDS in the sandbox. */
export class SandboxDatabases extends SandboxService implements Databases {
  /** A bounded wait on the injected clock: the caller's maximum and signal, backoff with jitter. */
  private poll<T>(what: string, q: WaitOptions, check: () => Promise<WaitCheck<T>>): Promise<T> {
    return waitFor({ clock: this.world.clock, what, maxWaitMs: q.maxWaitMs, signal: q.signal, minDelayMs: 30_000, maxDelayMs: 60_000, random: () => this.world.random.next(), check });
  }

  async describeCluster(q: { region: string; id: string }): Promise<ClusterInfo | undefined> {
    return this.call(q.region, "DescribeDBClusters", () => {
      const c = this.world.cluster(q.id);
      if (c === undefined || c.region !== q.region) return undefined;
      c.refresh(this.world.clock.now());
      return clusterInfo(c);
    });
  }

  async listClusters(q: { region: string }): Promise<ClusterInfo[]> {
    return this.call(q.region, "DescribeDBClusters", () =>
      [...this.world.clusters.values()].filter((c) => c.region === q.region && c.status !== "deleted").map((c) => (c.refresh(this.world.clock.now()), clusterInfo(c))),
    );
  }

  async createInstance(q: { region: string; clusterId: string; instanceId: string; instanceClass: string; tags: Record<string, string> }): Promise<void> {
    await this.call(q.region, "CreateDBInstance", () => {
      const c = this.clusterOrThrow(q.clusterId);
      if (c.instances.includes(q.instanceId) || c.pendingInstances.has(q.instanceId)) return;
      c.pendingInstances.set(q.instanceId, this.world.clock.now() + draw(this.world.random, this.world.durations.instanceCreate));
    }, q.instanceId);
  }

  waitForClusterAvailable(q: { region: string; id: string } & WaitOptions): Promise<ClusterInfo> {
    return this.poll(`cluster ${q.id} available`, q, async () => {
        const c = await this.describeCluster(q);
        if (c === undefined) return { state: "RETRY", observed: "not found" };
        return c.status === "available" ? { state: "SUCCESS", value: c } : { state: "RETRY", observed: c.status };
      });
  }

  waitForInstanceAvailable(q: { region: string; id: string } & WaitOptions): Promise<void> {
    return this.poll(`instance ${q.id} available`, q, async () => {
        const found = await this.call(q.region, "DescribeDBInstances", () => {
          for (const c of this.world.clusters.values()) {
            c.refresh(this.world.clock.now());
            if (c.instances.includes(q.id)) return "available";
            if (c.pendingInstances.has(q.id)) return "creating";
          }
          return "not found";
        });
        return found === "available" ? { state: "SUCCESS", value: undefined } : { state: "RETRY", observed: found };
      });
  }

  async createClusterSnapshot(q: { region: string; clusterId: string; snapshotId: string; tags: Record<string, string> }): Promise<ClusterSnapshotInfo> {
    const existing = [...this.world.snapshots.values()].find((s) => s.id === q.snapshotId && s.region === q.region);
    if (existing !== undefined) return this.snapshotView(existing);
    const c = await this.call(q.region, "CreateDBClusterSnapshot", () => this.clusterOrThrow(q.clusterId), q.clusterId);
    const now = this.world.clock.now();
    const copy = await this.world.clock.track(c.copy(now));
    const record = {
      id: q.snapshotId,
      arn: `arn:aws:rds:${q.region}:${this.world.account}:cluster-snapshot:${q.snapshotId}`,
      region: q.region,
      status: "creating",
      clusterId: c.id,
      createdAt: now,
      tags: { ...q.tags },
      readyAt: now + draw(this.world.random, this.world.durations.snapshotCreate),
      copy,
    };
    this.world.snapshots.set(record.arn, record);
    return this.snapshotView(record);
  }

  async copyClusterSnapshot(q: { sourceArn: string; targetRegion: string; targetId: string; kmsKeyId: string; tags: Record<string, string> }): Promise<ClusterSnapshotInfo> {
    const targetArn = `arn:aws:rds:${q.targetRegion}:${this.world.account}:cluster-snapshot:${q.targetId}`;
    const existing = this.world.snapshots.get(targetArn);
    if (existing !== undefined) return this.snapshotView(existing);
    const source = this.world.snapshots.get(q.sourceArn);
    // Called in the destination region, with the source as an ARN and a destination-region key (aws.md).
    return this.call(q.targetRegion, "CopyDBClusterSnapshot", () => {
      if (source === undefined) throw new SandboxAwsError("DBClusterSnapshotNotFoundFault", `snapshot ${q.sourceArn} not found`, "client");
      this.world.api(source.region, "CopyDBClusterSnapshot (source)");
      if (!q.kmsKeyId.includes(`:${q.targetRegion}:`)) {
        throw new SandboxAwsError("InvalidParameterValueException", `KmsKeyId must be a key of the destination region ${q.targetRegion}`, "client");
      }
      source.status = this.world.clock.now() >= source.readyAt ? "available" : source.status;
      if (source.status !== "available") throw new SandboxAwsError("InvalidDBClusterSnapshotStateFault", `snapshot ${source.id} is ${source.status}`, "client");
      const now = this.world.clock.now();
      const record = {
        id: q.targetId,
        arn: targetArn,
        region: q.targetRegion,
        status: "copying",
        clusterId: source.clusterId,
        createdAt: source.createdAt,
        kmsKeyId: q.kmsKeyId,
        tags: { ...q.tags },
        readyAt: now + draw(this.world.random, this.world.durations.snapshotCopy),
        ...(source.copy === undefined ? {} : { copy: source.copy }),
      };
      this.world.snapshots.set(targetArn, record);
      return this.snapshotView(record);
    }, q.sourceArn);
  }

  async describeClusterSnapshot(q: { region: string; id: string }): Promise<ClusterSnapshotInfo | undefined> {
    return this.call(q.region, "DescribeDBClusterSnapshots", () => {
      const s = [...this.world.snapshots.values()].find((x) => x.region === q.region && (x.id === q.id || x.arn === q.id));
      return s === undefined ? undefined : this.snapshotView(s);
    });
  }

  waitForSnapshotAvailable(q: { region: string; id: string } & WaitOptions): Promise<ClusterSnapshotInfo> {
    return this.poll(`snapshot ${q.id} available`, q, async () => {
        const s = await this.describeClusterSnapshot(q);
        if (s === undefined) return { state: "RETRY", observed: "not found" };
        return s.status === "available" ? { state: "SUCCESS", value: s } : { state: "RETRY", observed: s.status };
      });
  }

  async listClusterSnapshots(q: { region: string }): Promise<ClusterSnapshotInfo[]> {
    return this.call(q.region, "DescribeDBClusterSnapshots", () => [...this.world.snapshots.values()].filter((s) => s.region === q.region).map((s) => this.snapshotView(s)));
  }

  async deleteClusterSnapshot(q: { region: string; id: string }): Promise<void> {
    const s = [...this.world.snapshots.values()].find((x) => x.region === q.region && (x.id === q.id || x.arn === q.id));
    if (s === undefined) return;
    assertOwned("snapshot", q.id, q.region, s.tags);
    await this.call(q.region, "DeleteDBClusterSnapshot", () => void this.world.snapshots.delete(s.arn), q.id);
  }

  async restoreClusterToPointInTime(q: {
    region: string;
    sourceClusterId: string;
    targetClusterId: string;
    restoreTime: number;
    tags: Record<string, string>;
  }): Promise<ClusterInfo> {
    const existing = this.world.cluster(q.targetClusterId);
    if (existing !== undefined) return clusterInfo(existing);
    await this.call(q.region, "RestoreDBClusterToPointInTime", () => this.clusterOrThrow(q.sourceClusterId), q.sourceClusterId);
    try {
      return clusterInfo(await this.world.restoreToTime(q.sourceClusterId, q.restoreTime, q.targetClusterId, q.region, q.tags));
    } catch (error) {
      throw toAwsError(error, "RestoreDBClusterToPointInTime", q.sourceClusterId);
    }
  }

  async deleteCluster(q: { region: string; id: string; finalSnapshotId?: string; disableProtection?: boolean }): Promise<void> {
    const c = await this.call(q.region, "DescribeDBClusters", () => this.clusterOrThrow(q.id), q.id);
    assertOwned("cluster", q.id, q.region, c.tags);
    await this.call(q.region, "DeleteDBCluster", async () => {
      if (c.deletionProtection && q.disableProtection !== true) {
        throw new SandboxAwsError("InvalidParameterCombination", "Cannot delete protected Cluster, please disable deletion protection and try again.", "client");
      }
      if (q.finalSnapshotId !== undefined) await this.createClusterSnapshot({ region: q.region, clusterId: q.id, snapshotId: q.finalSnapshotId, tags: { ...c.tags } });
      await this.world.deleteCluster(c.id);
    }, q.id);
  }

  async tagCluster(q: { region: string; id: string; tags: Record<string, string> }): Promise<void> {
    await this.call(q.region, "AddTagsToResource", () => Object.assign(this.clusterOrThrow(q.id).tags, q.tags), q.id);
  }

  private snapshotView(s: { readyAt: number } & ClusterSnapshotInfo): ClusterSnapshotInfo {
    if (s.status !== "available" && this.world.clock.now() >= s.readyAt) s.status = "available";
    const { readyAt: _r, copy: _c, ...view } = s as typeof s & { copy?: unknown };
    return { ...view, tags: { ...s.tags } };
  }
}

/** Route 53 in the sandbox: health checks, failover records, resolution. */
export class SandboxTraffic extends SandboxService implements Traffic {
  /** What resolvers answer, and a change waiting for health-check detection and the TTL. */
  private answers = new Map<string, { answer: string[]; pending?: { answer: string[]; at: number } }>();
  /** Answer changes and when resolvers saw them (the RTO benchmark reads the modelled delay). */
  readonly switches: Array<{ name: string; to: string[]; noticedAt: number; visibleAt: number }> = [];

  async healthCheckStatus(q: { healthCheckId: string }): Promise<HealthCheckStatus> {
    // Route 53 health checkers and the DNS data plane are global: no region gate.
    const healthy = this.world.healthCheckHealthy(q.healthCheckId);
    if (healthy) return { state: "healthy" };
    const check = this.world.healthChecks.get(q.healthCheckId);
    const region = check === undefined ? undefined : this.world.workloads.get(check.host)?.region;
    const since = region === undefined ? undefined : this.world.faults.outages.get(region);
    return since === undefined ? { state: "unhealthy" } : { state: "unhealthy", since };
  }

  async forceFailover(q: { healthCheckId: string }): Promise<{ changeId: string }> {
    return this.call("us-east-1", "UpdateHealthCheck", () => {
      const check = this.world.healthChecks.get(q.healthCheckId);
      if (check === undefined) throw new SandboxAwsError("NoSuchHealthCheck", `health check ${q.healthCheckId} not found`, "client");
      check.inverted = true;
      return { changeId: `change-${this.world.random.hex(8)}` };
    }, q.healthCheckId);
  }

  async restorePrimary(q: { healthCheckId: string }): Promise<{ changeId: string }> {
    return this.call("us-east-1", "UpdateHealthCheck", () => {
      const check = this.world.healthChecks.get(q.healthCheckId);
      if (check === undefined) throw new SandboxAwsError("NoSuchHealthCheck", `health check ${q.healthCheckId} not found`, "client");
      check.inverted = false;
      return { changeId: `change-${this.world.random.hex(8)}` };
    }, q.healthCheckId);
  }

  async resolve(q: { zoneId: string; name: string; type: "A" | "AAAA" | "CNAME" }): Promise<string[]> {
    const now = this.world.clock.now();
    const truth = this.world.resolve(q.name);
    const known = this.answers.get(q.name);
    if (known === undefined) {
      this.answers.set(q.name, { answer: truth });
      return [...truth];
    }
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (same(truth, known.answer)) {
      delete known.pending;
    } else {
      // Route 53 notices after its checkers' failure threshold; resolvers follow after the TTL.
      if (known.pending === undefined || !same(known.pending.answer, truth)) {
        known.pending = { answer: truth, at: now + draw(this.world.random, this.world.durations.healthCheckDetection) + draw(this.world.random, this.world.durations.dnsPropagation) };
        this.switches.push({ name: q.name, to: truth, noticedAt: now, visibleAt: known.pending.at });
      }
      // A stuck DNS fault: resolvers keep the old answer whatever changes.
      if (now >= known.pending.at && !this.world.faults.dnsStuck) {
        known.answer = known.pending.answer;
        delete known.pending;
      }
    }
    return [...known.answer];
  }
}

/** HTTP health of sandbox workloads. */
export class SandboxHealth implements Health {
  constructor(private readonly world: SandboxWorld) {}

  async probe(q: { url: string; timeoutMs: number; readWrite?: boolean }): Promise<ProbeResult> {
    const host = new URL(q.url).host;
    const w = this.world.workloads.get(host);
    if (w === undefined || this.world.isOut(w.region)) return { ok: false, latencyMs: q.timeoutMs, reason: `no answer within ${q.timeoutMs} ms` };
    if (!this.world.workloadHealthy(host)) return { ok: false, status: 503, latencyMs: 40, reason: "database unhealthy", databaseHealthy: false };
    if (q.readWrite === true) {
      const c = this.world.workloadCluster(w)!;
      try {
        await this.world.clock.track(
          (async () => {
            await c.write(this.world.clock.now(), "CREATE TABLE IF NOT EXISTS pilotlight_probe (id bigserial PRIMARY KEY, at timestamptz NOT NULL)");
            await c.write(this.world.clock.now(), "INSERT INTO pilotlight_probe (at) VALUES ($1)", [new Date(this.world.clock.now()).toISOString()]);
          })(),
        );
      } catch (error) {
        return { ok: false, status: 503, latencyMs: 40, reason: `read/write probe failed: ${error instanceof Error ? error.message : String(error)}`, databaseHealthy: true };
      }
    }
    return { ok: true, status: 200, latencyMs: 40, databaseHealthy: true };
  }
}

/** SQL access to sandbox clusters (their PGlite). */
export class SandboxSqlAccess extends SandboxService implements SqlAccess {
  async open(at: DatabaseLocator): Promise<SqlClient> {
    const c = await this.call(at.region, "ExecuteStatement", () => this.clusterOrThrow(at.clusterArn), at.clusterArn);
    if (c.status !== "available" || c.instances.length === 0) {
      // A restored cluster without an instance accepts no connection (aws.md).
      throw new PilotlightError("aws.error", `cluster ${c.id} has no available instance: nothing can connect`, {
        source: "aws",
        hint: "create the writer instance first (a restore never creates one)",
      });
    }
    const sql = c.sql();
    const clock = this.world.clock;
    const world = this.world;
    const region = at.region;
    const client: SqlClient = {
      query: async <R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) => {
        world.api(region, "ExecuteStatement");
        const result = await clock.track(sql.query<R>(text, params));
        // Fencing changes what the workload generator may do: keep the cluster's flag in step.
        if (text.includes("default_transaction_read_only")) {
          const { rows } = await clock.track(sql.query<{ default_transaction_read_only: string }>("SHOW default_transaction_read_only"));
          c.readOnly = rows[0]?.default_transaction_read_only === "on";
        }
        return result;
      },
      transaction: (fn) => clock.track(sql.transaction(fn)),
      close: async () => undefined,
    };
    return client;
  }
}

/** Notifications in the sandbox: recorded, inspectable. */
export class SandboxNotifier implements Notifier {
  readonly sent: Notification[] = [];

  async notify(n: Notification): Promise<void> {
    this.sent.push(n);
  }
}
