import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { PrimarySettings } from "./config";
import {
  GATE_NAMESPACE,
  drClusterIdentifier,
  drDatabaseParameter,
  primaryClusterIdentifier,
  type TrafficGateOutput,
} from "./contract";
import { AuroraDatabase } from "./database";
import { BACKUP_TAG, drTags } from "./tags";
import { referenceWorkload, type WorkloadFactory } from "./workload";

/** Stack outputs of the primary program: what the automation layer reads. */
export interface PrimaryOutputs {
  primaryRegion: pulumi.Output<string>;
  drRegion: string;
  clusterIdentifier: pulumi.Output<string>;
  clusterArn: pulumi.Output<string>;
  /** The generation serving (failback restores generation + 1). */
  databaseGeneration: number;
  /** The newest generation (a candidate while a point-in-time restore is checked). */
  newestGeneration: number;
  newestClusterIdentifier: pulumi.Output<string>;
  newestClusterArn: pulumi.Output<string>;
  newestSecretArn: pulumi.Output<string>;
  masterSecretArn: pulumi.Output<string>;
  primaryVaultName: pulumi.Output<string>;
  primaryVaultArn: pulumi.Output<string>;
  drVaultName: pulumi.Output<string>;
  drVaultArn: pulumi.Output<string>;
  primaryKmsKeyArn: pulumi.Output<string>;
  drKmsKeyArn: pulumi.Output<string>;
  backupRoleArn: pulumi.Output<string>;
  assetsBucket: pulumi.Output<string>;
  replicaBucket: pulumi.Output<string>;
  alertsTopicArn: pulumi.Output<string>;
  healthUrl?: pulumi.Output<string>;
  /** The endpoint check (what Route 53's checkers measure of the workload). */
  healthCheckId?: pulumi.Output<string>;
  /** The data-plane switch that pins traffic to DR (see `TrafficGateOutput`). */
  trafficGate?: TrafficGateOutput;
  /** The pilot light's DR workload, and the switch that lets its record answer. */
  drHealthUrl?: pulumi.Output<string>;
  /** The DR workload's Lambda function (its runtime must stay supported: `doctor` checks). */
  drFunctionName?: pulumi.Output<string>;
  drGate?: TrafficGateOutput;
  zoneId?: string;
  recordName?: string;
  /** The hosted zone's authoritative name servers: switches are verified against them. */
  nameServers?: pulumi.Output<string[]>;
}

const assumeRole = (service: string) =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });

/**
 * The primary environment and the DR pilot light. The pilot light (DR vault with its own
 * DR-region key, replica bucket) sits in the DR region through per-resource `region`, costs no
 * compute, and receives hourly cross-region copies.
 */
export class PrimaryEnvironment extends pulumi.ComponentResource {
  readonly outputs: PrimaryOutputs;

  constructor(
    name: string,
    s: PrimarySettings,
    opts: pulumi.ComponentResourceOptions & { workload?: WorkloadFactory } = {},
  ) {
    super("pilotlight:environment:Primary", name, {}, opts);
    const child = { parent: this };
    const tags = drTags({ environment: s.environment, rto: s.rto, rpo: s.rpo });
    const backedUp = drTags({ environment: s.environment, rto: s.rto, rpo: s.rpo, backedUp: true });
    const region = aws.getRegionOutput({}, child).region;
    const azs = aws.getAvailabilityZonesOutput({ state: "available" }, child).names;

    // Network: isolated subnets in two AZs; the database needs no internet access.
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        numberOfAvailabilityZones: 2,
        natGateways: { strategy: "None" },
        subnetSpecs: [{ type: "Isolated", cidrMask: 24 }],
        tags,
      },
      child,
    );
    const subnets = new aws.rds.SubnetGroup(`${name}-db-subnets`, { subnetIds: vpc.isolatedSubnetIds, tags }, child);
    const dbSg = new aws.ec2.SecurityGroup(
      `${name}-db-sg`,
      {
        vpcId: vpc.vpcId,
        description: "Aurora PostgreSQL: PostgreSQL from inside the VPC only",
        ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: [vpc.vpc.cidrBlock] }],
        egress: [],
        tags,
      },
      child,
    );

    // Keys: one per region. A cross-region copy needs a key usable in the destination region
    // (AWS Backup Developer Guide, "Creating backup copies across AWS Regions").
    const primaryKey = new aws.kms.Key(
      `${name}-key`,
      { description: `pilotlight ${s.environment} primary`, enableKeyRotation: true, deletionWindowInDays: 30, tags },
      child,
    );
    const drKey = new aws.kms.Key(
      `${name}-dr-key`,
      {
        region: s.drRegion,
        description: `pilotlight ${s.environment} DR (pilot light)`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        tags,
      },
      child,
    );

    // A generation is a cluster of its own: a new restore never replaces the database in place.
    // While a point-in-time candidate is checked, the serving generation stays declared too.
    const clusterId = (g: number) => primaryClusterIdentifier(s.environment, g);
    const generation = (g: number, restore: boolean) =>
      new AuroraDatabase(
        `${name}-database-g${g}`,
        {
          clusterIdentifier: clusterId(g),
          engineVersion: s.engineVersion,
          instanceClass: s.instanceClass,
          instanceAzs: [azs.apply((a) => a[0]!), azs.apply((a) => a[1]!)],
          subnetGroupName: subnets.name,
          securityGroupIds: [dbSg.id],
          kmsKeyArn: primaryKey.arn,
          databaseName: s.databaseName,
          masterUsername: s.masterUsername,
          ...(restore && s.restoreSnapshot !== undefined ? { restoreSnapshot: s.restoreSnapshot } : {}),
          ...(restore && s.restoreEngineVersion !== undefined ? { restoreEngineVersion: s.restoreEngineVersion } : {}),
          ...(restore && s.restoreToTime !== undefined
            ? { restoreToTime: { sourceClusterIdentifier: s.restoreSourceCluster!, time: s.restoreToTime } }
            : {}),
          protect: true,
          tags: backedUp,
        },
        child,
      );
    const newest = generation(s.databaseGeneration, true);
    const db = s.servingGeneration === s.databaseGeneration ? newest : generation(s.servingGeneration, false);
    const gen = s.servingGeneration;

    // AWS Backup: vaults in both regions, hourly + continuous rules, copy to the DR vault.
    const backupRole = new aws.iam.Role(
      `${name}-backup-role`,
      { assumeRolePolicy: assumeRole("backup.amazonaws.com"), tags },
      child,
    );
    for (const policy of ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]) {
      new aws.iam.RolePolicyAttachment(
        `${name}-backup-${policy}`,
        { role: backupRole.name, policyArn: `arn:aws:iam::aws:policy/service-role/${policy}` },
        child,
      );
    }
    const vault = new aws.backup.Vault(
      `${name}-vault`,
      { name: `pilotlight-${s.environment}-primary`, kmsKeyArn: primaryKey.arn, tags },
      child,
    );
    const drVault = new aws.backup.Vault(
      `${name}-dr-vault`,
      { region: s.drRegion, name: `pilotlight-${s.environment}-dr`, kmsKeyArn: drKey.arn, tags },
      child,
    );
    const plan = new aws.backup.Plan(
      `${name}-backup-plan`,
      {
        // Plan and rule names: letters, digits and underscores (aws.md).
        name: `pilotlight_${s.environment.replace(/-/g, "_")}`,
        rules: [
          {
            ruleName: "hourly",
            targetVaultName: vault.name,
            schedule: "cron(0 * * * ? *)",
            startWindow: 60,
            completionWindow: 180,
            lifecycle: { deleteAfter: 7 },
            copyActions: [{ destinationVaultArn: drVault.arn, lifecycle: { deleteAfter: 7 } }],
          },
          {
            // Continuous backup enables point-in-time restore in the primary region (it cannot be
            // copied across regions; copies become snapshots).
            ruleName: "continuous",
            targetVaultName: vault.name,
            schedule: "cron(0 5 * * ? *)",
            enableContinuousBackup: true,
            lifecycle: { deleteAfter: 7 },
          },
        ],
        tags,
      },
      child,
    );
    if (s.manageBackupOptIn) {
      // Selecting Aurora by tag backs nothing up unless the Region opted in to Aurora — and for
      // Aurora even an explicit assignment does not bypass it (AWS Backup Developer Guide,
      // "Assigning resources to a backup plan"). An account-wide setting: declared on request.
      for (const [i, r] of [region, s.drRegion].entries()) {
        new aws.backup.RegionSettings(
          `${name}-backup-opt-in-${i === 0 ? "primary" : "dr"}`,
          { ...(i === 1 ? { region: r } : {}), resourceTypeOptInPreference: { Aurora: true } },
          child,
        );
      }
    }
    new aws.backup.Selection(
      `${name}-backup-selection`,
      {
        // Selection names reject hyphens in practice (aws.md).
        name: `pilotlight_${s.environment.replace(/-/g, "_")}_tagged`,
        planId: plan.id,
        iamRoleArn: backupRole.arn,
        selectionTags: [{ type: "STRINGEQUALS", key: BACKUP_TAG, value: "true" }],
      },
      child,
    );

    // Assets bucket, versioned, replicated to the DR region's bucket.
    const assets = new aws.s3.Bucket(`${name}-assets`, { forceDestroy: false, tags }, child);
    const replica = new aws.s3.Bucket(
      `${name}-assets-replica`,
      { region: s.drRegion, forceDestroy: false, tags },
      child,
    );
    const versioning = [assets, replica].map(
      (b, i) =>
        new aws.s3.BucketVersioning(
          `${name}-${i === 0 ? "assets" : "assets-replica"}-versioning`,
          { bucket: b.id, ...(i === 1 ? { region: s.drRegion } : {}), versioningConfiguration: { status: "Enabled" } },
          child,
        ),
    );
    const replicationRole = new aws.iam.Role(
      `${name}-replication-role`,
      { assumeRolePolicy: assumeRole("s3.amazonaws.com"), tags },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-replication-policy`,
      {
        role: replicationRole.name,
        policy: pulumi.all([assets.arn, replica.arn]).apply(([src, dst]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: src },
              {
                Effect: "Allow",
                Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
                Resource: `${src}/*`,
              },
              {
                Effect: "Allow",
                Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                Resource: `${dst}/*`,
              },
            ],
          }),
        ),
      },
      child,
    );
    new aws.s3.BucketReplicationConfig(
      `${name}-assets-replication`,
      {
        bucket: assets.id,
        role: replicationRole.arn,
        rules: [
          {
            id: "to-dr",
            status: "Enabled",
            filter: {},
            deleteMarkerReplication: { status: "Enabled" },
            destination: { bucket: replica.arn },
          },
        ],
      },
      { ...child, dependsOn: versioning },
    );

    // Alerts: failed backup jobs, failed copy jobs, database health. (Route 53 health-check
    // metrics exist only in us-east-1 and an alarm's SNS action must be in its own region, so the
    // workload's health is watched by pilotlight's posture check rather than by an alarm here.)
    const topic = new aws.sns.Topic(`${name}-alerts`, { tags }, child);
    if (s.alertEmail !== undefined)
      new aws.sns.TopicSubscription(
        `${name}-alerts-email`,
        { topic: topic.arn, protocol: "email", endpoint: s.alertEmail },
        child,
      );
    const alarm = (id: string, args: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "tags">) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${id}`,
        { ...args, alarmActions: [topic.arn], okActions: [topic.arn], tags },
        child,
      );
    // AWS Backup publishes failed-job counts per kind; one alarm each, same shape.
    for (const [id, metricName, alarmDescription] of [
      [
        "backup-jobs-failed",
        "NumberOfBackupJobsFailed",
        "An AWS Backup job failed: the next recovery point may be missing",
      ],
      [
        "copy-jobs-failed",
        "NumberOfCopyJobsFailed",
        "A cross-region copy failed: the DR vault is falling behind the RPO",
      ],
    ] as const) {
      alarm(id, {
        namespace: "AWS/Backup",
        metricName,
        statistic: "Sum",
        period: 3600,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
        alarmDescription,
      });
    }
    alarm("database-cpu", {
      namespace: "AWS/RDS",
      metricName: "CPUUtilization",
      dimensions: { DBClusterIdentifier: db.cluster.clusterIdentifier },
      statistic: "Average",
      period: 300,
      evaluationPeriods: 3,
      threshold: 90,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      alarmDescription: "The primary database is saturated",
    });

    const outputs: PrimaryOutputs = {
      primaryRegion: region,
      drRegion: s.drRegion,
      clusterIdentifier: db.cluster.clusterIdentifier,
      clusterArn: db.cluster.arn,
      databaseGeneration: gen,
      newestGeneration: s.databaseGeneration,
      newestClusterIdentifier: newest.cluster.clusterIdentifier,
      newestClusterArn: newest.cluster.arn,
      newestSecretArn: newest.secretArn,
      masterSecretArn: db.secretArn,
      primaryVaultName: vault.name,
      primaryVaultArn: vault.arn,
      drVaultName: drVault.name,
      drVaultArn: drVault.arn,
      primaryKmsKeyArn: primaryKey.arn,
      drKmsKeyArn: drKey.arn,
      backupRoleArn: backupRole.arn,
      assetsBucket: assets.bucket,
      replicaBucket: replica.bucket,
      alertsTopicArn: topic.arn,
    };

    if (s.workload === "reference") {
      const factory = opts.workload ?? referenceWorkload;
      const workload = factory(
        `${name}-workload`,
        { database: { clusterArn: db.cluster.arn, secretArn: db.secretArn }, databaseName: s.databaseName, tags },
        child,
      );
      outputs.healthUrl = workload.healthUrl;
      // The pilot light's DR workload: deployed now, idle and free until a failover restores a
      // database for it. Its host is known before the bad day, so the failover record that sends
      // clients there exists already and a failover needs no Route 53 control-plane call.
      const account = aws.getCallerIdentityOutput({}, child).accountId;
      const parameter = drDatabaseParameter(s.environment);
      const drWorkload = factory(
        `${name}-dr-workload`,
        {
          database: {
            parameter,
            parameterArn: pulumi.interpolate`arn:aws:ssm:${s.drRegion}:${account}:parameter${parameter}`,
            clusterArn: pulumi.interpolate`arn:aws:rds:${s.drRegion}:${account}:cluster:${drClusterIdentifier(s.environment)}`,
            // RDS names a managed master secret rds!cluster-<uuid>: unknown before the restore.
            secretArnPattern: pulumi.interpolate`arn:aws:secretsmanager:${s.drRegion}:${account}:secret:rds!cluster-*`,
          },
          databaseName: s.databaseName,
          region: s.drRegion,
          tags,
        },
        child,
      );
      outputs.drHealthUrl = drWorkload.healthUrl;
      if (drWorkload.functionName !== undefined) outputs.drFunctionName = drWorkload.functionName;
      if (s.dns !== undefined) {
        // Nobody's hand on a health check may be undone by an `up` after a refresh (a refresh
        // reads Inverted/Disabled from AWS into the state; the next `up` would reset them).
        const manual = { ...child, ignoreChanges: ["invertHealthcheck", "disabled"] };
        const check = new aws.route53.HealthCheck(
          `${name}-health`,
          {
            type: "HTTPS",
            fqdn: workload.host,
            port: 443,
            resourcePath: "/health",
            failureThreshold: 3,
            requestInterval: 10,
            tags,
          },
          manual,
        );
        // The traffic gate: a metric in the DR region that pilotlight sets to 1 to pin clients
        // to DR; Route 53 reads it on its data plane, so no control-plane call (us-east-1) is
        // needed to fail over or to keep traffic in DR (Route 53 Developer Guide, "Health checks
        // that monitor CloudWatch alarms"; Well-Architected REL11-BP04). Route 53 follows the
        // alarm's data stream, not its state: once pilotlight's one data point no longer counts,
        // the data is insufficient, and LastKnownStatus keeps the status that point gave — the
        // pin holds; a check that never had data is healthy (Route 53 API Reference,
        // HealthCheckConfig.InsufficientDataHealthStatus).
        const gate: TrafficGateOutput = {
          region: s.drRegion,
          namespace: GATE_NAMESPACE,
          metric: "TrafficPinnedToDr",
          dimensions: { Environment: s.environment },
        };
        const gateAlarm = new aws.cloudwatch.MetricAlarm(
          `${name}-traffic-gate`,
          {
            region: s.drRegion,
            namespace: gate.namespace,
            metricName: gate.metric,
            dimensions: gate.dimensions,
            statistic: "Maximum",
            period: 60,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "ignore",
            alarmDescription: "pilotlight: traffic pinned to the DR region while in ALARM",
            tags,
          },
          child,
        );
        const gateCheck = new aws.route53.HealthCheck(
          `${name}-traffic-gate-check`,
          {
            type: "CLOUDWATCH_METRIC",
            cloudwatchAlarmName: gateAlarm.name,
            cloudwatchAlarmRegion: s.drRegion,
            insufficientDataHealthStatus: "LastKnownStatus",
            tags,
          },
          manual,
        );
        const primaryCheck = new aws.route53.HealthCheck(
          `${name}-primary-check`,
          { type: "CALCULATED", childHealthchecks: [check.id, gateCheck.id], childHealthThreshold: 2, tags },
          manual,
        );
        // Failover on the data plane: Route 53 answers with SECONDARY while this check fails.
        new aws.route53.Record(
          `${name}-record`,
          {
            zoneId: s.dns.zoneId,
            name: s.dns.name,
            type: "CNAME",
            ttl: s.dns.ttlSeconds,
            records: [workload.host],
            setIdentifier: "primary",
            failoverRoutingPolicies: [{ type: "PRIMARY" }],
            healthCheckId: primaryCheck.id,
          },
          child,
        );
        // DR's side of the pair: the pilot light's DR workload behind a SECONDARY record whose
        // check is healthy only when the DR workload answers AND pilotlight published DR (its gate
        // metric at 0, set after the restored data passed its checks). Until then the record
        // never answers: with both sides unhealthy Route 53 answers PRIMARY (Route 53 Developer
        // Guide, "How health checks work in complex configurations"), so no client reaches
        // unchecked data. Its check too keeps the last status its data gave (LastKnownStatus: a
        // published DR stays published after the data point ages); a check that never had data
        // is healthy, so every failover closes this gate (1) before it stands DR up.
        const drGate: TrafficGateOutput = {
          region: s.drRegion,
          namespace: GATE_NAMESPACE,
          metric: "DrNotReady",
          dimensions: { Environment: s.environment },
        };
        const drCheck = new aws.route53.HealthCheck(
          `${name}-dr-health`,
          {
            type: "HTTPS",
            fqdn: drWorkload.host,
            port: 443,
            resourcePath: "/health",
            failureThreshold: 3,
            requestInterval: 10,
            tags,
          },
          manual,
        );
        const drGateAlarm = new aws.cloudwatch.MetricAlarm(
          `${name}-dr-gate`,
          {
            region: s.drRegion,
            namespace: drGate.namespace,
            metricName: drGate.metric,
            dimensions: drGate.dimensions,
            statistic: "Maximum",
            period: 60,
            evaluationPeriods: 1,
            threshold: 1,
            comparisonOperator: "GreaterThanOrEqualToThreshold",
            treatMissingData: "ignore",
            alarmDescription: "pilotlight: the DR record answers only while this alarm is OK",
            tags,
          },
          child,
        );
        const drGateCheck = new aws.route53.HealthCheck(
          `${name}-dr-gate-check`,
          {
            type: "CLOUDWATCH_METRIC",
            cloudwatchAlarmName: drGateAlarm.name,
            cloudwatchAlarmRegion: s.drRegion,
            insufficientDataHealthStatus: "LastKnownStatus",
            tags,
          },
          manual,
        );
        const drCombined = new aws.route53.HealthCheck(
          `${name}-dr-check`,
          { type: "CALCULATED", childHealthchecks: [drCheck.id, drGateCheck.id], childHealthThreshold: 2, tags },
          manual,
        );
        new aws.route53.Record(
          `${name}-dr-record`,
          {
            zoneId: s.dns.zoneId,
            name: s.dns.name,
            type: "CNAME",
            ttl: s.dns.ttlSeconds,
            records: [drWorkload.host],
            setIdentifier: "dr",
            failoverRoutingPolicies: [{ type: "SECONDARY" }],
            healthCheckId: drCombined.id,
          },
          child,
        );
        outputs.healthCheckId = check.id;
        outputs.trafficGate = gate;
        outputs.drGate = drGate;
        outputs.zoneId = s.dns.zoneId;
        outputs.recordName = s.dns.name;
        outputs.nameServers = aws.route53.getZoneOutput({ zoneId: s.dns.zoneId }, child).nameServers;
      }
    }
    this.outputs = outputs;
    this.registerOutputs({});
  }
}
