import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import type { DrSettings } from "./config";
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
}

/**
 * The DR environment, stood up on demand in the DR region (the stack's `aws:region`): network,
 * an Aurora cluster restored from the snapshot or recovery point in config, encrypted with the
 * pilot light's DR key, the writer instance a restore never creates, the workload, and the
 * SECONDARY failover record. In `drill` mode the same program builds a throw-away copy: no
 * production DNS, an isolated security group, a small instance, TTL tags, no final snapshot.
 */
export class DrEnvironment extends pulumi.ComponentResource {
  readonly outputs: DrOutputs;

  constructor(name: string, s: DrSettings, opts: pulumi.ComponentResourceOptions & { workload?: WorkloadFactory } = {}) {
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
      { numberOfAvailabilityZones: 2, natGateways: { strategy: "None" }, subnetSpecs: [{ type: "Isolated", cidrMask: 24 }], tags },
      child,
    );
    const subnets = new aws.rds.SubnetGroup(`${name}-db-subnets`, { subnetIds: vpc.isolatedSubnetIds, tags }, child);
    // A drill's database accepts no connection at all: validation goes through the Data API.
    const dbSg = new aws.ec2.SecurityGroup(
      `${name}-db-sg`,
      {
        vpcId: vpc.vpcId,
        description: drill ? "pilotlight drill: isolated, no ingress" : "Aurora PostgreSQL: PostgreSQL from inside the VPC only",
        ingress: drill ? [] : [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: [vpc.vpc.cidrBlock] }],
        egress: [],
        tags,
      },
      child,
    );
    const identifier = drill ? `pl-drill-${s.drillLabel === undefined ? "" : `${s.drillLabel}-`}${shortId(s.runId ?? "drill")}` : `pilotlight-${s.environment}-dr`;
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
        protect: !drill,
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
      ...(drill && s.expiresAt !== undefined ? { expiresAt: s.expiresAt } : {}),
    };
    if (s.workload === "reference") {
      const workload = (opts.workload ?? referenceWorkload)(`${name}-workload`, { clusterArn: db.cluster.arn, secretArn: db.secretArn, databaseName: s.databaseName, tags }, child);
      outputs.healthUrl = workload.healthUrl;
      const recordName = drill ? s.dns?.drillName : s.dns?.name;
      if (s.dns !== undefined && recordName !== undefined) {
        new aws.route53.Record(
          `${name}-record`,
          drill
            ? // A drill never touches the production record: a plain record of its own name.
              { zoneId: s.dns.zoneId, name: recordName, type: "CNAME", ttl: s.dns.ttlSeconds, records: [workload.host] }
            : {
                zoneId: s.dns.zoneId,
                name: recordName,
                type: "CNAME",
                ttl: s.dns.ttlSeconds,
                records: [workload.host],
                setIdentifier: "dr",
                failoverRoutingPolicies: [{ type: "SECONDARY" }],
              },
          child,
        );
        outputs.recordName = recordName;
      }
    }
    this.outputs = outputs;
    this.registerOutputs({});
  }
}

/** A cluster-identifier-safe, short form of a run id (identifiers are at most 63 characters). */
export function shortId(runId: string): string {
  return runId.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-").slice(-40).replace(/^-+|-+$/g, "");
}
