import { expect } from "chai";
import { parseStackConfig, type RawStackConfig } from "../../infra/config";
import { runProgram } from "../../infra/program";
import { installMocks, ofType, one, type Recorded } from "./mocks";

const TAGGABLE = new Set([
  "awsx:ec2:Vpc",
  "aws:rds/subnetGroup:SubnetGroup",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:kms/key:Key",
  "aws:rds/cluster:Cluster",
  "aws:rds/clusterInstance:ClusterInstance",
  "aws:iam/role:Role",
  "aws:backup/vault:Vault",
  "aws:backup/plan:Plan",
  "aws:s3/bucket:Bucket",
  "aws:sns/topic:Topic",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:lambda/function:Function",
  "aws:route53/healthCheck:HealthCheck",
  "aws:ssm/parameter:Parameter",
]);
const NOT_TAGGABLE = new Set([
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:backup/selection:Selection",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
  "aws:lambda/functionUrl:FunctionUrl",
  "aws:route53/record:Record",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:lambda/permission:Permission",
  "aws:backup/regionSettings:RegionSettings",
]);

const PRIMARY: RawStackConfig = {
  role: "primary",
  environment: "prod",
  drRegion: "us-west-2",
  dnsZoneId: "Z0123456789ABCDEFGHIJ",
  dnsName: "app.example.com",
  alertEmail: "oncall@example.com",
};
const SNAPSHOT = "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:awsbackup:job-1234";
const DR_KEY = "arn:aws:kms:us-west-2:123456789012:key/dr-key";
const DR: RawStackConfig = {
  role: "dr",
  environment: "prod",
  restoreSnapshot: SNAPSHOT,
  kmsKeyArn: DR_KEY,
  dnsZoneId: "Z0123456789ABCDEFGHIJ",
  dnsName: "app.example.com",
  dnsDrillName: "drill.app.example.com",
};
const DRILL: RawStackConfig = {
  ...DR,
  mode: "drill",
  runId: "restore-drill-20260101T030000-abc123",
  expiresAt: "2026-01-01T09:00:00.000Z",
};

/** The workload in the primary region (the DR region's pilot light has one of its own). */
function primaryFunction(resources: Recorded[]): Recorded {
  return ofType(resources, "aws:lambda/function:Function").find((f) => f.inputs["region"] === undefined)!;
}

async function evaluate(config: RawStackConfig, stack: string, region: string) {
  const mocks = installMocks(stack, region);
  const outputs = await mocks.settle(runProgram({ config, stack, componentOptions: mocks.componentOptions }));
  return { resources: mocks.resources, outputs };
}

function expectDrTags(resources: Recorded[], extra: Record<string, string> = {}) {
  const custom = resources.filter((r) => !r.type.startsWith("pilotlight:"));
  for (const r of custom) {
    const classified = TAGGABLE.has(r.type) || NOT_TAGGABLE.has(r.type);
    expect(classified, `${r.type} (${r.name}) is not classified as taggable or not in test/infra`).to.equal(true);
    if (!TAGGABLE.has(r.type)) continue;
    expect(r.inputs["tags"], `${r.type} ${r.name} has no tags`).to.be.an("object");
    expect(r.inputs["tags"], `${r.type} ${r.name}`).to.include({
      "disaster-recovery:strategy": "pilot-light",
      "disaster-recovery:rto": "4h",
      "disaster-recovery:rpo": "1h",
      "managed-by": "pilotlight",
      ...extra,
    });
    expect(r.inputs["tags"]).to.have.property("backup:automated");
  }
}

describe("infra: Pulumi programs under runtime mocks", function () {
  describe("primary stack", function () {
    let resources: Recorded[];
    let outputs: Record<string, unknown>;
    before(async function () {
      ({ resources, outputs } = await evaluate(PRIMARY, "primary", "us-east-1"));
    });

    it("declares a multi-AZ, encrypted, protected Aurora PostgreSQL cluster with managed credentials", function () {
      const cluster = one(resources, "aws:rds/cluster:Cluster").inputs;
      const primaryKey = ofType(resources, "aws:kms/key:Key").find((k) => k.inputs["region"] === undefined)!;
      expect(cluster).to.include({
        engine: "aurora-postgresql",
        storageEncrypted: true,
        deletionProtection: true,
        skipFinalSnapshot: false,
        backupRetentionPeriod: 7,
        manageMasterUserPassword: true,
        clusterIdentifier: "pilotlight-prod",
        finalSnapshotIdentifier: "pilotlight-prod-final",
      });
      expect(cluster["kmsKeyId"]).to.equal(`arn:aws:kms:us-east-1:123456789012:key/${primaryKey.name}-id`);
      expect(cluster["enabledCloudwatchLogsExports"]).to.deep.equal(["postgresql"]);
      expect(cluster).not.to.have.property("masterPassword");
      expect(cluster["tags"]).to.include({ "backup:automated": "true" });
      const instances = ofType(resources, "aws:rds/clusterInstance:ClusterInstance");
      expect(instances).to.have.length(2);
      expect(new Set(instances.map((i) => i.inputs["availabilityZone"]))).to.deep.equal(
        new Set(["us-east-1a", "us-east-1b"]),
      );
    });

    it("never lets Pulumi delete or silently re-restore the primary database", function () {
      const cluster = one(resources, "aws:rds/cluster:Cluster");
      expect(cluster.opts?.retainOnDelete).to.equal(true);
      expect(cluster.opts?.ignoreChanges).to.include("snapshotIdentifier");
    });

    it("backs up hourly and continuously, and copies every hourly backup to the DR vault", function () {
      const plan = one(resources, "aws:backup/plan:Plan").inputs;
      const drVault = ofType(resources, "aws:backup/vault:Vault").find((v) => v.inputs["region"] === "us-west-2")!;
      const [hourly, continuous] = plan["rules"];
      expect(hourly).to.deep.include({
        ruleName: "hourly",
        schedule: "cron(0 * * * ? *)",
        lifecycle: { deleteAfter: 7 },
      });
      expect(hourly.copyActions).to.deep.equal([
        {
          destinationVaultArn: `arn:aws:backup:us-west-2:123456789012:backup-vault:${drVault.inputs["name"]}`,
          lifecycle: { deleteAfter: 7 },
        },
      ]);
      expect(continuous).to.deep.include({ enableContinuousBackup: true });
      expect(plan["name"]).to.match(/^[A-Za-z0-9_]+$/);
      const selection = one(resources, "aws:backup/selection:Selection").inputs;
      expect(selection["name"]).to.match(/^[A-Za-z0-9_]+$/);
      expect(selection["selectionTags"]).to.deep.equal([
        { type: "STRINGEQUALS", key: "backup:automated", value: "true" },
      ]);
    });

    it("puts the pilot light in the DR region: vault with a DR-region key, replica bucket, the idle workload and its gates, no database", function () {
      const inDr = resources.filter((r) => r.inputs["region"] === "us-west-2");
      expect(new Set(inDr.map((r) => r.type))).to.deep.equal(
        new Set([
          "aws:kms/key:Key",
          "aws:backup/vault:Vault",
          "aws:s3/bucket:Bucket",
          "aws:s3/bucketVersioning:BucketVersioning",
          "aws:cloudwatch/metricAlarm:MetricAlarm",
          "aws:lambda/function:Function",
          "aws:lambda/functionUrl:FunctionUrl",
          "aws:lambda/permission:Permission",
        ]),
      );
      const drVault = inDr.find((r) => r.type === "aws:backup/vault:Vault")!;
      const drKey = inDr.find((r) => r.type === "aws:kms/key:Key")!;
      expect(drVault.inputs["kmsKeyArn"]).to.equal(`arn:aws:kms:us-west-2:123456789012:key/${drKey.name}-id`);
      // The DR workload finds its database through a parameter the DR stack writes; no cluster here.
      const drFn = inDr.find((r) => r.type === "aws:lambda/function:Function")!;
      expect(drFn.inputs["environment"].variables).to.have.property(
        "DATABASE_PARAMETER",
        "/pilotlight/prod/dr/database",
      );
      expect(drFn.inputs["runtime"]).to.equal("nodejs22.x");
    });

    it("replicates the versioned assets bucket to the DR bucket", function () {
      const replication = one(resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").inputs;
      const replica = ofType(resources, "aws:s3/bucket:Bucket").find((b) => b.inputs["region"] === "us-west-2")!;
      expect(replication["rules"][0].destination.bucket).to.equal(`arn:aws:s3:::${replica.name}-id`);
      for (const v of ofType(resources, "aws:s3/bucketVersioning:BucketVersioning"))
        expect(v.inputs["versioningConfiguration"]).to.deep.equal({ status: "Enabled" });
    });

    it("fails over on Route 53's data plane: PRIMARY and SECONDARY records, each on a calculated check over its endpoint and a gate", function () {
      const records = ofType(resources, "aws:route53/record:Record").map((r) => r.inputs);
      const checks = new Map(ofType(resources, "aws:route53/healthCheck:HealthCheck").map((c) => [`${c.name}-id`, c]));
      expect(records.map((r) => [r["setIdentifier"], r["failoverRoutingPolicies"][0].type])).to.deep.equal([
        ["dr", "SECONDARY"],
        ["primary", "PRIMARY"],
      ]);
      for (const record of records) {
        expect(record).to.include({ name: "app.example.com", type: "CNAME" });
        expect(record["ttl"]).to.be.at.most(60);
        const check = checks.get(record["healthCheckId"])!;
        expect(check.inputs["type"]).to.equal("CALCULATED");
        const children = (check.inputs["childHealthchecks"] as string[]).map((id) => checks.get(id)!.inputs);
        // The endpoint's own HTTPS check, and a CLOUDWATCH_METRIC gate pilotlight sets through
        // CloudWatch in the DR region (no Route 53 control-plane call on the bad day).
        expect(children.map((c) => c["type"]).sort()).to.deep.equal(["CLOUDWATCH_METRIC", "HTTPS"]);
        expect(children.find((c) => c["type"] === "CLOUDWATCH_METRIC")!["cloudwatchAlarmRegion"]).to.equal("us-west-2");
      }
      // A refresh never pulls an operator's inversion or disabling into the program.
      for (const c of checks.values())
        expect(c.opts?.ignoreChanges ?? []).to.include.members(["invertHealthcheck", "disabled"]);
    });

    it("alarms on failed backup jobs, failed copy jobs and database health into one SNS topic", function () {
      const alarms = ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs["metricName"]);
      expect(alarms).to.include.members(["NumberOfBackupJobsFailed", "NumberOfCopyJobsFailed", "CPUUtilization"]);
      expect(one(resources, "aws:sns/topicSubscription:TopicSubscription").inputs).to.include({
        protocol: "email",
        endpoint: "oncall@example.com",
      });
    });

    it("tags every taggable resource with the DR tags and pilotlight's deletion guard", function () {
      expectDrTags(resources, { "pilotlight:environment": "prod" });
    });

    it("exports what the automation layer needs", function () {
      expect(outputs).to.include.keys([
        "clusterArn",
        "clusterIdentifier",
        "primaryVaultArn",
        "drVaultArn",
        "drVaultName",
        "primaryKmsKeyArn",
        "drKmsKeyArn",
        "backupRoleArn",
        "assetsBucket",
        "replicaBucket",
        "alertsTopicArn",
        "healthUrl",
        "healthCheckId",
        "zoneId",
      ]);
      expect(outputs["drRegion"]).to.equal("us-west-2");
      expect(outputs["healthUrl"]).to.match(/^https:\/\/.+\/health$/);
    });
  });

  describe("failback generation of the primary", function () {
    it("restores a new cluster from the snapshot copied home, leaving the old one to pilotlight", async function () {
      const home = "arn:aws:rds:us-east-1:123456789012:cluster-snapshot:pilotlight-failback-1";
      const { resources } = await evaluate(
        { ...PRIMARY, databaseGeneration: "2", restoreSnapshot: home },
        "primary",
        "us-east-1",
      );
      const cluster = one(resources, "aws:rds/cluster:Cluster");
      expect(cluster.inputs).to.include({
        clusterIdentifier: "pilotlight-prod-g2",
        snapshotIdentifier: home,
        deletionProtection: true,
      });
      expect(cluster.name).to.contain("database-g2");
      expect(cluster.opts?.retainOnDelete).to.equal(true);
    });
  });

  describe("point-in-time candidate of the primary", function () {
    const pitr = {
      ...PRIMARY,
      databaseGeneration: "2",
      restoreToTime: "2026-01-19T13:00:00Z",
      restoreSourceCluster: "pilotlight-prod",
    };

    it("declares the candidate restored to the time beside the serving cluster, which the workload keeps using", async function () {
      const { resources, outputs } = await evaluate({ ...pitr, servingGeneration: "1" }, "primary", "us-east-1");
      const clusters = ofType(resources, "aws:rds/cluster:Cluster");
      expect(clusters.map((c) => c.inputs["clusterIdentifier"]).sort()).to.deep.equal([
        "pilotlight-prod",
        "pilotlight-prod-g2",
      ]);
      const candidate = clusters.find((c) => c.inputs["clusterIdentifier"] === "pilotlight-prod-g2")!;
      expect(candidate.inputs["restoreToPointInTime"]).to.deep.include({
        sourceClusterIdentifier: "pilotlight-prod",
        restoreToTime: "2026-01-19T13:00:00Z",
      });
      expect(clusters.find((c) => c.inputs["clusterIdentifier"] === "pilotlight-prod")!.inputs).not.to.have.property(
        "restoreToPointInTime",
      );
      const fn = primaryFunction(resources).inputs;
      expect(fn["environment"].variables.CLUSTER_ARN).to.contain(":cluster:pilotlight-prod").and.not.contain("g2");
      expect(outputs).to.deep.include({ databaseGeneration: 1, newestGeneration: 2 });
    });

    it("cuts over when the candidate serves: the old generation leaves the program (retained, not deleted)", async function () {
      const { resources } = await evaluate({ ...pitr, servingGeneration: "2" }, "primary", "us-east-1");
      const cluster = one(resources, "aws:rds/cluster:Cluster");
      expect(cluster.inputs["clusterIdentifier"]).to.equal("pilotlight-prod-g2");
      expect(cluster.opts?.ignoreChanges).to.include("restoreToPointInTime");
      expect(primaryFunction(resources).inputs["environment"].variables.CLUSTER_ARN).to.contain("pilotlight-prod-g2");
    });

    it("refuses a serving generation that is neither the newest nor the one before", function () {
      expect(() => parseStackConfig({ ...pitr, servingGeneration: "5" }, "primary")).to.throw(
        /pilotlight:servingGeneration/,
      );
      expect(() => parseStackConfig({ ...pitr, restoreSourceCluster: undefined }, "primary")).to.throw(/set both/);
    });
  });

  describe("DR stack (production)", function () {
    let resources: Recorded[];
    let outputs: Record<string, unknown>;
    before(async function () {
      ({ resources, outputs } = await evaluate(DR, "dr", "us-west-2"));
    });

    it("restores the cluster from the configured recovery point with the DR key, and adds the writer a restore lacks", function () {
      const cluster = one(resources, "aws:rds/cluster:Cluster").inputs;
      expect(cluster).to.include({
        snapshotIdentifier: SNAPSHOT,
        kmsKeyId: DR_KEY,
        deletionProtection: true,
        storageEncrypted: true,
      });
      expect(cluster).not.to.have.property("masterUsername");
      const writer = ofType(resources, "aws:rds/clusterInstance:ClusterInstance").find((i) =>
        i.inputs["identifier"].endsWith("-writer"),
      );
      expect(writer?.inputs).to.include({ instanceClass: "db.r6g.large", engine: "aurora-postgresql" });
      expect(outputs["restoredFrom"]).to.equal(SNAPSHOT);
    });

    it("needs no Route 53 call: it publishes the restored database to the parameter the pilot light's workload reads", function () {
      expect(ofType(resources, "aws:route53/record:Record")).to.deep.equal([]);
      const parameter = one(resources, "aws:ssm/parameter:Parameter").inputs;
      expect(parameter["name"]).to.equal("/pilotlight/prod/dr/database");
      // A secret output (the secret's ARN) arrives as a secret envelope under mocks.
      const value = typeof parameter["value"] === "string" ? parameter["value"] : parameter["value"].value;
      expect(JSON.parse(value)).to.have.keys(["clusterArn", "secretArn"]);
    });

    it("tags everything", function () {
      expectDrTags(resources);
    });
  });

  describe("DR stack (drill mode)", function () {
    let resources: Recorded[];
    before(async function () {
      ({ resources } = await evaluate(DRILL, "drill-restore-drill-20260101t030000-abc123", "us-west-2"));
    });

    it("publishes no record before its data passed its checks; then only the drill name, without failover routing", async function () {
      expect(ofType(resources, "aws:route53/record:Record")).to.deep.equal([]);
      const { resources: published } = await evaluate({ ...DRILL, publishTraffic: "true" }, "drill-x", "us-west-2");
      const records = ofType(published, "aws:route53/record:Record");
      expect(records.map((r) => r.inputs["name"])).to.deep.equal(["drill.app.example.com"]);
      expect(records[0]!.inputs).not.to.have.property("failoverRoutingPolicies");
    });

    it("is isolated, small, deletable without a final snapshot, and tagged with its run and expiry", function () {
      const sg = one(resources, "aws:ec2/securityGroup:SecurityGroup").inputs;
      expect(sg["ingress"]).to.deep.equal([]);
      const cluster = one(resources, "aws:rds/cluster:Cluster");
      expect(cluster.inputs).to.include({ deletionProtection: false, skipFinalSnapshot: true });
      expect(cluster.inputs["clusterIdentifier"])
        .to.match(/^pl-drill-/)
        .and.have.length.at.most(63);
      expect(cluster.opts?.retainOnDelete).to.equal(false);
      const instances = ofType(resources, "aws:rds/clusterInstance:ClusterInstance");
      expect(instances).to.have.length(1);
      // Serverless v2 by default: the Data API does not serve T classes.
      expect(instances[0]!.inputs["instanceClass"]).to.equal("db.serverless");
      expectDrTags(resources, { "pilotlight:run-id": DRILL["runId"]!, "pilotlight:expires-at": DRILL["expiresAt"]! });
    });

    it("declares no record at all when no drill name is configured", async function () {
      const { dnsDrillName: _unused, ...noDrillName } = DRILL;
      const { resources: r } = await evaluate(noDrillName, "drill-x", "us-west-2");
      expect(ofType(r, "aws:route53/record:Record")).to.deep.equal([]);
    });

    it("a labelled drill stack (the full drill's copy home) gets a cluster identifier of its own", async function () {
      const { resources: r } = await evaluate({ ...DRILL, drillLabel: "home" }, "drill-x-home", "us-east-1");
      const id = String(one(r, "aws:rds/cluster:Cluster").inputs["clusterIdentifier"]);
      const plain = String(one(resources, "aws:rds/cluster:Cluster").inputs["clusterIdentifier"]);
      expect(id)
        .to.equal(plain.replace(/^pl-drill-/, "pl-drill-home-"))
        .and.have.length.at.most(63);
    });
  });

  describe("stack config validation", function () {
    const problems = (raw: RawStackConfig) => {
      try {
        parseStackConfig(raw, "dr");
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error("expected a configuration error");
    };

    it("names every bad key with its fix", function () {
      const message = problems({
        role: "dr",
        mode: "drill",
        restoreSnapshot: "snap-1",
        dnsTtl: "300",
        dnsName: "a.example.com",
        typo: "x",
      });
      for (const key of [
        "pilotlight:restoreSnapshot",
        "pilotlight:kmsKeyArn",
        "pilotlight:runId",
        "pilotlight:expiresAt",
        "pilotlight:dnsTtl",
        "pilotlight:dnsName and pilotlight:dnsZoneId",
        "pilotlight:typo",
      ]) {
        expect(message).to.contain(key);
      }
    });

    it("accepts a drill label only in drill mode, as a short lowercase word", function () {
      const dr = { role: "dr", restoreSnapshot: "s", kmsKeyArn: "k" };
      expect(problems({ ...dr, mode: "production", drillLabel: "home" })).to.contain(
        "pilotlight:drillLabel: only valid in drill mode",
      );
      expect(
        problems({ ...dr, mode: "drill", runId: "r", expiresAt: "2026-01-01T00:00:00Z", drillLabel: "Home-1" }),
      ).to.contain("pilotlight:drillLabel");
    });

    it("requires a role and the primary's DR region; requires a snapshot for a later generation", function () {
      expect(problems({})).to.contain("pilotlight:role: required");
      expect(problems({ role: "primary" })).to.contain("pilotlight:drRegion: required");
      expect(problems({ role: "primary", drRegion: "us-west-2", databaseGeneration: "2" })).to.contain(
        "pilotlight:restoreSnapshot: required when databaseGeneration > 1",
      );
    });

    it("registers no resource when the config is invalid", function () {
      const mocks = installMocks("dr", "us-west-2");
      expect(() => runProgram({ config: { role: "dr" }, stack: "dr" })).to.throw(/pilotlight:restoreSnapshot/);
      expect(mocks.resources).to.deep.equal([]);
    });
  });
});
