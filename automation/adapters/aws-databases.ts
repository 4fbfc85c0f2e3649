import {
  AddTagsToResourceCommand,
  CopyDBClusterSnapshotCommand,
  CreateDBClusterSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  EnableHttpEndpointCommand,
  ModifyDBClusterCommand,
  RDSClient,
  paginateDescribeDBClusters,
  paginateDescribeDBClusterSnapshots,
  type DBCluster,
  type DBClusterSnapshot,
  type Tag,
} from "@aws-sdk/client-rds";
import { PilotlightError } from "../domain/errors";
import { waitFor, type WaitCheck } from "../engine/wait";
import type { Clock } from "../ports/clock";
import type { ClusterInfo, ClusterSnapshotInfo, Databases, WaitOptions } from "../ports/databases";
import { toAwsError } from "./aws-errors";
import { assertDeletable, mayLiftProtection } from "../domain/tag-guard";
import type { IamAction } from "./iam/action";

/**
 * The AWS calls of each method, as IAM actions (the policy generator reads them). A final
 * snapshot taken by `DeleteDBCluster` is a snapshot creation, and RDS copies the cluster's tags
 * onto it: it needs `rds:CreateDBClusterSnapshot` and `rds:AddTagsToResource` too.
 */
export const DATABASE_ACTIONS = {
  describeCluster: ["rds:DescribeDBClusters", "rds:DescribeDBInstances"],
  listClusters: ["rds:DescribeDBClusters"],
  createClusterSnapshot: ["rds:DescribeDBClusterSnapshots", "rds:CreateDBClusterSnapshot", "rds:AddTagsToResource"],
  copyClusterSnapshot: ["rds:DescribeDBClusterSnapshots", "rds:CopyDBClusterSnapshot", "rds:AddTagsToResource"],
  describeClusterSnapshot: ["rds:DescribeDBClusterSnapshots"],
  waitForSnapshotAvailable: ["rds:DescribeDBClusterSnapshots"],
  listClusterSnapshots: ["rds:DescribeDBClusterSnapshots"],
  deleteClusterSnapshot: ["rds:DescribeDBClusterSnapshots", "rds:DeleteDBClusterSnapshot"],
  deleteCluster: [
    "rds:DescribeDBClusters",
    "rds:DescribeDBInstances",
    "rds:ModifyDBCluster",
    "rds:DeleteDBInstance",
    "rds:DeleteDBCluster",
    "rds:CreateDBClusterSnapshot",
    "rds:AddTagsToResource",
  ],
  tagCluster: ["rds:DescribeDBClusters", "rds:DescribeDBInstances", "rds:AddTagsToResource"],
  enableHttpEndpoint: ["rds:EnableHttpEndpoint"],
} as const satisfies Record<keyof Databases, readonly IamAction[]>;

/** Creates an RDS client for a region (injected in tests). */
export type RdsClientFactory = (region: string) => RDSClient;

/** Default client: default credential chain, adaptive retries. */
export const defaultRdsClient: RdsClientFactory = (region) =>
  new RDSClient({ region, retryMode: "adaptive", maxAttempts: 6 });

const tagsOf = (list: Tag[] | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
const tagList = (tags: Record<string, string>): Tag[] => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const NOT_FOUND = new Set([
  "DBClusterNotFoundFault",
  "DBClusterSnapshotNotFoundFault",
  "DBInstanceNotFound",
  "DBInstanceNotFoundFault",
]);

function clusterInfo(c: DBCluster, region: string): ClusterInfo {
  const info: ClusterInfo = {
    id: c.DBClusterIdentifier ?? "",
    arn: c.DBClusterArn ?? "",
    region,
    status: c.Status ?? "unknown",
    engine: c.Engine ?? "",
    instances: (c.DBClusterMembers ?? []).map((m) => ({
      id: m.DBInstanceIdentifier ?? "",
      writer: m.IsClusterWriter === true,
    })),
    tags: tagsOf(c.TagList),
    httpEndpointEnabled: c.HttpEndpointEnabled === true,
    deletionProtection: c.DeletionProtection === true,
  };
  if (c.Endpoint !== undefined) info.endpoint = c.Endpoint;
  if (c.EngineVersion !== undefined) info.engineVersion = c.EngineVersion;
  if (c.LatestRestorableTime !== undefined) info.latestRestorableTime = c.LatestRestorableTime.getTime();
  if (c.MasterUserSecret?.SecretArn !== undefined) info.masterUserSecretArn = c.MasterUserSecret.SecretArn;
  return info;
}

function snapshotInfo(s: DBClusterSnapshot, region: string): ClusterSnapshotInfo {
  const info: ClusterSnapshotInfo = {
    id: s.DBClusterSnapshotIdentifier ?? "",
    arn: s.DBClusterSnapshotArn ?? "",
    region,
    status: s.Status ?? "unknown",
    clusterId: s.DBClusterIdentifier ?? "",
    tags: tagsOf(s.TagList),
  };
  if (s.SnapshotCreateTime !== undefined) info.createdAt = s.SnapshotCreateTime.getTime();
  if (s.KmsKeyId !== undefined) info.kmsKeyId = s.KmsKeyId;
  if (s.EngineVersion !== undefined) info.engineVersion = s.EngineVersion;
  if (s.SnapshotType !== undefined) info.snapshotType = s.SnapshotType;
  return info;
}

/**
 * Amazon RDS through SDK v3. Waits are bounded state machines on the injected clock (explicit
 * maximum, abort signal, backoff); deletion is refused for anything without pilotlight's tag.
 */
export class AwsDatabases implements Databases {
  private readonly clients = new Map<string, RDSClient>();

  constructor(
    private readonly clock: Clock,
    private readonly factory: RdsClientFactory = defaultRdsClient,
  ) {}

  private client(region: string): RDSClient {
    let c = this.clients.get(region);
    if (c === undefined) this.clients.set(region, (c = this.factory(region)));
    return c;
  }

  private async send<T>(
    region: string,
    operation: string,
    resource: string,
    fn: (c: RDSClient) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(this.client(region));
    } catch (error) {
      throw toAwsError(error, operation, resource);
    }
  }

  /** A bounded wait on the injected clock: the caller's maximum and signal, backoff with jitter. */
  private poll<T>(what: string, q: WaitOptions, check: () => Promise<WaitCheck<T>>): Promise<T> {
    return waitFor({
      clock: this.clock,
      what,
      maxWaitMs: q.maxWaitMs,
      signal: q.signal,
      minDelayMs: 30_000,
      maxDelayMs: 120_000,
      check,
    });
  }

  async describeCluster(q: { region: string; id: string }): Promise<ClusterInfo | undefined> {
    try {
      const r = await this.client(q.region).send(new DescribeDBClustersCommand({ DBClusterIdentifier: q.id }));
      const c = r.DBClusters?.[0];
      if (c === undefined) return undefined;
      const info = clusterInfo(c, q.region);
      if (info.instances.length > 0) {
        // Members carry no class or status: the instances say (the Data API refuses T classes).
        const d = await this.client(q.region).send(
          new DescribeDBInstancesCommand({ Filters: [{ Name: "db-cluster-id", Values: [info.id] }] }),
        );
        const byId = new Map((d.DBInstances ?? []).map((i) => [i.DBInstanceIdentifier ?? "", i]));
        info.instances = info.instances.map((m) => {
          const i = byId.get(m.id);
          return {
            id: m.id,
            writer: m.writer,
            ...(i?.DBInstanceClass === undefined ? {} : { instanceClass: i.DBInstanceClass }),
            ...(i?.DBInstanceStatus === undefined ? {} : { status: i.DBInstanceStatus }),
          };
        });
      }
      return info;
    } catch (error) {
      if (NOT_FOUND.has((error as Error).name)) return undefined;
      throw toAwsError(error, "DescribeDBClusters", q.id);
    }
  }

  async listClusters(q: { region: string }): Promise<ClusterInfo[]> {
    return this.send(q.region, "DescribeDBClusters", q.region, async (c) => {
      const out: ClusterInfo[] = [];
      for await (const page of paginateDescribeDBClusters({ client: c }, {}))
        for (const cl of page.DBClusters ?? []) out.push(clusterInfo(cl, q.region));
      return out;
    });
  }

  async createClusterSnapshot(q: {
    region: string;
    clusterId: string;
    snapshotId: string;
    tags: Record<string, string>;
  }): Promise<ClusterSnapshotInfo> {
    const existing = await this.describeClusterSnapshot({ region: q.region, id: q.snapshotId });
    if (existing !== undefined) return existing; // resumed: the snapshot was requested before
    return this.send(q.region, "CreateDBClusterSnapshot", q.snapshotId, async (c) => {
      const r = await c.send(
        new CreateDBClusterSnapshotCommand({
          DBClusterIdentifier: q.clusterId,
          DBClusterSnapshotIdentifier: q.snapshotId,
          Tags: tagList(q.tags),
        }),
      );
      return snapshotInfo(r.DBClusterSnapshot ?? {}, q.region);
    });
  }

  async copyClusterSnapshot(q: {
    sourceArn: string;
    targetRegion: string;
    targetId: string;
    kmsKeyId: string;
    tags: Record<string, string>;
  }): Promise<ClusterSnapshotInfo> {
    const existing = await this.describeClusterSnapshot({ region: q.targetRegion, id: q.targetId });
    if (existing !== undefined) return existing;
    // Called in the destination region, with the source as an ARN and a destination-region key
    // (RDS API Reference, CopyDBClusterSnapshot; a presigned URL is needed only in GovCloud).
    return this.send(q.targetRegion, "CopyDBClusterSnapshot", q.sourceArn, async (c) => {
      const r = await c.send(
        new CopyDBClusterSnapshotCommand({
          SourceDBClusterSnapshotIdentifier: q.sourceArn,
          TargetDBClusterSnapshotIdentifier: q.targetId,
          KmsKeyId: q.kmsKeyId,
          CopyTags: false,
          Tags: tagList(q.tags),
        }),
      );
      return snapshotInfo(r.DBClusterSnapshot ?? {}, q.targetRegion);
    });
  }

  async describeClusterSnapshot(q: { region: string; id: string }): Promise<ClusterSnapshotInfo | undefined> {
    try {
      const r = await this.client(q.region).send(
        new DescribeDBClusterSnapshotsCommand({ DBClusterSnapshotIdentifier: q.id }),
      );
      const s = r.DBClusterSnapshots?.[0];
      return s === undefined ? undefined : snapshotInfo(s, q.region);
    } catch (error) {
      if (NOT_FOUND.has((error as Error).name)) return undefined;
      throw toAwsError(error, "DescribeDBClusterSnapshots", q.id);
    }
  }

  waitForSnapshotAvailable(q: { region: string; id: string } & WaitOptions): Promise<ClusterSnapshotInfo> {
    return this.poll(`snapshot ${q.id} available`, q, async () => {
      const s = await this.describeClusterSnapshot(q);
      if (s === undefined) return { state: "RETRY", observed: "not found" };
      if (s.status === "available") return { state: "SUCCESS", value: s };
      if (s.status === "failed")
        return {
          state: "FAILURE",
          error: new PilotlightError("restore.failed", `snapshot ${q.id} failed`, { source: "aws" }),
        };
      return { state: "RETRY", observed: s.status };
    });
  }

  async listClusterSnapshots(q: { region: string }): Promise<ClusterSnapshotInfo[]> {
    return this.send(q.region, "DescribeDBClusterSnapshots", q.region, async (c) => {
      const out: ClusterSnapshotInfo[] = [];
      // Manual snapshots only: AWS Backup's own (type "awsbackup") belong to the vault's lifecycle.
      // DBClusterSnapshot carries its TagList in this response (RDS API Reference, DBClusterSnapshot).
      for await (const page of paginateDescribeDBClusterSnapshots({ client: c }, { SnapshotType: "manual" }))
        for (const s of page.DBClusterSnapshots ?? []) out.push(snapshotInfo(s, q.region));
      return out;
    });
  }

  async deleteClusterSnapshot(q: { region: string; id: string }): Promise<void> {
    const s = await this.describeClusterSnapshot(q);
    if (s === undefined) return;
    assertDeletable("snapshot", q.id, q.region, s.tags);
    await this.send(q.region, "DeleteDBClusterSnapshot", q.id, async (client) => {
      try {
        await client.send(new DeleteDBClusterSnapshotCommand({ DBClusterSnapshotIdentifier: q.id }));
      } catch (error) {
        if (!NOT_FOUND.has((error as Error).name)) throw error;
      }
    });
  }

  async deleteCluster(q: { region: string; id: string; finalSnapshotId?: string } & WaitOptions): Promise<void> {
    const c = await this.describeCluster(q);
    if (c === undefined) return;
    assertDeletable("cluster", q.id, q.region, c.tags);
    if (c.deletionProtection) {
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
      await this.send(q.region, "ModifyDBCluster", q.id, (client) =>
        client.send(
          new ModifyDBClusterCommand({ DBClusterIdentifier: q.id, DeletionProtection: false, ApplyImmediately: true }),
        ),
      );
    }
    // Instances first: a cluster with instances cannot be deleted (Aurora User Guide, "Deleting
    // Aurora DB clusters and DB instances": InvalidDBClusterStateFault otherwise).
    for (const i of c.instances) {
      if (i.status === "deleting") continue;
      await this.send(q.region, "DeleteDBInstance", i.id, async (client) => {
        try {
          await client.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: i.id }));
        } catch (error) {
          if (!NOT_FOUND.has((error as Error).name)) throw error;
        }
      });
    }
    await this.poll(`cluster ${q.id} ready to delete`, q, async () => {
      const now = await this.describeCluster(q);
      if (now === undefined) return { state: "SUCCESS", value: undefined };
      const busy =
        now.instances.some((i) => i.status !== "deleting") || now.deletionProtection || now.status !== "available";
      return busy
        ? { state: "RETRY", observed: `${now.status}, ${now.instances.length} instances` }
        : { state: "SUCCESS", value: undefined };
    });
    await this.send(q.region, "DeleteDBCluster", q.id, async (client) => {
      try {
        await client.send(
          new DeleteDBClusterCommand({
            DBClusterIdentifier: q.id,
            ...(q.finalSnapshotId === undefined
              ? { SkipFinalSnapshot: true }
              : { SkipFinalSnapshot: false, FinalDBSnapshotIdentifier: q.finalSnapshotId }),
          }),
        );
      } catch (error) {
        if (!NOT_FOUND.has((error as Error).name)) throw error;
      }
    });
    await this.poll(`cluster ${q.id} deleted`, q, async () => {
      const left = await this.describeCluster(q);
      return left === undefined ? { state: "SUCCESS", value: undefined } : { state: "RETRY", observed: left.status };
    });
  }

  async enableHttpEndpoint(q: { region: string; clusterArn: string }): Promise<void> {
    // rds:EnableHttpEndpoint by cluster ARN: the operation for provisioned and Serverless v2
    // clusters (RDS API Reference, EnableHttpEndpoint); ModifyDBCluster's flag is Serverless v1's.
    await this.send(q.region, "EnableHttpEndpoint", q.clusterArn, (client) =>
      client.send(new EnableHttpEndpointCommand({ ResourceArn: q.clusterArn })),
    );
  }

  async tagCluster(q: { region: string; id: string; tags: Record<string, string> }): Promise<void> {
    const c = await this.describeCluster(q);
    if (c === undefined)
      throw new PilotlightError("aws.not-found", `cluster ${q.id} not found in ${q.region}`, { source: "aws" });
    await this.send(q.region, "AddTagsToResource", q.id, (client) =>
      client.send(new AddTagsToResourceCommand({ ResourceName: c.arn, Tags: tagList(q.tags) })),
    );
  }
}
