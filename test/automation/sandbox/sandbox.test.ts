import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isPilotlightError } from "../../../automation/domain/errors";
import { drillChange, primaryChange } from "../../../automation/runbooks/stack-config";
import { deleteClusterNow } from "../../../automation/sandbox/aws-services";
import { injectFault } from "../../../automation/sandbox/faults";
import { WorldFolder } from "../../../automation/sandbox/world-folder";
import {
  FAILED_OVER,
  HOUR,
  MIN,
  SANDBOX,
  asRun,
  openWorld,
  refusal,
  stageOutage,
  step,
  type TestWorld,
} from "../../support/world";

const signal = () => new AbortController().signal;

describe("the sandbox world", function () {
  this.timeout(300_000);

  describe("persistence", function () {
    it("is one world in a folder: a process's successor finds its clock, clusters, recovery points, DNS and stacks", async function () {
      const w = await openWorld();
      const before = {
        now: w.target.clock.now(),
        points: w.target.world.s.recoveryPoints.length,
        dns: w.target.world.s.dns.length,
        id: w.target.worldId,
      };
      const next = await w.restart();
      try {
        expect(next.target.clock.now()).to.equal(before.now);
        expect(next.target.worldId).to.equal(before.id);
        expect(next.target.world.s.recoveryPoints.length).to.equal(before.points);
        expect(next.target.world.s.dns.length).to.equal(before.dns);
        expect(await next.target.stacks.exists("primary")).to.equal(true);
        // The data of a cluster is real and survives the process.
        const db = await next.target.world.cluster("pilotlight-sandbox")!.db();
        const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM orders");
        expect(rows[0]!.n).to.be.greaterThan(200);
      } finally {
        await next.close();
      }
    });

    it("is acted on by one live process at a time; a dead holder's lock is taken over", async function () {
      const w = await openWorld();
      try {
        const lock = JSON.parse(readFileSync(join(w.folder, "lock"), "utf8")) as { pid: number };
        // Held by another live process of this host (the test runner's parent stands in for it).
        writeFileSync(join(w.folder, "lock"), JSON.stringify({ ...lock, pid: process.ppid }));
        const e = await refusal(Promise.resolve().then(() => new WorldFolder(w.folder).lock("second process")));
        expect(e.code).to.equal("sandbox.busy");
        expect(e.message).to.contain(String(process.ppid));
        // A lock left by a pid that is gone (a killed process) is taken over.
        writeFileSync(join(w.folder, "lock"), JSON.stringify({ ...lock, pid: 999_999_99 }));
        expect(new WorldFolder(w.folder).lock("successor").tookOverFrom?.pid).to.equal(999_999_99);
      } finally {
        await w.close();
      }
    });

    it("stands still when nothing waits on its clock: background activity never moves it", async function () {
      const w = await openWorld();
      try {
        const t = w.target.clock.now();
        const writes = w.target.world.s.stats.writes;
        for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
        expect(w.target.clock.now()).to.equal(t);
        await w.target.world.advance(10 * MIN);
        expect(w.target.world.s.stats.writes).to.equal(writes + 10);
      } finally {
        await w.close();
      }
    });
  });

  describe("strict as AWS", function () {
    let w: TestWorld;
    before(async function () {
      w = await openWorld(FAILED_OVER);
    });
    after(async function () {
      await w.close();
    });

    it("a cluster restored through the provider comes up with the Data API off; it answers only once EnableHttpEndpoint ran", async function () {
      // A drill stack restores the newest DR copy through the DR program (what a restore drill does).
      const world = w.target.world;
      const point = world.s.recoveryPoints.filter((p) => p.region === "us-west-2" && p.status === "COMPLETED").at(-1)!;
      const primary = (await w.target.stacks.outputs("primary")) as { drKmsKeyArn: string };
      const change = drillChange("sandbox", SANDBOX, await w.target.stacks.fileConfig("dr"), {
        restoreSnapshot: point.arn,
        kmsKeyArn: primary.drKmsKeyArn,
        runId: "probe-20261001t000000-abcdef",
        expiresAt: world.now() + HOUR,
      });
      const out = (
        await w.target.stacks.up("drill-probe", change, { signal: signal(), deadline: world.now() + 4 * HOUR })
      ).outputs as { clusterArn: string };
      const c = world.cluster(out.clusterArn)!;
      expect(c.state.httpEndpointEnabled).to.equal(false);
      const at = { region: "us-west-2", clusterArn: c.arn, database: "app" };
      const e = await refusal(w.target.ports.sqlAccess.open(at).then((s) => s.query("SELECT 1")));
      expect(e.message).to.contain("HttpEndpointNotEnabledException");
      await w.target.ports.databases.enableHttpEndpoint({ region: "us-west-2", clusterArn: c.arn });
      const { rows } = await (
        await w.target.ports.sqlAccess.open(at)
      ).query<{ n: number }>("SELECT count(*)::int AS n FROM orders");
      expect(rows[0]!.n).to.be.greaterThan(0);
      await w.target.stacks.destroy("drill-probe", {
        signal: signal(),
        deadline: world.now() + 4 * HOUR,
        remove: true,
        preserveConfig: false,
      });
      expect(world.cluster(out.clusterArn)).to.equal(undefined);
    });

    it("Route 53 follows a CLOUDWATCH_METRIC check's data, not its alarm: once the point ages, InsufficientDataHealthStatus decides", async function () {
      const world = w.target.world;
      const gate = Object.values(world.s.healthChecks).find(
        (h) => h.type === "CLOUDWATCH_METRIC" && h.alarm?.name.includes("traffic-gate"),
      )!;
      // The failover pinned traffic: one data point of 1, long ago. The program keeps the last status.
      expect(gate.insufficientDataHealthStatus).to.equal("LastKnownStatus");
      expect(world.healthCheckHealthy(gate.id)).to.equal(false);
      // With "Healthy" the aged pin would let go; with "Unhealthy" it would hold by accident.
      gate.insufficientDataHealthStatus = "Healthy";
      expect(world.healthCheckHealthy(gate.id)).to.equal(true);
      // A fresh point decides while it counts (the alarm's period × evaluation periods).
      const metric = Object.keys(world.s.metrics).find((k) => k.includes("TrafficPinnedToDr"))!;
      world.s.metrics[metric] = { value: 1, at: world.now() };
      expect(world.healthCheckHealthy(gate.id)).to.equal(false);
      await world.advance(2 * MIN);
      expect(world.healthCheckHealthy(gate.id)).to.equal(true);
      gate.insufficientDataHealthStatus = "LastKnownStatus";
      expect(world.healthCheckHealthy(gate.id)).to.equal(false);
    });

    it("the Data API keeps no session outside a transaction, refuses T instance classes and responses above 1 MiB", async function () {
      const dr = w.target.world.cluster("pilotlight-sandbox-dr")!;
      const sql = await w.target.ports.sqlAccess.open({ region: "us-west-2", clusterArn: dr.arn, database: "app" });
      const zone = "SELECT current_setting('TimeZone') AS tz";
      const before = (await sql.query<{ tz: string }>(zone)).rows[0]!.tz;
      await sql.query("SET TimeZone = 'Asia/Tokyo'");
      const { rows } = await sql.query<{ tz: string }>(zone);
      expect(rows[0]!.tz).to.equal(before).and.not.equal("Asia/Tokyo");
      const inTx = await sql.transaction(async (tx) => {
        await tx.query("SET LOCAL TimeZone = 'Asia/Tokyo'");
        return (await tx.query<{ tz: string }>(zone)).rows[0]!.tz;
      });
      expect(inTx).to.equal("Asia/Tokyo");
      const big = await refusal(sql.query("SELECT repeat('x', 1100000) AS blob"));
      expect(big.message).to.contain("UnsupportedResultException");
      dr.state.instances[0]!.instanceClass = "db.t4g.medium";
      const t = await refusal(sql.query("SELECT 1"));
      expect(t.message).to.contain("T classes");
      dr.state.instances[0]!.instanceClass = "db.r6g.large";
    });

    it("a fenced database refuses writes in new sessions, and ALTER DATABASE in a read-only transaction", async function () {
      const dr = w.target.world.cluster("pilotlight-sandbox-dr")!;
      const sql = await w.target.ports.sqlAccess.open({ region: "us-west-2", clusterArn: dr.arn, database: "app" });
      await sql.query(
        "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database()); END $$",
      );
      expect(dr.readOnly).to.equal(true);
      expect(
        (await refusal(sql.query("INSERT INTO pilotlight_heartbeat (beat_at) VALUES (now())"))).message,
      ).to.contain("read-only transaction");
      const naive = await refusal(
        sql.query(
          "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET default_transaction_read_only', current_database()); END $$",
        ),
      );
      expect(naive.message).to.contain("cannot execute ALTER DATABASE in a read-only transaction");
      await sql.transaction(async (tx) => {
        await tx.query("SET TRANSACTION READ WRITE");
        await tx.query(
          "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I RESET default_transaction_read_only', current_database()); END $$",
        );
      });
      expect(dr.readOnly).to.equal(false);
    });

    it("Route 53: an inverted check on a failed endpoint is healthy; a disabled one always healthy; with both sides unhealthy the PRIMARY answers", function () {
      const world = w.target.world;
      const endpoint = Object.values(world.s.healthChecks).find(
        (h) => h.type === "HTTPS" && h.host?.includes("us-east-1"),
      )!;
      // The primary region is out in this world: the endpoint check fails.
      expect(world.healthCheckHealthy(endpoint.id)).to.equal(false);
      endpoint.inverted = true;
      expect(world.healthCheckHealthy(endpoint.id)).to.equal(true);
      endpoint.inverted = false;
      endpoint.disabled = true;
      expect(world.healthCheckHealthy(endpoint.id)).to.equal(true);
      endpoint.disabled = false;
      const dr = Object.values(world.s.healthChecks).find((h) => h.type === "CALCULATED" && h.id.includes("dr-check"))!;
      const was = dr.inverted;
      dr.inverted = !was;
      expect(world.routeAnswer("app.sandbox.internal")[0]).to.contain("us-east-1");
      dr.inverted = was;
    });

    it("Route 53's control plane is refused with us-east-1 down; the endpoint's health reads as unknown, not an error", async function () {
      const status = await w.target.ports.traffic.healthCheckStatus({
        healthCheckId: Object.keys(w.target.world.s.healthChecks)[0]!,
      });
      expect(status.state).to.equal("unknown");
      expect(status.reason).to.contain("does not answer");
    });

    it("a cluster with instances cannot be deleted; a subnet group in use cannot be deleted", async function () {
      const dr = w.target.world.cluster("pilotlight-sandbox-dr")!;
      dr.state.deletionProtection = false;
      const e = (() => {
        try {
          deleteClusterNow(w.target.world, dr);
          return undefined;
        } catch (error) {
          return error as Error;
        }
      })();
      expect(e?.name).to.equal("InvalidDBClusterStateFault");
      dr.state.deletionProtection = true;
      // A destroy whose cluster the program retains fails at the subnet group it still uses.
      const r = await refusal(
        w.target.stacks.destroy("dr", { signal: signal(), deadline: w.target.clock.now() + HOUR, remove: false }),
      );
      expect(r.message).to.contain("InvalidDBSubnetGroupStateFault");
    });
  });

  describe("stacks as Pulumi has them", function () {
    it("config set-all only adds keys: a key is gone only when removed; defaults never override the stack file", async function () {
      const w = await openWorld();
      try {
        const file = () => w.target.world.s.stackFiles["primary"]!;
        file()["pilotlight:workload"] = "none";
        const ctl = { signal: signal(), deadline: w.target.clock.now() + 6 * HOUR };
        await w.target.stacks.up(
          "primary",
          {
            set: { "pilotlight:alertEmail": { value: "oncall@example.com" } },
            defaults: { "pilotlight:workload": { value: "reference" } },
          },
          ctl,
        );
        expect(file()["pilotlight:workload"]).to.equal("none");
        await w.target.stacks.up("primary", { set: {} }, ctl);
        expect(file()["pilotlight:alertEmail"]).to.equal("oncall@example.com");
        await w.target.stacks.up("primary", primaryChange("sandbox", SANDBOX, { kind: "serve" }), ctl);
        await w.target.stacks.up("primary", { set: {}, remove: ["pilotlight:alertEmail"] }, ctl);
        expect(file()["pilotlight:alertEmail"]).to.equal(undefined);
      } finally {
        await w.close();
      }
    });

    it("an identifier in use is DBClusterAlreadyExistsFault: a failover never adopts a cluster pilotlight did not start", async function () {
      const w = await openWorld();
      try {
        w.target.world.createCluster({
          id: "pilotlight-sandbox-dr",
          region: "us-west-2",
          tags: {},
          source: { kind: "empty" },
          engineVersion: "16.4",
          readyInMs: 0,
        });
        const since = await stageOutage(w);
        const run = asRun(await w.lib.failover({ yes: true, outageSince: since }));
        expect(run.phase).to.equal("Failed");
        expect(step(run, "stand-up-dr").error?.message).to.contain("DBClusterAlreadyExistsFault");
        expect(w.target.world.s.stats.restoresStarted).to.equal(0);
      } finally {
        await w.close();
      }
    });

    it("an automatic minor upgrade is not undone: the next update after a refresh leaves the engine version alone", async function () {
      const w = await openWorld();
      try {
        await injectFault(w.target.world, "minor-upgrade", {});
        // An update that died leaves pending creates: the next one refreshes first.
        w.target.world.s.stacks["primary"]!.pendingCreates.push({
          type: "aws:s3/bucket:Bucket",
          name: "x",
          resource: w.target.world.s.stacks["primary"]!.resources[0]!,
        });
        await w.target.stacks.up("primary", { set: {} }, { signal: signal(), deadline: w.target.clock.now() + HOUR });
        expect(w.target.world.cluster("pilotlight-sandbox")!.state.engineVersion).to.equal("16.6");
      } finally {
        await w.close();
      }
    });

    it("AWS Backup backs nothing up while the Region is not opted in to Aurora", async function () {
      const w = await openWorld();
      try {
        await injectFault(w.target.world, "backup-opt-out", {});
        const before = w.target.world.s.stats.backups;
        await w.target.world.advance(3 * HOUR);
        expect(w.target.world.s.stats.backups).to.equal(before);
      } finally {
        await w.close();
      }
    });

    it("a function URL without the public permissions answers 403", async function () {
      const w = await openWorld();
      try {
        const fn = Object.values(w.target.world.s.functions).find((f) => f.parameter === undefined)!;
        fn.publicUrl.invokeFunction = false;
        const host = Object.values(w.target.world.s.workloads).find((x) => x.region === "us-east-1")!.host;
        const probe = await w.target.ports.health.probe({ url: `https://${host}/health`, timeoutMs: 1000 });
        expect(probe.status).to.equal(403);
      } finally {
        await w.close();
      }
    });
  });

  it("deletion protection is lifted only where pilotlight set it", async function () {
    const w = await openWorld();
    try {
      const c = w.target.world.createCluster({
        id: "pl-drill-theirs",
        region: "us-west-2",
        tags: { "managed-by": "pilotlight", "pilotlight:expires-at": new Date(0).toISOString() },
        source: { kind: "empty" },
        engineVersion: "16.4",
        readyInMs: 0,
        deletionProtection: true,
      });
      const report = await w.lib.sweep({});
      expect(report.deletedClusters).to.deep.equal([]);
      expect(report.errors.join(" ")).to.contain("did not set it");
      expect(w.target.world.cluster(c.id)).to.not.equal(undefined);
      expect(isPilotlightError(new Error())).to.equal(false);
    } finally {
      await w.close();
    }
  });
});
