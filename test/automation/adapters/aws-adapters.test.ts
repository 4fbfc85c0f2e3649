import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import {
  BackupClient,
  DescribeBackupVaultCommand,
  ListRecoveryPointsByBackupVaultCommand,
  DescribeRegionSettingsCommand,
} from "@aws-sdk/client-backup";
import {
  CopyDBClusterSnapshotCommand,
  DeleteDBClusterCommand,
  DeleteDBClusterSnapshotCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  EnableHttpEndpointCommand,
  DescribeDBClusterSnapshotsCommand,
  ModifyDBClusterCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { GetHealthCheckStatusCommand, Route53Client } from "@aws-sdk/client-route-53";
import { CloudWatchClient, DescribeAlarmsForMetricCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { AwsKeys } from "../../../automation/adapters/aws-keys";
import { AwsBackups } from "../../../automation/adapters/aws-backups";
import { AwsDatabases } from "../../../automation/adapters/aws-databases";
import { DataApiSql, toNamedParameters } from "../../../automation/adapters/data-api-sql";
import { HttpHealth } from "../../../automation/adapters/http-health";
import { FanOutNotifier, SnsNotifier, WebhookNotifier } from "../../../automation/adapters/notifiers";
import { AwsTraffic } from "../../../automation/adapters/aws-traffic";
import { VirtualClock } from "../../../automation/adapters/virtual-clock";
import { isPilotlightError } from "../../../automation/domain/errors";

async function failure(p: Promise<unknown>): Promise<{ code: string; source: string; message: string }> {
  try {
    await p;
  } catch (error) {
    if (isPilotlightError(error)) return { code: error.code, source: error.source, message: error.message };
    throw error;
  }
  throw new Error("expected an error");
}

const throttled = () =>
  Object.assign(new Error("Rate exceeded"), {
    name: "ThrottlingException",
    $retryable: { throttling: true },
    $metadata: {},
  });

describe("AWS adapters (aws-sdk-client-mock; any unexpected command fails)", function () {
  describe("AwsBackups", function () {
    const backup = mockClient(BackupClient);
    // Any command a test did not expect fails it (specific behaviours below take precedence).
    beforeEach(() => backup.reset().onAnyCommand().rejects(new Error("unexpected AWS Backup command")));
    // A client with no retries, so that throttling surfaces in one call.
    const adapter = () =>
      new AwsBackups(
        (region) =>
          new BackupClient({ region, maxAttempts: 1, credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
      );

    it("describes a vault with its key and recovery points; a missing vault is undefined, not an error", async function () {
      backup.on(DescribeBackupVaultCommand, { BackupVaultName: "pilotlight-prod-dr" }).resolves({
        BackupVaultName: "pilotlight-prod-dr",
        BackupVaultArn: "arn:aws:backup:us-west-2:1:backup-vault:pilotlight-prod-dr",
        EncryptionKeyArn: "arn:aws:kms:us-west-2:1:key/dr",
        NumberOfRecoveryPoints: 42,
      });
      backup
        .on(DescribeBackupVaultCommand, { BackupVaultName: "gone" })
        .rejects(Object.assign(new Error("not found"), { name: "ResourceNotFoundException", $metadata: {} }));
      expect(await adapter().describeVault({ region: "us-west-2", vault: "pilotlight-prod-dr" })).to.deep.equal({
        name: "pilotlight-prod-dr",
        arn: "arn:aws:backup:us-west-2:1:backup-vault:pilotlight-prod-dr",
        region: "us-west-2",
        encryptionKeyArn: "arn:aws:kms:us-west-2:1:key/dr",
        recoveryPoints: 42,
      });
      expect(await adapter().describeVault({ region: "us-west-2", vault: "gone" })).to.equal(undefined);
      backup.on(DescribeBackupVaultCommand, { BackupVaultName: "slow" }).rejects(throttled());
      expect(await failure(adapter().describeVault({ region: "us-west-2", vault: "slow" }))).to.deep.include({
        code: "aws.throttled",
      });
    });

    it("lists every page of a vault's recovery points for one resource", async function () {
      backup
        .on(ListRecoveryPointsByBackupVaultCommand, {
          BackupVaultName: "pilotlight-prod-dr",
          ByResourceArn: "arn:aws:rds:us-east-1:1:cluster:p",
          NextToken: undefined,
        })
        .resolves({
          RecoveryPoints: [
            {
              RecoveryPointArn: "arn:aws:rds:us-west-2:1:cluster-snapshot:awsbackup:copy-1",
              CreationDate: new Date(1000),
              Status: "COMPLETED",
              ResourceArn: "arn:aws:rds:us-east-1:1:cluster:p",
            },
          ],
          NextToken: "t2",
        })
        .on(ListRecoveryPointsByBackupVaultCommand, { NextToken: "t2" })
        .resolves({
          RecoveryPoints: [
            {
              RecoveryPointArn: "arn:aws:backup:us-west-2:1:recovery-point:continuous:cluster-x",
              CreationDate: new Date(2000),
              Status: "COMPLETED",
              ResourceArn: "arn:aws:rds:us-east-1:1:cluster:p",
            },
          ],
        });
      const points = await adapter().listRecoveryPoints({
        region: "us-west-2",
        vault: "pilotlight-prod-dr",
        resourceArn: "arn:aws:rds:us-east-1:1:cluster:p",
      });
      expect(points.map((p) => [p.kind, p.createdAt, p.status])).to.deep.equal([
        ["snapshot", 1000, "COMPLETED"],
        ["continuous", 2000, "COMPLETED"],
      ]);
      expect(backup.commandCalls(ListRecoveryPointsByBackupVaultCommand)).to.have.length(2);
    });

    it("reads the Region's service opt-in; throttling that outlasted the retries is aws.throttled naming the call", async function () {
      backup
        .on(DescribeRegionSettingsCommand)
        .resolvesOnce({ ResourceTypeOptInPreference: { Aurora: true, RDS: false } })
        .rejects(throttled());
      expect(await adapter().regionSettings({ region: "us-west-2" })).to.deep.equal({
        optIn: { Aurora: true, RDS: false },
      });
      const e = await failure(adapter().regionSettings({ region: "us-west-2" }));
      expect(e).to.deep.include({ code: "aws.throttled", source: "aws" });
      expect(e.message).to.contain("DescribeRegionSettings");
    });
  });

  describe("AwsKeys", function () {
    const kms = mockClient(KMSClient);
    beforeEach(() => kms.reset().onAnyCommand().rejects(new Error("unexpected KMS command")));
    const adapter = () =>
      new AwsKeys(
        (region) => new KMSClient({ region, maxAttempts: 1, credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
      );

    it("reads a key's state; a key pending deletion is not enabled; an unknown key is undefined", async function () {
      kms.on(DescribeKeyCommand, { KeyId: "arn:aws:kms:us-west-2:1:key/dr" }).resolves({
        KeyMetadata: {
          KeyId: "dr",
          Arn: "arn:aws:kms:us-west-2:1:key/dr",
          KeyState: "PendingDeletion",
          Enabled: false,
        },
      });
      kms.on(DescribeKeyCommand, { KeyId: "arn:aws:kms:us-east-1:1:key/p" }).resolves({
        KeyMetadata: { KeyId: "p", Arn: "arn:aws:kms:us-east-1:1:key/p", KeyState: "Enabled", Enabled: true },
      });
      kms
        .on(DescribeKeyCommand, { KeyId: "arn:aws:kms:us-east-1:1:key/none" })
        .rejects(Object.assign(new Error("not found"), { name: "NotFoundException", $metadata: {} }));
      expect(
        await adapter().describeKey({ region: "us-west-2", keyArn: "arn:aws:kms:us-west-2:1:key/dr" }),
      ).to.deep.equal({ arn: "arn:aws:kms:us-west-2:1:key/dr", state: "PendingDeletion", enabled: false });
      expect(
        await adapter().describeKey({ region: "us-east-1", keyArn: "arn:aws:kms:us-east-1:1:key/p" }),
      ).to.deep.include({ state: "Enabled", enabled: true });
      expect(await adapter().describeKey({ region: "us-east-1", keyArn: "arn:aws:kms:us-east-1:1:key/none" })).to.equal(
        undefined,
      );
      kms
        .on(DescribeKeyCommand, { KeyId: "denied" })
        .rejects(Object.assign(new Error("no"), { name: "AccessDeniedException", $fault: "client", $metadata: {} }));
      expect((await failure(adapter().describeKey({ region: "us-east-1", keyArn: "denied" }))).message).to.contain(
        "DescribeKey",
      );
    });
  });

  describe("AwsDatabases", function () {
    const rds = mockClient(RDSClient);
    beforeEach(() => rds.reset().onAnyCommand().rejects(new Error("unexpected RDS command")));
    const adapter = (clock = new VirtualClock({ start: 0 })) =>
      new AwsDatabases(
        clock,
        (region) => new RDSClient({ region, maxAttempts: 1, credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
      );

    const wait = () => ({ maxWaitMs: 3_600_000, signal: new AbortController().signal });
    const cluster = (over: Record<string, unknown> = {}) => ({
      DBClusterIdentifier: "pilotlight-prod-dr",
      DBClusterArn: "arn:aws:rds:us-west-2:1:cluster:pilotlight-prod-dr",
      Status: "available",
      TagList: [{ Key: "managed-by", Value: "pilotlight" }],
      ...over,
    });

    it("refuses to delete a cluster without pilotlight's tag, and sends nothing destructive", async function () {
      rds
        .on(DescribeDBClustersCommand)
        .resolves({ DBClusters: [cluster({ DBClusterIdentifier: "theirs", TagList: [{ Key: "team", Value: "x" }] })] });
      const e = await failure(adapter().deleteCluster({ region: "us-west-2", id: "theirs", ...wait() }));
      expect(e).to.deep.include({ code: "guard.untagged", source: "user" });
      expect(rds.commandCalls(ModifyDBClusterCommand)).to.have.length(0);
      expect(rds.commandCalls(DeleteDBClusterCommand)).to.have.length(0);
    });

    it("refuses to lift deletion protection that pilotlight did not set, and one kept for forensics", async function () {
      rds
        .on(DescribeDBClustersCommand, { DBClusterIdentifier: "pilotlight-prod-dr" })
        .resolves({ DBClusters: [cluster({ DeletionProtection: true })] });
      expect(
        await failure(adapter().deleteCluster({ region: "us-west-2", id: "pilotlight-prod-dr", ...wait() })),
      ).to.deep.include({ code: "guard.protected" });
      rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: "damaged" }).resolves({
        DBClusters: [
          cluster({
            DBClusterIdentifier: "damaged",
            TagList: [
              { Key: "managed-by", Value: "pilotlight" },
              { Key: "pilotlight:forensics", Value: "run-1" },
            ],
          }),
        ],
      });
      expect(await failure(adapter().deleteCluster({ region: "us-west-2", id: "damaged", ...wait() }))).to.deep.include(
        { code: "guard.forensics" },
      );
      expect(rds.commandCalls(ModifyDBClusterCommand)).to.have.length(0);
      expect(rds.commandCalls(DeleteDBInstanceCommand)).to.have.length(0);
      expect(rds.commandCalls(DeleteDBClusterCommand)).to.have.length(0);
    });

    it("takes the writer from IsClusterWriter, not from the members' order (which is not documented)", async function () {
      rds.on(DescribeDBClustersCommand).resolves({
        DBClusters: [
          cluster({
            DBClusterMembers: [
              { DBInstanceIdentifier: "reader-1", IsClusterWriter: false },
              { DBInstanceIdentifier: "writer", IsClusterWriter: true },
            ],
          }),
        ],
      });
      rds.on(DescribeDBInstancesCommand).resolves({
        DBInstances: [
          { DBInstanceIdentifier: "reader-1", DBInstanceClass: "db.t4g.medium", DBInstanceStatus: "available" },
          { DBInstanceIdentifier: "writer", DBInstanceClass: "db.r6g.large", DBInstanceStatus: "available" },
        ],
      });
      const info = await adapter(new VirtualClock({ start: 0 })).describeCluster({ region: "us-west-2", id: "c" });
      expect(info!.instances).to.deep.equal([
        { id: "reader-1", writer: false, instanceClass: "db.t4g.medium", status: "available" },
        { id: "writer", writer: true, instanceClass: "db.r6g.large", status: "available" },
      ]);
    });

    it("deletes instances first, lifts protection it set, waits on the clock, keeps a final snapshot", async function () {
      const clock = new VirtualClock({ start: 0 });
      const tags = [
        { Key: "managed-by", Value: "pilotlight" },
        { Key: "pilotlight:protected-by", Value: "pilotlight" },
      ];
      const member = { DBClusterMembers: [{ DBInstanceIdentifier: "i-1" }] };
      rds
        .on(DescribeDBClustersCommand)
        .resolvesOnce({ DBClusters: [cluster({ TagList: tags, DeletionProtection: true, ...member })] })
        .resolvesOnce({ DBClusters: [cluster({ TagList: tags, ...member })] }) // instance still deleting
        .resolvesOnce({ DBClusters: [cluster({ TagList: tags })] }) // instance gone
        .rejects(Object.assign(new Error("gone"), { name: "DBClusterNotFoundFault", $metadata: {} }));
      rds
        .on(DescribeDBInstancesCommand)
        .resolvesOnce({
          DBInstances: [
            { DBInstanceIdentifier: "i-1", DBInstanceClass: "db.r6g.large", DBInstanceStatus: "available" },
          ],
        })
        .resolves({
          DBInstances: [{ DBInstanceIdentifier: "i-1", DBInstanceClass: "db.r6g.large", DBInstanceStatus: "deleting" }],
        });
      rds.on(ModifyDBClusterCommand).resolves({});
      rds.on(DeleteDBInstanceCommand).resolves({});
      rds.on(DeleteDBClusterCommand).resolves({});
      const p = adapter(clock).deleteCluster({
        region: "us-west-2",
        id: "pilotlight-prod-dr",
        finalSnapshotId: "pilotlight-prod-dr-final",
        ...wait(),
      });
      await p;
      expect(rds.commandCalls(ModifyDBClusterCommand)[0]!.args[0].input).to.deep.equal({
        DBClusterIdentifier: "pilotlight-prod-dr",
        DeletionProtection: false,
        ApplyImmediately: true,
      });
      expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).to.deep.equal([
        { DBInstanceIdentifier: "i-1" },
      ]);
      expect(rds.commandCalls(DeleteDBClusterCommand).map((c) => c.args[0].input)).to.deep.equal([
        {
          DBClusterIdentifier: "pilotlight-prod-dr",
          SkipFinalSnapshot: false,
          FinalDBSnapshotIdentifier: "pilotlight-prod-dr-final",
        },
      ]);
      // The cluster was deleted only after its instance had gone (the second poll).
      const deleteAt = rds.send.getCalls().findIndex((c) => c.args[0] instanceof DeleteDBClusterCommand);
      const instanceAt = rds.send.getCalls().findIndex((c) => c.args[0] instanceof DeleteDBInstanceCommand);
      expect(instanceAt).to.be.lessThan(deleteAt);
      expect(clock.now()).to.be.greaterThan(0);
      clock.dispose();
    });

    it("enables the Data API by cluster ARN (EnableHttpEndpoint)", async function () {
      rds
        .on(EnableHttpEndpointCommand)
        .resolves({ ResourceArn: "arn:aws:rds:us-west-2:1:cluster:c", HttpEndpointEnabled: true });
      await adapter().enableHttpEndpoint({ region: "us-west-2", clusterArn: "arn:aws:rds:us-west-2:1:cluster:c" });
      expect(rds.commandCalls(EnableHttpEndpointCommand).map((c) => c.args[0].input)).to.deep.equal([
        { ResourceArn: "arn:aws:rds:us-west-2:1:cluster:c" },
      ]);
    });

    it("lists manual snapshots only, and deletes a snapshot only when it carries pilotlight's tag", async function () {
      const snap = (id: string, tags: Array<{ Key: string; Value: string }>) => ({
        DBClusterSnapshotIdentifier: id,
        DBClusterSnapshotArn: `arn:aws:rds:us-west-2:1:cluster-snapshot:${id}`,
        Status: "available",
        TagList: tags,
      });
      rds.on(DescribeDBClusterSnapshotsCommand, { SnapshotType: "manual" }).resolves({
        DBClusterSnapshots: [snap("pl-drill-x", [{ Key: "managed-by", Value: "pilotlight" }]), snap("theirs", [])],
      });
      rds
        .on(DescribeDBClusterSnapshotsCommand, { DBClusterSnapshotIdentifier: "theirs" })
        .resolves({ DBClusterSnapshots: [snap("theirs", [])] });
      rds
        .on(DescribeDBClusterSnapshotsCommand, { DBClusterSnapshotIdentifier: "pl-drill-x" })
        .resolves({ DBClusterSnapshots: [snap("pl-drill-x", [{ Key: "managed-by", Value: "pilotlight" }])] });
      rds.on(DeleteDBClusterSnapshotCommand).resolves({});
      const listed = await adapter().listClusterSnapshots({ region: "us-west-2" });
      expect(listed.map((s) => [s.id, s.tags["managed-by"] ?? null])).to.deep.equal([
        ["pl-drill-x", "pilotlight"],
        ["theirs", null],
      ]);
      expect(await failure(adapter().deleteClusterSnapshot({ region: "us-west-2", id: "theirs" }))).to.deep.include({
        code: "guard.untagged",
        source: "user",
      });
      expect(rds.commandCalls(DeleteDBClusterSnapshotCommand)).to.have.length(0);
      await adapter().deleteClusterSnapshot({ region: "us-west-2", id: "pl-drill-x" });
      expect(rds.commandCalls(DeleteDBClusterSnapshotCommand).map((c) => c.args[0].input)).to.deep.equal([
        { DBClusterSnapshotIdentifier: "pl-drill-x" },
      ]);
    });

    it("copies a snapshot home in the destination region with the destination key and the source as an ARN", async function () {
      rds
        .on(DescribeDBClusterSnapshotsCommand)
        .rejects(Object.assign(new Error("not found"), { name: "DBClusterSnapshotNotFoundFault" }));
      rds.on(CopyDBClusterSnapshotCommand).resolves({
        DBClusterSnapshot: {
          DBClusterSnapshotIdentifier: "pl-failback-1",
          DBClusterSnapshotArn: "arn:aws:rds:us-east-1:1:cluster-snapshot:pl-failback-1",
          Status: "copying",
        },
      });
      const s = await adapter().copyClusterSnapshot({
        sourceArn: "arn:aws:rds:us-west-2:1:cluster-snapshot:pl-failback-1",
        targetRegion: "us-east-1",
        targetId: "pl-failback-1",
        kmsKeyId: "arn:aws:kms:us-east-1:1:key/k",
        tags: { "managed-by": "pilotlight" },
      });
      expect(s.region).to.equal("us-east-1");
      expect(rds.commandCalls(CopyDBClusterSnapshotCommand)[0]!.args[0].input).to.deep.equal({
        SourceDBClusterSnapshotIdentifier: "arn:aws:rds:us-west-2:1:cluster-snapshot:pl-failback-1",
        TargetDBClusterSnapshotIdentifier: "pl-failback-1",
        KmsKeyId: "arn:aws:kms:us-east-1:1:key/k",
        CopyTags: false,
        Tags: [{ Key: "managed-by", Value: "pilotlight" }],
      });
    });

    it("bounds a wait: polls on the injected clock with backoff, then wait.timed-out naming the last state", async function () {
      const clock = new VirtualClock({ start: 0 });
      rds
        .on(DescribeDBClusterSnapshotsCommand)
        .resolves({ DBClusterSnapshots: [{ DBClusterSnapshotIdentifier: "c", Status: "creating", TagList: [] }] });
      const e = await failure(
        adapter(clock).waitForSnapshotAvailable({
          region: "us-west-2",
          id: "c",
          maxWaitMs: 10 * 60_000,
          signal: new AbortController().signal,
        }),
      );
      expect(e.code).to.equal("wait.timed-out");
      expect(e.message).to.contain("creating");
      expect(clock.now()).to.equal(10 * 60_000);
      // Delays between 30 s and a doubling ceiling capped at 120 s, jitter fixed at the midpoint:
      // 30, 45, 75, 75, … → checks at 0, 30, 75, 150, 225, 300, 375, 450, 525 and 600 s.
      expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand).length).to.equal(10);
      clock.dispose();
    });

    it("ends a wait when the run is aborted", async function () {
      const clock = new VirtualClock({ start: 0 });
      rds
        .on(DescribeDBClusterSnapshotsCommand)
        .resolves({ DBClusterSnapshots: [{ DBClusterSnapshotIdentifier: "c", Status: "creating", TagList: [] }] });
      const ctl = new AbortController();
      const p = adapter(clock).waitForSnapshotAvailable({
        region: "us-west-2",
        id: "c",
        maxWaitMs: 3_600_000,
        signal: ctl.signal,
      });
      await clock.advance(0);
      ctl.abort(new Error("SIGINT"));
      try {
        await p;
        expect.fail("expected the abort reason");
      } catch (error) {
        expect((error as Error).message).to.equal("SIGINT");
      }
      expect(clock.now()).to.be.lessThan(3_600_000);
      clock.dispose();
    });
  });

  describe("AwsTraffic", function () {
    const r53 = mockClient(Route53Client);
    const cw = mockClient(CloudWatchClient);
    beforeEach(() => {
      r53.reset().onAnyCommand().rejects(new Error("unexpected Route 53 command"));
      cw.reset().onAnyCommand().rejects(new Error("unexpected CloudWatch command"));
    });
    const creds = { accessKeyId: "a", secretAccessKey: "b" };
    const gate = {
      region: "us-west-2",
      namespace: "Pilotlight",
      metric: "TrafficPinnedToDr",
      dimensions: { Environment: "prod" },
    };
    const asked: Array<[string, string[]]> = [];
    const adapter = () =>
      new AwsTraffic(
        new Route53Client({ region: "us-east-1", maxAttempts: 1, credentials: creds }),
        (region) => new CloudWatchClient({ region, maxAttempts: 1, credentials: creds }),
        async (name, ns) => {
          asked.push([name, ns]);
          return ["dr.lambda-url.us-west-2.on.aws"];
        },
      );

    it("switches a gate with PutMetricData in the gate's region and reads its alarm", async function () {
      cw.on(PutMetricDataCommand).resolves({});
      cw.on(DescribeAlarmsForMetricCommand)
        .resolvesOnce({ MetricAlarms: [{ StateValue: "ALARM" }] })
        .rejects(new Error("endpoint down"));
      await adapter().setGate({ gate, value: 1 });
      expect(cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input)).to.deep.equal([
        {
          Namespace: "Pilotlight",
          MetricData: [
            {
              MetricName: "TrafficPinnedToDr",
              Dimensions: [{ Name: "Environment", Value: "prod" }],
              Value: 1,
              Unit: "Count",
            },
          ],
        },
      ]);
      expect(await cw.call(0).thisValue.config.region()).to.equal("us-west-2");
      expect(await adapter().gateState({ gate })).to.equal("ALARM");
      expect(await adapter().gateState({ gate })).to.equal("unknown");
    });

    it("a gate that cannot be set is an error naming the call", async function () {
      cw.on(PutMetricDataCommand).rejects(throttled());
      const e = await failure(adapter().setGate({ gate, value: 1 }));
      expect(e).to.deep.include({ code: "aws.throttled" });
      expect(e.message).to.contain("PutMetricData");
    });

    it("reads health from the checkers (over 18% healthy is healthy); a control plane that fails is unknown", async function () {
      r53
        .on(GetHealthCheckStatusCommand)
        .resolvesOnce({
          HealthCheckObservations: [
            { StatusReport: { Status: "Failure: timed out" } },
            { StatusReport: { Status: "Failure: HTTP 503" } },
          ],
        })
        .resolvesOnce({
          HealthCheckObservations: [
            { StatusReport: { Status: "Success: HTTP 200" } },
            ...Array(4).fill({ StatusReport: { Status: "Failure" } }),
          ],
        })
        .rejects(
          Object.assign(new Error("Service Unavailable"), {
            name: "ServiceUnavailable",
            $fault: "server",
            $metadata: {},
          }),
        );
      expect(await adapter().healthCheckStatus({ healthCheckId: "hc" })).to.deep.equal({ state: "unhealthy" });
      expect(await adapter().healthCheckStatus({ healthCheckId: "hc" })).to.deep.equal({ state: "healthy" });
      const unknown = await adapter().healthCheckStatus({ healthCheckId: "hc" });
      expect(unknown.state).to.equal("unknown");
      expect(unknown.reason).to.contain("GetHealthCheckStatus");
    });

    it("asks the zone's own name servers what the name answers; without them it refuses", async function () {
      asked.length = 0;
      const ns = ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"];
      expect(await adapter().resolve({ zoneId: "Z1", name: "app.example.com", nameServers: ns })).to.deep.equal([
        "dr.lambda-url.us-west-2.on.aws",
      ]);
      expect(asked).to.deep.equal([["app.example.com", ns]]);
      expect(
        await failure(adapter().resolve({ zoneId: "Z1", name: "app.example.com", nameServers: [] })),
      ).to.deep.include({ code: "traffic.unknown" });
      expect(r53.calls()).to.have.length(0);
    });
  });

  describe("Data API SQL", function () {
    const data = mockClient(RDSDataClient);
    beforeEach(() => data.reset().onAnyCommand().rejects(new Error("unexpected Data API command")));

    it("rewrites $n to named parameters outside literals and returns JSON rows", async function () {
      expect(toNamedParameters("SELECT '$1', $1, $2 WHERE x = 'it''s $3'")).to.equal(
        "SELECT '$1', :p1, :p2 WHERE x = 'it''s $3'",
      );
      data.on(ExecuteStatementCommand).resolves({ formattedRecords: JSON.stringify([{ n: 3 }]) });
      const sql = new DataApiSql(
        new RDSDataClient({ region: "us-west-2", credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
        { region: "us-west-2", clusterArn: "arn:c", secretArn: "arn:s", database: "app" },
      );
      const r = await sql.query<{ n: number }>("SELECT count(*) AS n FROM orders WHERE id > $1 AND note = $2", [
        5,
        null,
      ]);
      expect(r.rows).to.deep.equal([{ n: 3 }]);
      expect(data.commandCalls(ExecuteStatementCommand)[0]!.args[0].input).to.deep.equal({
        resourceArn: "arn:c",
        secretArn: "arn:s",
        database: "app",
        sql: "SELECT count(*) AS n FROM orders WHERE id > :p1 AND note = :p2",
        parameters: [
          { name: "p1", value: { longValue: 5 } },
          { name: "p2", value: { isNull: true } },
        ],
        formatRecordsAs: "JSON",
      });
    });
  });

  describe("health and notifications", function () {
    const fakeFetch = (status: number, body: unknown, seen: string[] = []) =>
      (async (url: URL | string) => {
        seen.push(String(url));
        return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
      }) as typeof fetch;

    it("probes the health URL, with ?probe=rw for read/write, and checks the body", async function () {
      const clock = new VirtualClock({ start: 0 });
      const seen: string[] = [];
      const ok = await new HttpHealth(
        clock,
        fakeFetch(200, { status: "healthy", database: { status: "healthy", readWrite: "ok" } }, seen),
      ).probe({ url: "https://app/health", timeoutMs: 1000, readWrite: true });
      expect(ok).to.deep.include({ ok: true, status: 200, databaseHealthy: true });
      expect(seen).to.deep.equal(["https://app/health?probe=rw"]);
      const bad = await new HttpHealth(
        clock,
        fakeFetch(503, { status: "unhealthy", database: { status: "unhealthy" } }),
      ).probe({ url: "https://app/health", timeoutMs: 1000 });
      expect(bad).to.deep.include({ ok: false, status: 503, databaseHealthy: false });
      clock.dispose();
    });

    it("publishes to SNS with a subject SNS accepts, and posts to a webhook; fan-out fails only if all fail", async function () {
      const sns = mockClient(SNSClient);
      sns.on(PublishCommand).resolves({ MessageId: "m" });
      const n = {
        subject: "Failover of prod to us-west-2: Completed ✓",
        body: "RTO achieved 1h 04m",
        severity: "info" as const,
      };
      await new SnsNotifier(
        "arn:aws:sns:us-east-1:1:alerts",
        new SNSClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
      ).notify(n);
      expect(sns.commandCalls(PublishCommand)[0]!.args[0].input).to.deep.include({
        TopicArn: "arn:aws:sns:us-east-1:1:alerts",
        Subject: "Failover of prod to us-west-2: Completed -",
        Message: "RTO achieved 1h 04m",
      });
      // "Less than 100 characters": a long subject is cut to 99, a line break replaced.
      await new SnsNotifier(
        "arn:aws:sns:us-east-1:1:alerts",
        new SNSClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
      ).notify({ ...n, subject: `Restore drill of prod\n${"x".repeat(200)}` });
      const long = String(sns.commandCalls(PublishCommand)[1]!.args[0].input.Subject);
      expect(long).to.have.length(99);
      expect(long).to.match(/^Restore drill of prod-x+$/);
      const posted: string[] = [];
      const hook = new WebhookNotifier("https://hooks.example/T/secret", (async (
        _u: string | URL,
        init?: RequestInit,
      ) => {
        posted.push(String(init?.body));
        return new Response("ok", { status: 200 });
      }) as typeof fetch);
      await new FanOutNotifier([hook, { notify: async () => Promise.reject(new Error("down")) }]).notify(n);
      expect(JSON.parse(posted[0]!).text).to.contain("RTO achieved");
      try {
        await new FanOutNotifier([{ notify: async () => Promise.reject(new Error("down")) }]).notify(n);
        expect.fail("expected a failure");
      } catch (error) {
        expect((error as Error).message).to.contain("every notifier failed");
      }
      sns.restore();
    });
  });
});
