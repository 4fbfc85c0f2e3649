import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { DrSettings } from "./config";
import { drClusterIdentifier, drDatabaseParameter } from "./contract";
import { AuroraDatabase } from "./database";
import { drTags } from "./tags";
import { referenceWorkload, type WorkloadFactory } from "./workload";

/** Stack outputs of the DR program. */
export interface DrOutputs {
  mode: string;
  clusterIdentifier: pulumi.Output<string>;
  clusterArn: pulumi.Output<string>;
  clusterEndpoint: pulumi.Output<string>;
  masterSecretArn: pulumi.Output<string>;
  writerInstance: pulumi.Output<string>;
  restoredFrom: string;
  /** Drill mode: when the sweeper may remove what is left of this stack. */
  expiresAt?: string;
  healthUrl?: pulumi.Output<string>;
  recordName?: string;
  /** Whether the record is declared (only after the restored data passed its checks). */
  publishedTraffic: boolean;
}

/**
 * The DR environment, stood up on demand in the DR region (the stack's `aws:region`): network,
 * an Aurora cluster restored from the snapshot or recovery point in config, encrypted with the
 * pilot light's DR key, the writer instance a restore never creates, and the parameter through
 * which the pilot light's DR workload finds it. In `drill` mode the same program builds a
 * throw-away copy with a workload of its own: no production DNS, an isolated security group, a
 * small instance, TTL tags, no final snapshot.
 */
export class DrEnvironment extends pulumi.ComponentResource {
  readonly outputs: DrOutputs;

  constructor(
    name: string,
    s: DrSettings,
    opts: pulumi.ComponentResourceOptions & { workload?: WorkloadFactory } = {},
  ) {
    super("pilotlight:environment:Dr", name, {}, opts);
    const child = { parent: this };
    const drill = s.mode === "drill";
    const tags = drTags({
      environment: s.environment,
      rto: s.rto,
      rpo: s.rpo,
      ...(s.runId === undefined ? {} : { runId: s.runId }),
      ...(s.expiresAt === undefined ? {} : { expiresAt: s.expiresAt }),
    });
    const azs = aws.getAvailabilityZonesOutput({ state: "available" }, child).names;

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
    // A drill's database accepts no connection at all: validation goes through the Data API.
    const dbSg = new aws.ec2.SecurityGroup(
      `${name}-db-sg`,
      {
        vpcId: vpc.vpcId,
        description: drill
          ? "pilotlight drill: isolated, no ingress"
          : "Aurora PostgreSQL: PostgreSQL from inside the VPC only",
        ingress: drill ? [] : [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: [vpc.vpc.cidrBlock] }],
        egress: [],
        tags,
      },
      child,
    );
    const identifier = drClusterIdentifier(
      s.environment,
      drill ? { runId: s.runId ?? "drill", ...(s.drillLabel === undefined ? {} : { label: s.drillLabel }) } : undefined,
    );
    const db = new AuroraDatabase(
      `${name}-database`,
      {
        clusterIdentifier: identifier,
        engineVersion: s.engineVersion,
        instanceClass: s.instanceClass,
        // Production DR: writer and reader in two AZs. Drill: the writer only.
        instanceAzs: drill ? [azs.apply((a) => a[0]!)] : [azs.apply((a) => a[0]!), azs.apply((a) => a[1]!)],
        subnetGroupName: subnets.name,
        securityGroupIds: [dbSg.id],
        kmsKeyArn: s.kmsKeyArn,
        databaseName: s.databaseName,
        masterUsername: s.masterUsername,
        restoreSnapshot: s.restoreSnapshot,
        ...(s.restoreEngineVersion === undefined ? {} : { restoreEngineVersion: s.restoreEngineVersion }),
        protect: !drill,
        ...(s.retire === undefined ? {} : { retire: s.retire }),
        tags,
      },
      child,
    );
    const outputs: DrOutputs = {
      mode: s.mode,
      clusterIdentifier: db.cluster.clusterIdentifier,
      clusterArn: db.cluster.arn,
      clusterEndpoint: db.cluster.endpoint,
      masterSecretArn: db.secretArn,
      writerInstance: db.instances[0]!.identifier,
      restoredFrom: s.restoreSnapshot,
      publishedTraffic: false,
      ...(drill && s.expiresAt !== undefined ? { expiresAt: s.expiresAt } : {}),
    };
    if (!drill) {
      // Production: the pilot light already runs the DR workload and its failover record (the
      // primary program), so nothing here needs Route 53's control plane. The workload finds the
      // restored database through this parameter.
      new aws.ssm.Parameter(
        `${name}-database-locator`,
        {
          name: drDatabaseParameter(s.environment),
          type: "String",
          value: pulumi
            .all([db.cluster.arn, db.secretArn])
            .apply(([clusterArn, secretArn]) => JSON.stringify({ clusterArn, secretArn })),
          tags,
        },
        child,
      );
    } else if (s.workload === "reference") {
      const workload = (opts.workload ?? referenceWorkload)(
        `${name}-workload`,
        { database: { clusterArn: db.cluster.arn, secretArn: db.secretArn }, databaseName: s.databaseName, tags },
        child,
      );
      outputs.healthUrl = workload.healthUrl;
      // A drill's own name, never the production record; declared only once the drill's data
      // passed its checks (pilotlight sets publishTraffic after validation).
      if (s.dns?.drillName !== undefined && s.publishTraffic) {
        new aws.route53.Record(
          `${name}-record`,
          {
            zoneId: s.dns.zoneId,
            name: s.dns.drillName,
            type: "CNAME",
            ttl: s.dns.ttlSeconds,
            records: [workload.host],
          },
          child,
        );
        outputs.recordName = s.dns.drillName;
        outputs.publishedTraffic = true;
      }
    }
    this.outputs = outputs;
    this.registerOutputs({});
  }
}
