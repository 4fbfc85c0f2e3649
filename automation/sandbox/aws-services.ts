import type { Transaction } from "@electric-sql/pglite";
import { isThrottling, toAwsError } from "../adapters/aws-errors";
import { assertDeletable, mayLiftProtection } from "../domain/tag-guard";
import { PilotlightError } from "../domain/errors";
import type { RecoveryPoint } from "../domain/recovery-point";
import { retry, waitFor, type WaitCheck } from "../engine/wait";
import type { Backups, BackupJobSummary, VaultInfo } from "../ports/backups";
import type { ClusterInfo, ClusterSnapshotInfo, Databases, WaitOptions } from "../ports/databases";
import type { Health, ProbeResult } from "../ports/health";
import type { KeyInfo, Keys } from "../ports/keys";
import type { Notification, Notifier } from "../ports/notifier";
import type { DatabaseLocator, SqlAccess } from "../ports/sql-access";
import type { HealthCheckStatus, Traffic, TrafficGate } from "../ports/traffic";
import type { SqlClient } from "../ports/sql";
import type { SandboxCluster } from "./cluster";
import { SandboxAwsError, type SandboxWorld } from "./world";
import type { JournalEntry } from "./world-folder";
import { writerOf, type SnapshotState } from "./world-state";
import { operationOf, type IamAction } from "../adapters/iam/action";
import type { CallerIdentity, DoctorProbes, SimulatedDecision } from "../ports/doctor";

/** Data API limits (Aurora User Guide, "Limitations for the Amazon RDS Data API"). */
const DATA_API_MAX_RESPONSE_BYTES = 1024 * 1024;
const MUTATING = /^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|DO|TRUNCATE|GRANT|REVOKE)\b/i;

/**
 * Shared call discipline of the sandbox's services, mirroring the AWS SDK's: every call passes
 * the world's gate (outages, throttling), throttling is retried with backoff like the SDK's
 * standard retry mode (5 attempts), and errors are translated once with {@link toAwsError}.
 */
abstract class SandboxService {
  constructor(protected readonly world: SandboxWorld) {}

  protected async call<T>(
    region: string,
    action: IamAction,
    fn: () => Promise<T> | T,
    resource?: string,
    also: readonly IamAction[] = [],
  ): Promise<T> {
    const operation = operationOf(action);
    try {
      return await retry(
        async () => {
          this.world.api(region, action, also);
          return await fn();
        },
        {
          clock: this.world.clock,
          retryable: isThrottling,
          maxAttempts: 5,
          baseDelayMs: 200,
          random: () => this.world.random.next(),
        },
      );
    } catch (error) {
      throw toAwsError(error, operation, resource);
    }
  }

  protected clusterOrThrow(idOrArn: string, region: string): SandboxCluster {
    const c = this.world.cluster(idOrArn);
    if (c === undefined || c.region !== region)
      throw new SandboxAwsError("DBClusterNotFoundFault", `DBCluster ${idOrArn} not found.`, "client");
    return c;
  }
}

/** AWS Backup in the sandbox (read-only, as pilotlight uses it). */
export class SandboxBackups extends SandboxService implements Backups {
  async listRecoveryPoints(q: { region: string; vault: string; resourceArn?: string }): Promise<RecoveryPoint[]> {
    return this.call(
      q.region,
      "backup:ListRecoveryPointsByBackupVault",
      () => {
        if (this.world.s.vaults[`${q.region}/${q.vault}`] === undefined) {
          throw new SandboxAwsError(
            "ResourceNotFoundException",
            `Backup vault ${q.vault} does not exist in ${q.region}`,
            "client",
          );
        }
        return this.world.s.recoveryPoints
          .filter(
            (p) =>
              p.region === q.region &&
              p.vault === q.vault &&
              (q.resourceArn === undefined || p.sourceResourceArn === q.resourceArn),
          )
          .map((p) => ({
            arn: p.arn,
            vault: p.vault,
            region: p.region,
            createdAt: p.createdAt,
            kind: p.kind,
            sourceResourceArn: p.sourceResourceArn,
            status: p.status,
            ...(p.copiedFrom === undefined ? {} : { copiedFrom: p.copiedFrom }),
          }));
      },
      q.vault,
    );
  }

  async listJobs(q: { region: string; kind: "backup" | "copy"; since: number }): Promise<BackupJobSummary[]> {
    return this.call(q.region, q.kind === "backup" ? "backup:ListBackupJobs" : "backup:ListCopyJobs", () =>
      this.world.s.jobs
        .filter((j) => j.kind === q.kind && j.region === q.region && j.createdAt >= q.since)
        .map((j) => ({ ...j })),
    );
  }

  async describeVault(q: { region: string; vault: string }): Promise<VaultInfo | undefined> {
    return this.call(q.region, "backup:DescribeBackupVault", () => {
      const v = this.world.s.vaults[`${q.region}/${q.vault}`];
      if (v === undefined) return undefined;
      const info: VaultInfo = {
        name: v.name,
        arn: v.arn,
        region: v.region,
        recoveryPoints: this.world.s.recoveryPoints.filter((p) => p.region === q.region && p.vault === q.vault).length,
      };
      if (v.kmsKeyArn !== undefined) info.encryptionKeyArn = v.kmsKeyArn;
      return info;
    });
  }

  async regionSettings(q: { region: string }): Promise<{ optIn: Record<string, boolean> }> {
    return this.call(q.region, "backup:DescribeRegionSettings", () => ({
      optIn: { ...(this.world.s.backupOptIn[q.region] ?? { Aurora: false }) },
    }));
  }
}

/** KMS in the sandbox: the keys the programs created, with the state a fault gives them. */
export class SandboxKeys extends SandboxService implements Keys {
  async describeKey(q: { region: string; keyArn: string }): Promise<KeyInfo | undefined> {
    return this.call(q.region, "kms:DescribeKey", () => {
      const k = this.world.s.keys[q.keyArn];
      return k === undefined ? undefined : { arn: k.arn, state: k.state, enabled: k.state === "Enabled" };
    });
  }
}

/** A cluster as `DescribeDBClusters` shows it. */
export function clusterInfo(c: SandboxCluster): ClusterInfo {
  const s = c.state;
  return {
    id: s.id,
    arn: s.arn,
    region: s.region,
    status: s.status,
    endpoint: `${s.id}.cluster-sandbox.${s.region}.rds.amazonaws.com`,
    engine: "aurora-postgresql",
    engineVersion: s.engineVersion,
    instances: s.instances.map((i) => ({
      id: i.id,
      writer: i === writerOf(s.instances),
      instanceClass: i.instanceClass,
      status: i.status,
    })),
    tags: { ...s.tags },
    httpEndpointEnabled: s.httpEndpointEnabled,
    deletionProtection: s.deletionProtection,
  };
}

/** Amazon RDS in the sandbox. */
export class SandboxDatabases extends SandboxService implements Databases {
  /** A bounded wait on the injected clock: the caller's maximum and signal, backoff with jitter. */
  private poll<T>(what: string, q: WaitOptions, check: () => Promise<WaitCheck<T>>): Promise<T> {
    return waitFor({
      clock: this.world.clock,
      what,
      maxWaitMs: q.maxWaitMs,
      signal: q.signal,
      minDelayMs: 30_000,
      maxDelayMs: 60_000,
      random: () => this.world.random.next(),
      check,
    });
  }

  async describeCluster(q: { region: string; id: string }): Promise<ClusterInfo | undefined> {
    return this.call(q.region, "rds:DescribeDBClusters", () => {
      const c = this.world.cluster(q.id);
      if (c === undefined || c.region !== q.region) return undefined;
      // The adapter asks DescribeDBInstances for the members' classes and states.
      if (c.state.instances.length > 0) this.world.api(q.region, "rds:DescribeDBInstances");
      return clusterInfo(c);
    });
  }

  async listClusters(q: { region: string }): Promise<ClusterInfo[]> {
    return this.call(q.region, "rds:DescribeDBClusters", () => this.world.liveClusters(q.region).map(clusterInfo));
  }

  async createClusterSnapshot(q: {
    region: string;
    clusterId: string;
    snapshotId: string;
    tags: Record<string, string>;
  }): Promise<ClusterSnapshotInfo> {
    // As the adapter: a snapshot requested before (a resumed step) is returned, not refused.
    const existing = await this.describeClusterSnapshot({ region: q.region, id: q.snapshotId });
    if (existing !== undefined) return existing;
    const c = await this.call(
      q.region,
      "rds:CreateDBClusterSnapshot",
      () => this.snapshotable(q.region, q.clusterId, q.snapshotId),
      q.clusterId,
      ["rds:AddTagsToResource"],
    );
    return this.snapshotView(await this.snapshotNow(c, q.snapshotId, q.tags));
  }

  /** The cluster a snapshot may be taken of now (`CreateDBClusterSnapshot`'s refusals). */
  private snapshotable(region: string, clusterId: string, snapshotId: string): SandboxCluster {
    const arn = `arn:aws:rds:${region}:${this.world.s.account}:cluster-snapshot:${snapshotId}`;
    if (this.world.s.snapshots[arn] !== undefined) {
      throw new SandboxAwsError(
        "DBClusterSnapshotAlreadyExistsFault",
        `Cannot create the cluster snapshot because one with the identifier ${snapshotId} already exists.`,
        "client",
      );
    }
    const cluster = this.clusterOrThrow(clusterId, region);
    if (cluster.status !== "available")
      throw new SandboxAwsError(
        "InvalidDBClusterStateFault",
        `DBCluster ${clusterId} is not in the available state`,
        "client",
      );
    return cluster;
  }

  private async snapshotNow(
    c: SandboxCluster,
    snapshotId: string,
    tags: Record<string, string>,
  ): Promise<SnapshotState> {
    const now = this.world.now();
    const record: SnapshotState = {
      id: snapshotId,
      arn: `arn:aws:rds:${c.region}:${this.world.s.account}:cluster-snapshot:${snapshotId}`,
      region: c.region,
      status: "creating",
      clusterId: c.id,
      createdAt: now,
      tags: { ...tags },
      readyAt: now + this.world.draw(this.world.s.durations.snapshotCreate),
      engineVersion: c.state.engineVersion,
    };
    this.world.s.snapshots[record.arn] = record;
    this.world.commit();
    record.data = await c.copy(this.world.dataFile("snapshot"));
    this.world.commit();
    return record;
  }

  async copyClusterSnapshot(q: {
    sourceArn: string;
    targetRegion: string;
    targetId: string;
    kmsKeyId: string;
    tags: Record<string, string>;
  }): Promise<ClusterSnapshotInfo> {
    const targetArn = `arn:aws:rds:${q.targetRegion}:${this.world.s.account}:cluster-snapshot:${q.targetId}`;
    const existing = await this.describeClusterSnapshot({ region: q.targetRegion, id: q.targetId });
    if (existing !== undefined) return existing; // resumed: the copy was requested before
    // Called in the destination region, with the source as an ARN and a destination-region key
    // (RDS API Reference, CopyDBClusterSnapshot).
    return this.call(
      q.targetRegion,
      "rds:CopyDBClusterSnapshot",
      () => {
        if (this.world.s.snapshots[targetArn] !== undefined) {
          throw new SandboxAwsError(
            "DBClusterSnapshotAlreadyExistsFault",
            `Cannot copy the cluster snapshot because one with the identifier ${q.targetId} already exists.`,
            "client",
          );
        }
        const source = this.world.s.snapshots[q.sourceArn];
        if (source === undefined)
          throw new SandboxAwsError(
            "DBClusterSnapshotNotFoundFault",
            `DBClusterSnapshot ${q.sourceArn} not found.`,
            "client",
          );
        this.world.api(source.region, "rds:CopyDBClusterSnapshot"); // the source region must answer
        if (!q.kmsKeyId.includes(`:${q.targetRegion}:`)) {
          throw new SandboxAwsError(
            "InvalidParameterValueException",
            `KmsKeyId must be a key of the destination region ${q.targetRegion}`,
            "client",
          );
        }
        if (this.world.snapshotStatus(source.arn) !== "available") {
          throw new SandboxAwsError(
            "InvalidDBClusterSnapshotStateFault",
            `DBClusterSnapshot ${source.id} is ${source.status}`,
            "client",
          );
        }
        const now = this.world.now();
        const record: SnapshotState = {
          id: q.targetId,
          arn: targetArn,
          region: q.targetRegion,
          status: "copying",
          clusterId: source.clusterId,
          createdAt: source.createdAt,
          kmsKeyId: q.kmsKeyId,
          tags: { ...q.tags },
          readyAt: now + this.world.draw(this.world.s.durations.snapshotCopy),
          engineVersion: source.engineVersion,
          ...(source.data === undefined ? {} : { data: source.data }),
        };
        this.world.s.snapshots[targetArn] = record;
        this.world.commit();
        return this.snapshotView(record);
      },
      q.sourceArn,
      ["rds:AddTagsToResource"],
    );
  }

  async describeClusterSnapshot(q: { region: string; id: string }): Promise<ClusterSnapshotInfo | undefined> {
    return this.call(q.region, "rds:DescribeDBClusterSnapshots", () => {
      const s = Object.values(this.world.s.snapshots).find(
        (x) => x.region === q.region && (x.id === q.id || x.arn === q.id),
      );
      if (s !== undefined) return this.snapshotView(s);
      // An AWS Backup recovery point of Aurora is an RDS cluster snapshot (`awsbackup:…`).
      const p = this.world.s.recoveryPoints.find((x) => x.region === q.region && x.arn === q.id);
      if (p === undefined) return undefined;
      const info: ClusterSnapshotInfo = {
        id: p.arn.split(":cluster-snapshot:")[1] ?? p.arn,
        arn: p.arn,
        region: p.region,
        status: p.status === "COMPLETED" ? "available" : "creating",
        clusterId: p.sourceResourceArn.split(":").pop() ?? "",
        createdAt: p.createdAt,
        snapshotType: "awsbackup",
        tags: {},
      };
      const engine = p.data === undefined ? undefined : this.world.s.clusters[p.data.sourceUid]?.engineVersion;
      if (engine !== undefined) info.engineVersion = engine;
      return info;
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
    return this.call(q.region, "rds:DescribeDBClusterSnapshots", () =>
      Object.values(this.world.s.snapshots)
        .filter((s) => s.region === q.region)
        .map((s) => this.snapshotView(s)),
    );
  }

  async deleteClusterSnapshot(q: { region: string; id: string }): Promise<void> {
    await this.call(q.region, "rds:DescribeDBClusterSnapshots", () => undefined); // the adapter's guard reads the tags
    const s = Object.values(this.world.s.snapshots).find(
      (x) => x.region === q.region && (x.id === q.id || x.arn === q.id),
    );
    if (s === undefined) {
      if (this.world.s.recoveryPoints.some((p) => p.arn === q.id)) {
        // AWS Backup's snapshots are deleted through AWS Backup (Aurora User Guide, "Deleting a DB cluster snapshot").
        throw toAwsError(
          new SandboxAwsError("InvalidDBClusterSnapshotStateFault", "Only manual snapshots may be deleted.", "client"),
          "DeleteDBClusterSnapshot",
          q.id,
        );
      }
      return;
    }
    assertDeletable("snapshot", q.id, q.region, s.tags);
    await this.call(
      q.region,
      "rds:DeleteDBClusterSnapshot",
      () => {
        if (this.world.snapshotStatus(s.arn) !== "available") {
          throw new SandboxAwsError(
            "InvalidDBClusterSnapshotStateFault",
            `The DB cluster snapshot must be in the available state to be deleted (${s.id} is ${s.status}).`,
            "client",
          );
        }
        delete this.world.s.snapshots[s.arn];
        this.world.commit();
      },
      q.id,
    );
  }

  async deleteCluster(q: { region: string; id: string; finalSnapshotId?: string } & WaitOptions): Promise<void> {
    if ((await this.describeCluster(q)) === undefined) return; // the adapter's guard reads the tags
    const c = this.world.cluster(q.id);
    if (c === undefined || c.region !== q.region) return;
    assertDeletable("cluster", q.id, q.region, c.tags);
    if (c.state.deletionProtection) {
      if (!mayLiftProtection(c.tags)) {
        throw new PilotlightError(
          "guard.protected",
          `refusing to lift the deletion protection of cluster ${q.id}: pilotlight did not set it`,
          {
            source: "user",
            hint: "turn the protection off yourself if this cluster is really to go",
            details: { cluster: q.id, region: q.region },
          },
        );
      }
      await this.call(
        q.region,
        "rds:ModifyDBCluster",
        () => {
          c.state.deletionProtection = false;
          this.world.commit();
        },
        q.id,
      );
    }
    // Instances first: a cluster with instances cannot be deleted (Aurora User Guide, "Deleting
    // Aurora DB clusters and DB instances").
    for (const i of c.state.instances.filter((x) => x.status !== "deleting")) {
      await this.call(
        q.region,
        "rds:DeleteDBInstance",
        () => {
          i.status = "deleting";
          i.readyAt = this.world.now() + this.world.draw(this.world.s.durations.instanceDelete);
          this.world.commit();
        },
        i.id,
      );
    }
    // DeleteDBCluster takes the final snapshot itself (FinalDBSnapshotIdentifier), copying the
    // cluster's tags onto it: that needs the snapshot permissions too.
    const final = q.finalSnapshotId;
    if (
      final !== undefined &&
      c.status === "available" &&
      this.world.s.snapshots[`arn:aws:rds:${q.region}:${this.world.s.account}:cluster-snapshot:${final}`] === undefined
    ) {
      await this.call(q.region, "rds:DeleteDBCluster", () => this.snapshotable(q.region, q.id, final), q.id, [
        "rds:CreateDBClusterSnapshot",
        "rds:AddTagsToResource",
      ]);
      await this.snapshotNow(c, final, c.tags);
    }
    await this.call(q.region, "rds:DeleteDBCluster", () => deleteClusterNow(this.world, c), q.id);
    await this.poll(`cluster ${q.id} deleted`, q, async () => {
      const left = await this.describeCluster({ region: q.region, id: q.id });
      return left === undefined ? { state: "SUCCESS", value: undefined } : { state: "RETRY", observed: left.status };
    });
  }

  async tagCluster(q: { region: string; id: string; tags: Record<string, string> }): Promise<void> {
    await this.describeCluster(q); // the adapter tags by ARN, which it reads first
    await this.call(
      q.region,
      "rds:AddTagsToResource",
      () => {
        Object.assign(this.clusterOrThrow(q.id, q.region).state.tags, q.tags);
        this.world.commit();
      },
      q.id,
    );
  }

  async enableHttpEndpoint(q: { region: string; clusterArn: string }): Promise<void> {
    await this.call(
      q.region,
      "rds:EnableHttpEndpoint",
      () => {
        const c = this.world.cluster(q.clusterArn);
        if (c === undefined)
          throw new SandboxAwsError("ResourceNotFoundFault", `DBCluster ${q.clusterArn} not found.`, "client");
        if (c.status !== "available")
          throw new SandboxAwsError(
            "InvalidResourceStateFault",
            `DBCluster ${c.id} is ${c.status}: another operation is in progress`,
            "client",
          );
        c.state.httpEndpointEnabled = true;
        this.world.commit();
      },
      q.clusterArn,
    );
  }

  private snapshotView(s: SnapshotState): ClusterSnapshotInfo {
    const status = this.world.snapshotStatus(s.arn) ?? s.status;
    const view: ClusterSnapshotInfo = {
      id: s.id,
      arn: s.arn,
      region: s.region,
      status,
      clusterId: s.clusterId,
      createdAt: s.createdAt,
      engineVersion: s.engineVersion,
      snapshotType: "manual",
      tags: { ...s.tags },
    };
    if (s.kmsKeyId !== undefined) view.kmsKeyId = s.kmsKeyId;
    return view;
  }
}

/**
 * `DeleteDBCluster` as RDS answers it: refused while instances remain that are not themselves
 * being deleted (`InvalidDBClusterStateFault`), and while the protection holds.
 */
export function deleteClusterNow(world: SandboxWorld, c: SandboxCluster): void {
  if (c.state.deletionProtection) {
    throw new SandboxAwsError(
      "InvalidParameterCombination",
      "Cannot delete protected Cluster, please disable deletion protection and try again.",
      "client",
    );
  }
  if (c.state.instances.some((i) => i.status !== "deleting")) {
    throw new SandboxAwsError(
      "InvalidDBClusterStateFault",
      "Cluster cannot be deleted, it still contains DB instances in non-deleting state.",
      "client",
    );
  }
  if (c.status === "deleting") return;
  world.startClusterDeletion(c);
}

/** Route 53 and the traffic gate in the sandbox. */
export class SandboxTraffic extends SandboxService implements Traffic {
  async healthCheckStatus(q: { healthCheckId: string }): Promise<HealthCheckStatus> {
    try {
      this.world.controlPlane("route53:GetHealthCheckStatus");
    } catch (error) {
      return { state: "unknown", reason: toAwsError(error, "GetHealthCheckStatus", q.healthCheckId).message };
    }
    const check = this.world.s.healthChecks[q.healthCheckId];
    if (check === undefined) return { state: "unknown", reason: `health check ${q.healthCheckId} does not exist` };
    // The checkers report the endpoint as they measure it: not inverted (research: route53-pulumi.md R1).
    const endpoint = check.host !== undefined && this.world.workloadHealthy(check.host);
    return { state: endpoint ? "healthy" : "unhealthy" };
  }

  async setGate(q: { gate: TrafficGate; value: 0 | 1 }): Promise<{ changeId: string }> {
    // CloudWatch PutMetricData in the gate's region: data plane, no Route 53 call.
    return this.call(
      q.gate.region,
      "cloudwatch:PutMetricData",
      () => {
        const now = this.world.now();
        this.world.s.metrics[
          `${q.gate.region}/${q.gate.namespace}/${q.gate.metric}/${dimensionKey(q.gate.dimensions)}`
        ] = { value: q.value, at: now };
        this.world.commit();
        return { changeId: `${q.gate.metric}=${q.value}@${now}` };
      },
      q.gate.metric,
    );
  }

  async gateState(q: { gate: TrafficGate }): Promise<"OK" | "ALARM" | "INSUFFICIENT_DATA" | "unknown"> {
    try {
      return await this.call(q.gate.region, "cloudwatch:DescribeAlarmsForMetric", () => {
        const metric = `${q.gate.namespace}/${q.gate.metric}/${dimensionKey(q.gate.dimensions)}`;
        const alarm = Object.values(this.world.s.alarms).find((a) => a.region === q.gate.region && a.metric === metric);
        return alarm === undefined ? "INSUFFICIENT_DATA" : this.world.alarmState(alarm.region, alarm.name);
      });
    } catch {
      return "unknown";
    }
  }

  async resolve(q: { zoneId: string; name: string; nameServers: string[] }): Promise<string[]> {
    // A DNS query to the zone's authoritative servers: Route 53's data plane, always up here.
    return this.world.answer(q.name, "authoritative");
  }
}

/** How a metric's dimensions are keyed in the world (stable order). */
export function dimensionKey(d: Record<string, string>): string {
  return Object.keys(d)
    .sort()
    .map((k) => `${k}=${d[k]}`)
    .join(",");
}

/** HTTP health of sandbox workloads (a function URL per workload). */
export class SandboxHealth implements Health {
  constructor(private readonly world: SandboxWorld) {}

  async probe(q: { url: string; timeoutMs: number; readWrite?: boolean }): Promise<ProbeResult> {
    const host = new URL(q.url).host;
    const status = this.world.workloadStatus(host);
    if (status === "no-answer")
      return { ok: false, latencyMs: q.timeoutMs, reason: `no answer within ${q.timeoutMs} ms` };
    if (status === 403)
      return {
        ok: false,
        status: 403,
        latencyMs: 20,
        reason: "403 Forbidden: the function URL's resource policy does not allow public invocation",
      };
    if (status === 503)
      return { ok: false, status: 503, latencyMs: 40, reason: "database unhealthy", databaseHealthy: false };
    if (q.readWrite === true) {
      const c = this.world.workloadCluster(host)!;
      try {
        await c.write(
          "CREATE TABLE IF NOT EXISTS pilotlight_probe (id bigserial PRIMARY KEY, at timestamptz NOT NULL)",
          [],
          "probe",
        );
        await c.write(
          "INSERT INTO pilotlight_probe (at) VALUES ($1)",
          [new Date(this.world.now()).toISOString()],
          "probe",
        );
      } catch (error) {
        return {
          ok: false,
          status: 503,
          latencyMs: 40,
          reason: `read/write probe failed: ${error instanceof Error ? error.message : String(error)}`,
          databaseHealthy: true,
        };
      }
    }
    return { ok: true, status: 200, latencyMs: 40, databaseHealthy: true };
  }
}

/**
 * The RDS Data API in the sandbox: SQL against the cluster's PostgreSQL with the API's rules —
 * the HTTP endpoint must be on, a writer instance available and not of a T class; every statement
 * outside a transaction is a session of its own (no `SET` survives it); a response above 1 MiB
 * is refused (Aurora User Guide, "Limitations for the Amazon RDS Data API"). Rows come back as
 * JSON, as `formatRecordsAs: JSON` returns them.
 */
export class SandboxSqlAccess extends SandboxService implements SqlAccess {
  readonly limits = { maxResponseBytes: DATA_API_MAX_RESPONSE_BYTES, statementTimeoutMs: 45_000, sessions: false };

  async open(at: DatabaseLocator): Promise<SqlClient> {
    const world = this.world;
    const cluster = (action: IamAction): SandboxCluster =>
      (() => {
        // The Data API reads the secret on the caller's behalf (secretsmanager:GetSecretValue).
        world.api(at.region, action, ["secretsmanager:GetSecretValue"]);
        const c = world.cluster(at.clusterArn);
        if (c === undefined || c.region !== at.region)
          throw new SandboxAwsError("NotFoundException", `The resourceArn ${at.clusterArn} can't be found.`, "client");
        if (!c.state.httpEndpointEnabled)
          throw new SandboxAwsError(
            "HttpEndpointNotEnabledException",
            `HttpEndpoint is not enabled for cluster ${c.id}. Please refer to https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.html#data-api.troubleshooting`,
            "client",
          );
        const writer = writerOf(c.state.instances);
        if (writer === undefined)
          throw new SandboxAwsError(
            "DatabaseNotFoundException",
            `The DB cluster ${c.id} doesn't have a DB instance.`,
            "client",
          );
        if (writer.status !== "available" || c.status !== "available")
          throw new SandboxAwsError(
            "DatabaseUnavailableException",
            `The writer instance in the DB cluster ${c.id} isn't available.`,
            "server",
          );
        if (writer.instanceClass.startsWith("db.t")) {
          throw new SandboxAwsError(
            "BadRequestException",
            `The RDS Data API doesn't support the ${writer.instanceClass} instance class (T classes are not supported).`,
            "client",
          );
        }
        return c;
      })();
    try {
      cluster("rds-data:ExecuteStatement");
    } catch (error) {
      throw toAwsError(error, "ExecuteStatement", at.clusterArn);
    }
    const run = async <R extends Record<string, unknown>>(
      q: { query: (t: string, p?: unknown[]) => Promise<{ rows: unknown[]; affectedRows?: number }> },
      text: string,
      params: readonly unknown[] | undefined,
      journal: JournalEntry[],
    ) => {
      let res;
      try {
        res = await q.query(text, params as unknown[] | undefined);
      } catch (error) {
        throw new SandboxAwsError(
          "DatabaseErrorException",
          `Database error: ${error instanceof Error ? error.message : String(error)}`,
          "client",
        );
      }
      if (MUTATING.test(text))
        journal.push({ at: world.now(), sql: text, params: [...(params ?? [])], by: "pilotlight" });
      const json = JSON.stringify(res.rows);
      if (json.length > DATA_API_MAX_RESPONSE_BYTES) {
        throw new SandboxAwsError(
          "UnsupportedResultException",
          `The result of ${json.length} bytes is larger than the Data API's 1 MiB limit.`,
          "client",
        );
      }
      return { rows: JSON.parse(json) as R[], rowCount: res.affectedRows ?? res.rows.length };
    };
    const settle = async (c: SandboxCluster, journal: JournalEntry[], text: string) => {
      if (journal.length > 0) {
        world.folder.appendJournal(c.uid, journal);
        c.state.journalLength += journal.length;
        world.commit();
      }
      if (/ALTER\s+DATABASE/i.test(text)) await c.syncReadOnly(await c.db());
    };
    const client: SqlClient = {
      query: async <R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) => {
        try {
          const c = cluster("rds-data:ExecuteStatement");
          const journal: JournalEntry[] = [];
          const result = await world.track(c.session((db) => run<R>(db, text, params, journal)));
          await world.track(settle(c, journal, journal.map((j) => j.sql).join("\n")));
          return result;
        } catch (error) {
          throw toAwsError(error, "ExecuteStatement", at.clusterArn);
        }
      },
      transaction: async <T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> => {
        let c: SandboxCluster;
        try {
          c = cluster("rds-data:BeginTransaction");
        } catch (error) {
          throw toAwsError(error, "BeginTransaction", at.clusterArn);
        }
        const journal: JournalEntry[] = [];
        const result = await world.track(
          c
            .session((db) =>
              db.transaction(async (t: Transaction) => {
                const tx: SqlClient = {
                  query: async <R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) => {
                    try {
                      world.api(at.region, "rds-data:ExecuteStatement");
                      return await run<R>(t, text, params, journal);
                    } catch (error) {
                      throw toAwsError(error, "ExecuteStatement", at.clusterArn);
                    }
                  },
                  transaction: (inner) => inner(tx),
                  close: async () => undefined,
                };
                return fn(tx);
              }),
            )
            .then(
              (value) => {
                world.record("rds-data:CommitTransaction");
                return value;
              },
              (error: unknown) => {
                world.record("rds-data:RollbackTransaction");
                throw error;
              },
            ),
        );
        await world.track(settle(c, journal, journal.map((j) => j.sql).join("\n")));
        return result;
      },
      close: async () => undefined,
    };
    return client;
  }
}

/** Notifications in the sandbox: kept with the world (the last 200), inspectable. */
export class SandboxNotifier implements Notifier {
  constructor(
    private readonly world: SandboxWorld,
    /** An SNS topic: publishing is an SNS call in the topic's region (down with it). */
    private readonly topicArn?: string,
  ) {}

  get sent(): Notification[] {
    return this.world.s.notifications;
  }

  async notify(n: Notification): Promise<void> {
    if (this.topicArn !== undefined) {
      try {
        this.world.api(this.topicArn.split(":")[3]!, "sns:Publish");
      } catch (error) {
        throw toAwsError(error, "Publish", this.topicArn);
      }
    }
    this.world.s.notifications.push(n);
    if (this.world.s.notifications.length > 200)
      this.world.s.notifications.splice(0, this.world.s.notifications.length - 200);
    this.world.commit();
  }
}

/** Aurora PostgreSQL versions RDS offers in the sandbox's regions (majors 13–17). */
const SANDBOX_ORDERABLE = /^1[3-7](\.\d+)?$/;

/**
 * The doctor's questions in the sandbox: an operator role (the sandbox evaluates no IAM policy:
 * every simulated action is allowed), RDS's offer, the world's functions and its public zone.
 */
export class SandboxDoctorProbes extends SandboxService implements DoctorProbes {
  async identity(): Promise<CallerIdentity> {
    // sts:GetCallerIdentity needs no permission: not recorded as an action.
    return {
      account: this.world.s.account,
      arn: `arn:aws:sts::${this.world.s.account}:assumed-role/pilotlight-operator/sandbox`,
    };
  }

  async principalOf(callerArn: string): Promise<string> {
    const m = /:assumed-role\/([^/]+)\//.exec(callerArn);
    if (m === null) return callerArn;
    return this.call("us-east-1", "iam:GetRole", () => `arn:aws:iam::${this.world.s.account}:role/${m[1]}`);
  }

  async simulate(q: { principalArn: string; actions: string[] }): Promise<SimulatedDecision[]> {
    return this.call("us-east-1", "iam:SimulatePrincipalPolicy", () =>
      q.actions.map((action) => ({ action, decision: "allowed" as const })),
    );
  }

  async orderable(q: { region: string; engineVersion: string; instanceClass: string }): Promise<boolean> {
    return this.call(
      q.region,
      "rds:DescribeOrderableDBInstanceOptions",
      () => SANDBOX_ORDERABLE.test(q.engineVersion) && /^db\.[a-z0-9]+(\.[a-z0-9]+)?$/.test(q.instanceClass),
    );
  }

  async functionRuntime(q: { region: string; name: string }): Promise<string | undefined> {
    return this.call(q.region, "lambda:GetFunctionConfiguration", () => {
      const fn = this.world.s.functions[q.name];
      return fn === undefined || fn.region !== q.region ? undefined : fn.runtime;
    });
  }

  async zone(_q: { zoneId: string }): Promise<{ name: string; private: boolean } | undefined> {
    this.world.controlPlane("route53:GetHostedZone");
    return { name: "sandbox.internal.", private: false };
  }
}
