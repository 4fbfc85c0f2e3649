import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

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
    this.cluster = new aws.rds.Cluster(
      `${name}-cluster`,
      {
        clusterIdentifier: args.clusterIdentifier,
        engine: "aurora-postgresql",
        engineVersion: args.engineVersion,
        // A restore takes the database name and master user from the snapshot.
        ...(args.restoreSnapshot !== undefined ? { snapshotIdentifier: args.restoreSnapshot } : {}),
        ...(args.restoreToTime !== undefined
          ? { restoreToPointInTime: { sourceClusterIdentifier: args.restoreToTime.sourceClusterIdentifier, restoreToTime: args.restoreToTime.time, useLatestRestorableTime: false } }
          : {}),
        ...(restoring ? {} : { databaseName: args.databaseName, masterUsername: args.masterUsername }),
        manageMasterUserPassword: true,
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        dbSubnetGroupName: args.subnetGroupName,
        vpcSecurityGroupIds: args.securityGroupIds,
        backupRetentionPeriod: args.protect ? 7 : 1,
        preferredBackupWindow: "02:00-03:00",
        copyTagsToSnapshot: true,
        deletionProtection: args.protect,
        skipFinalSnapshot: !args.protect,
        ...(args.protect ? { finalSnapshotIdentifier: `${args.clusterIdentifier}-final` } : {}),
        enabledCloudwatchLogsExports: ["postgresql"],
        enableHttpEndpoint: true,
        applyImmediately: !args.protect,
        tags: args.tags,
      },
      {
        parent: this,
        // Changing the snapshot id would replace the database (aws.md): never on an unrelated
        // config change. A new restore is a new generation, i.e. a new resource.
        ignoreChanges: ["snapshotIdentifier", "restoreToPointInTime", "masterUsername", "databaseName"],
        // A production cluster is never deleted by Pulumi: dropping it from the program leaves
        // it in AWS, where pilotlight deletes it only with a final snapshot.
        retainOnDelete: args.protect,
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
            tags: args.tags,
          },
          { parent: this, retainOnDelete: args.protect },
        ),
    );
    this.secretArn = this.cluster.masterUserSecrets.apply((s) => s?.[0]?.secretArn ?? "");
    this.registerOutputs({ clusterArn: this.cluster.arn, secretArn: this.secretArn });
  }
}
