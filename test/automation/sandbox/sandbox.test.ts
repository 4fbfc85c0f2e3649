import { expect } from "chai";
import { PGlite } from "@electric-sql/pglite";
import { VirtualClock } from "../../../automation/adapters/virtual-clock";
import { validateConfig } from "../../../automation/config/load";
import { SANDBOX_CONFIG } from "../../../automation/config/sandbox-default";
import { isPilotlightError } from "../../../automation/domain/errors";
import { bootstrapSandbox, createSandbox, type SandboxPorts } from "../../../automation/sandbox/sandbox";
import type { RecoveryPointRecord } from "../../../automation/sandbox/world";

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);
const config = validateConfig(SANDBOX_CONFIG);
const env = config.environments["sandbox"]!;

async function tableHash(q: { query: PGlite["query"] } | PGlite): Promise<{ n: number; hash: string }> {
  const { rows } = await (q as PGlite).query<{ n: number; hash: string }>("SELECT count(*)::int AS n, md5(coalesce(string_agg(o::text, ',' ORDER BY id), '')) AS hash FROM orders o");
  return rows[0]!;
}

describe("sandbox region pair", function () {
  this.timeout(60_000);
  let clock: VirtualClock;
  let s: SandboxPorts;

  before(async function () {
    clock = new VirtualClock({ start: T0 });
    s = createSandbox({ clock, envName: "sandbox", environment: env });
    await bootstrapSandbox(s, "sandbox", env, 200);
    // Three virtual hours of writes, hourly backups and cross-region copies.
    await clock.sleep(3 * HOUR + 50 * 60_000);
  });
  after(async function () {
    await s.world.shutdown();
    clock.dispose();
  });

  it("deploys the primary stack of the real program: a cluster with its instances, vaults in both regions, a PRIMARY record", function () {
    const primary = s.world.cluster("pilotlight-sandbox")!;
    expect(primary.instances).to.have.length(2);
    expect([...s.world.vaults.values()].map((v) => `${v.region}/${v.name}`).sort()).to.deep.equal(["us-east-1/pilotlight-sandbox-primary", "us-west-2/pilotlight-sandbox-dr"]);
    expect(s.world.dns.map((d) => d.failover)).to.deep.equal(["PRIMARY"]);
  });

  it("produces hourly recovery points and copies them to the DR vault, keeping the source's creation time", async function () {
    const dr = await s.backups.listRecoveryPoints({ region: "us-west-2", vault: "pilotlight-sandbox-dr" });
    expect(dr.length).to.be.at.least(3);
    for (const p of dr) {
      expect(p.createdAt % HOUR).to.equal(0);
      const source = s.world.recoveryPoints.find((x) => x.arn === p.copiedFrom)!;
      expect(source.createdAt).to.equal(p.createdAt);
      expect(source.region).to.equal("us-east-1");
    }
  });

  it("restores real rows: write → backup → copy → restore holds exactly the rows written before the recovery point", async function () {
    const points = s.world.recoveryPoints.filter((p) => p.region === "us-west-2").sort((a, b) => b.createdAt - a.createdAt);
    const point = points[0] as RecoveryPointRecord;
    const ctl = new AbortController();
    const { restoreJobId } = await s.backups.startRestore({
      region: "us-west-2",
      recoveryPointArn: point.arn,
      iamRoleArn: "arn:aws:iam::000000000000:role/pilotlight-backup",
      metadata: { DBClusterIdentifier: "restore-check", Engine: "aurora-postgresql" },
      idempotencyToken: "restore-check-1",
      resourceType: "Aurora",
    });
    // A retried start with the same token returns the same job.
    const again = await s.backups.startRestore({
      region: "us-west-2",
      recoveryPointArn: point.arn,
      iamRoleArn: "arn:aws:iam::000000000000:role/pilotlight-backup",
      metadata: { DBClusterIdentifier: "restore-check", Engine: "aurora-postgresql" },
      idempotencyToken: "restore-check-1",
      resourceType: "Aurora",
    });
    expect(again.restoreJobId).to.equal(restoreJobId);
    let job = await s.backups.describeRestoreJob({ region: "us-west-2", id: restoreJobId });
    while (job.status !== "COMPLETED") {
      expect(job.status).to.be.oneOf(["PENDING", "RUNNING"]);
      await clock.sleep(60_000);
      job = await s.backups.describeRestoreJob({ region: "us-west-2", id: restoreJobId });
    }
    // Like every Aurora restore: a cluster and no instance; nothing can connect yet.
    const restored = await s.databases.describeCluster({ region: "us-west-2", id: "restore-check" });
    expect(restored?.instances).to.deep.equal([]);
    try {
      await s.sqlAccess.open({ region: "us-west-2", clusterArn: restored!.arn, database: "app" });
      expect.fail("connected to a cluster without an instance");
    } catch (error) {
      expect(isPilotlightError(error) && error.message).to.contain("no available instance");
    }
    await s.databases.createInstance({ region: "us-west-2", clusterId: "restore-check", instanceId: "restore-check-writer", instanceClass: "db.t4g.medium", tags: {} });
    await s.databases.waitForInstanceAvailable({ region: "us-west-2", id: "restore-check-writer", maxWaitMs: HOUR, signal: ctl.signal });
    const sql = await s.sqlAccess.open({ region: "us-west-2", clusterArn: restored!.arn, database: "app" });
    const { rows } = await sql.query<{ n: number; hash: string }>("SELECT count(*)::int AS n, md5(coalesce(string_agg(o::text, ',' ORDER BY id), '')) AS hash FROM orders o");

    // Expected: the primary's journal replayed up to the recovery point, in a fresh database.
    const primary = s.world.cluster("pilotlight-sandbox")!;
    const replay = await PGlite.create();
    for (const e of primary.journal.slice(0, point.copy!.journalLength)) await replay.query(e.sql, e.params);
    const expected = await tableHash(replay);
    await replay.close();
    expect(rows[0]).to.deep.equal(expected);
    const now = await tableHash(primary.db);
    expect(now.n).to.be.greaterThan(expected.n);
  });

  it("stands the DR stack up from a recovery point: cluster, the writer a restore lacks, workload, SECONDARY record", async function () {
    const point = s.world.recoveryPoints.filter((p) => p.region === "us-west-2").sort((a, b) => b.createdAt - a.createdAt)[0]!;
    const primaryOut = await s.stacks.outputs("primary");
    const ctl = new AbortController();
    const progress: string[] = [];
    const result = await s.stacks.up(
      "dr",
      {
        "aws:region": { value: "us-west-2" },
        "pilotlight:role": { value: "dr" },
        "pilotlight:environment": { value: "sandbox" },
        "pilotlight:restoreSnapshot": { value: point.arn },
        "pilotlight:kmsKeyArn": { value: String(primaryOut["drKmsKeyArn"]) },
        "pilotlight:dnsZoneId": { value: env.dns!.zoneId },
        "pilotlight:dnsName": { value: env.dns!.name },
      },
      { signal: ctl.signal, deadline: clock.now() + 4 * HOUR, onProgress: (p) => p.status === "done" && progress.push(p.type!) },
    );
    const cluster = s.world.cluster(String(result.outputs["clusterIdentifier"]))!;
    expect(cluster.region).to.equal("us-west-2");
    expect(cluster.instances).to.have.length(2);
    expect(progress.indexOf("aws:rds/cluster:Cluster")).to.be.lessThan(progress.indexOf("aws:rds/clusterInstance:ClusterInstance"));
    expect(s.world.dns.map((d) => d.failover).sort()).to.deep.equal(["PRIMARY", "SECONDARY"]);
    // While the primary is healthy, clients stay on it; when its region fails, Route 53 answers with DR.
    const primaryHost = s.world.dns.find((d) => d.failover === "PRIMARY")!.host;
    expect(await s.traffic.resolve({ zoneId: env.dns!.zoneId, name: env.dns!.name, type: "CNAME" })).to.deep.equal([primaryHost]);
    s.world.injectOutage("us-east-1");
    const drHost = s.world.dns.find((d) => d.failover === "SECONDARY")!.host;
    // Resolvers follow only after health-check detection and the TTL.
    expect(await s.traffic.resolve({ zoneId: env.dns!.zoneId, name: env.dns!.name, type: "CNAME" })).to.deep.equal([primaryHost]);
    await clock.sleep(5 * 60_000);
    expect(await s.traffic.resolve({ zoneId: env.dns!.zoneId, name: env.dns!.name, type: "CNAME" })).to.deep.equal([drHost]);
    s.world.endOutage("us-east-1");

    // destroy: the protected DR cluster is retained (retainOnDelete), everything else goes.
    await s.stacks.destroy("dr", { signal: ctl.signal, deadline: clock.now() + HOUR, remove: true });
    expect(await s.stacks.exists("dr")).to.equal(false);
    expect(s.world.cluster(cluster.id)).to.not.equal(undefined);
    expect(s.world.dns.map((d) => d.failover)).to.deep.equal(["PRIMARY"]);
  });
});
