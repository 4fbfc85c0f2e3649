import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PROTECTED_BY } from "./tags";

/** Inputs of {@link AuroraDatabase}. */
export interface AuroraDatabaseArgs {
  clusterIdentifier: string;
  engineVersion: string;
  instanceClass: string;
  /** AZ of each instance; the first is the writer. Distinct AZs make the cluster multi-AZ. */
  instanceAzs: pulumi.Input<string>[];
  subnetGroupName: pulumi.Input<string>;
  securityGroupIds: pulumi.Input<string>[];
  kmsKeyArn: pulumi.Input<string>;
  databaseName: string;
  masterUsername: string;
  /** Restore from this cluster snapshot (or AWS Backup recovery point, an RDS cluster snapshot). */
  restoreSnapshot?: string;
  /** Or restore another cluster to a point in time (continuous backup / PITR). */
  restoreToTime?: { sourceClusterIdentifier: string; time: string };
  /** Production: true. Drills: false. */
  protect: boolean;
  /** Teardown of a protected cluster: protection and retention lifted, this final snapshot taken. */
  retire?: { finalSnapshot: string };
  /** Engine version of the snapshot restored (a restore never goes below it). */
  restoreEngineVersion?: string;
  tags: Record<string, string>;
}

/**
 * An Aurora PostgreSQL cluster and its instances. Every Aurora restore creates a cluster with no
 * instance (Aurora User Guide, "Restoring from a DB cluster snapshot"): the instances are declared
 * here, so a restored cluster is usable once `up` returns. Master credentials are managed in
 * Secrets Manager, never in config.
 */
export class AuroraDatabase extends pulumi.ComponentResource {
  readonly cluster: aws.rds.Cluster;
  readonly instances: aws.rds.ClusterInstance[];
  readonly secretArn: pulumi.Output<string>;

  constructor(name: string, args: AuroraDatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("pilotlight:database:Aurora", name, {}, opts);
    const restoring = args.restoreSnapshot !== undefined || args.restoreToTime !== undefined;
    const keep = args.protect && args.retire === undefined;
    const serverless = args.instanceClass === "db.serverless";
    const tags = { ...args.tags, ...(keep ? { [PROTECTED_BY]: "pilotlight" } : {}) };
    this.cluster = new aws.rds.Cluster(
      `${name}-cluster`,
      {
        clusterIdentifier: args.clusterIdentifier,
        engine: "aurora-postgresql",
        // A snapshot restore starts at the snapshot's version: asking for less is refused (RDS:
        // "earlier than the engine version of the DB cluster snapshot").
        engineVersion: args.restoreEngineVersion ?? args.engineVersion,
        // A restore takes the database name and master user from the snapshot.
        ...(args.restoreSnapshot !== undefined ? { snapshotIdentifier: args.restoreSnapshot } : {}),
        // Only one of restoreToTime / useLatestRestorableTime may be present: the provider's
        // ExactlyOneOf counts a present `false` too (provider cluster.go, restore_to_point_in_time).
        ...(args.restoreToTime !== undefined
          ? {
              restoreToPointInTime:
                args.restoreToTime.time === "latest"
                  ? {
                      sourceClusterIdentifier: args.restoreToTime.sourceClusterIdentifier,
                      useLatestRestorableTime: true,
                    }
                  : {
                      sourceClusterIdentifier: args.restoreToTime.sourceClusterIdentifier,
                      restoreToTime: args.restoreToTime.time,
                    },
            }
          : {}),
        ...(serverless ? { serverlessv2ScalingConfiguration: { minCapacity: 0.5, maxCapacity: 8 } } : {}),
        ...(restoring ? {} : { databaseName: args.databaseName, masterUsername: args.masterUsername }),
        manageMasterUserPassword: true,
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        dbSubnetGroupName: args.subnetGroupName,
        vpcSecurityGroupIds: args.securityGroupIds,
        backupRetentionPeriod: args.protect ? 7 : 1,
        preferredBackupWindow: "02:00-03:00",
        copyTagsToSnapshot: true,
        deletionProtection: keep,
        skipFinalSnapshot: !args.protect,
        ...(args.protect
          ? { finalSnapshotIdentifier: args.retire?.finalSnapshot ?? `${args.clusterIdentifier}-final` }
          : {}),
        enabledCloudwatchLogsExports: ["postgresql"],
        // Not sent on a restore by the provider: the first `up` leaves the Data API off and the
        // next one calls rds:EnableHttpEndpoint; the runbooks enable it and check it themselves.
        enableHttpEndpoint: true,
        applyImmediately: !args.protect,
        tags,
      },
      {
        parent: this,
        // Changing the snapshot id would replace the database (aws.md): never on an unrelated
        // config change. A new restore is a new generation, i.e. a new resource. The engine
        // version is AWS's once created: an automatic minor upgrade must not make the next `up`
        // try a downgrade ("Cannot upgrade aurora-postgresql from X to Y").
        ignoreChanges: [
          "snapshotIdentifier",
          "restoreToPointInTime",
          "masterUsername",
          "databaseName",
          "engineVersion",
        ],
        // A production cluster is never deleted by Pulumi while it serves: dropping it from the
        // program leaves it in AWS. Retiring it (teardown) lifts this first.
        retainOnDelete: keep,
      },
    );
    this.instances = args.instanceAzs.map(
      (az, i) =>
        new aws.rds.ClusterInstance(
          `${name}-${i === 0 ? "writer" : `reader-${i}`}`,
          {
            identifier: `${args.clusterIdentifier}-${i === 0 ? "writer" : `reader-${i}`}`,
            clusterIdentifier: this.cluster.id,
            engine: "aurora-postgresql",
            engineVersion: this.cluster.engineVersion,
            instanceClass: args.instanceClass,
            availabilityZone: az,
            promotionTier: i,
            tags,
          },
          { parent: this, retainOnDelete: keep, ignoreChanges: ["engineVersion"] },
        ),
    );
    this.secretArn = this.cluster.masterUserSecrets.apply((s) => s?.[0]?.secretArn ?? "");
    this.registerOutputs({ clusterArn: this.cluster.arn, secretArn: this.secretArn });
  }
}
