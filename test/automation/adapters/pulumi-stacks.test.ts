import { expect } from "chai";
import { cpSync, existsSync, mkdtempSync, readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock } from "../../../automation/adapters/system-clock";
import { VirtualClock } from "../../../automation/adapters/virtual-clock";
import { PulumiStacks, parseLockHolder } from "../../../automation/adapters/pulumi-stacks";
import { isPilotlightError } from "../../../automation/domain/errors";
import type { StackProgress } from "../../../automation/ports/stacks";
import { FakePulumiCli, type FakeCliBehaviour } from "../../support/fake-pulumi";

const ROOT = join(__dirname, "..", "..", "..");

/** A copy of the project's committed Pulumi files, so that tests can check what survives. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "pilotlight-project-"));
  for (const f of ["Pulumi.yaml", "Pulumi.primary.yaml", "Pulumi.dr.yaml"]) cpSync(join(ROOT, f), join(dir, f));
  return dir;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    if (isPilotlightError(error)) return error.code;
    throw error;
  }
  throw new Error("expected an error");
}

describe("PulumiStacks over LocalWorkspace with a fake pulumi CLI", function () {
  const SNAPSHOT = "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:awsbackup:job-1";
  const DR_CONFIG = {
    set: {
      "aws:region": { value: "us-west-2" },
      "pilotlight:role": { value: "dr" },
      "pilotlight:restoreSnapshot": { value: SNAPSHOT },
    },
  };

  function adapter(behaviour: FakeCliBehaviour = {}, clock: SystemClock | VirtualClock = new SystemClock()) {
    const cli = new FakePulumiCli(behaviour);
    const workDir = project();
    const stacks = new PulumiStacks({
      workDir,
      backendUrl: `file://${workDir}/.pilotlight/state`,
      secretsProvider: "passphrase",
      clock,
      env: { PULUMI_CONFIG_PASSPHRASE: "correct horse battery staple", HOME: "/nonexistent" },
      pulumiCommand: cli.asCommand(),
      isProcessDead: (host, pid) => host === hostname() && pid === 999_999,
    });
    return { cli, stacks, workDir };
  }
  const forever = () => ({ signal: new AbortController().signal, deadline: Date.now() + 60_000 });

  it("creates the stack, sets config, runs up with an event log, maps events to progress and returns outputs", async function () {
    const { cli, stacks } = adapter();
    const progress: StackProgress[] = [];
    const result = await stacks.up("dr", DR_CONFIG, { ...forever(), onProgress: (p) => progress.push(p) });
    const argv = cli.argvs();
    expect(argv[0]).to.equal("stack select --stack dr");
    expect(argv[1]).to.match(/^stack init dr/);
    expect(argv.find((a) => a.startsWith("config set-all"))).to.equal(
      "config set-all --stack dr --plaintext aws:region=us-west-2 --plaintext pilotlight:role=dr --plaintext pilotlight:restoreSnapshot=arn:aws:rds:us-west-2:123456789012:cluster-snapshot:awsbackup:job-1",
    );
    const up = argv.find((a) => a.startsWith("up "))!;
    expect(up)
      .to.contain("--yes")
      .and.contain("--skip-preview")
      .and.contain("--event-log <file>")
      .and.contain("--stack dr");
    expect(progress.filter((p) => p.status === "done").map((p) => p.type)).to.deep.equal([
      "aws:rds/cluster:Cluster",
      "aws:rds/clusterInstance:ClusterInstance",
    ]);
    expect(result.outputs["restoredFrom"]).to.equal(SNAPSHOT);
    expect(await stacks.list()).to.deep.equal(["dr"]);
  });

  it("never puts a secret on a command line: the passphrase travels in the environment, secret config is refused", async function () {
    const { cli, stacks } = adapter();
    await stacks.up("dr", DR_CONFIG, forever());
    for (const call of cli.calls) {
      expect(call.args.join(" ")).not.to.contain("correct horse");
      expect(call.env["PULUMI_BACKEND_URL"]).to.match(/^file:\/\//);
    }
    expect(cli.calls.some((c) => c.env["PULUMI_CONFIG_PASSPHRASE"] === "correct horse battery staple")).to.equal(true);
    const refused = await code(
      stacks.up("dr", { set: { ...DR_CONFIG.set, "pilotlight:token": { value: "s3cr3t", secret: true } } }, forever()),
    );
    expect(refused).to.equal("config.invalid");
    expect(cli.calls.some((c) => c.args.join(" ").includes("s3cr3t"))).to.equal(false);
  });

  it("changes config as told: set adds or replaces, remove takes only keys present, defaults never override the file", async function () {
    const { cli, stacks, workDir } = adapter();
    await stacks.up("dr", DR_CONFIG, forever());
    await stacks.up(
      "dr",
      {
        set: { "pilotlight:kmsKeyArn": { value: "arn:aws:kms:us-west-2:1:key/k" } },
        remove: ["pilotlight:restoreSnapshot", "pilotlight:neverSet"],
        defaults: { "pilotlight:instanceClass": { value: "db.serverless" }, "pilotlight:scaling": { value: "2" } },
      },
      forever(),
    );
    const config = cli.config(workDir, "dr");
    expect(config["pilotlight:restoreSnapshot"]).to.equal(undefined);
    expect(config["pilotlight:kmsKeyArn"]).to.equal("arn:aws:kms:us-west-2:1:key/k");
    expect(config["pilotlight:instanceClass"]).to.equal("db.r6g.large"); // the committed file's value
    expect(config["pilotlight:scaling"]).to.equal("2");
    expect(cli.argvs().filter((a) => a.startsWith("config rm-all"))).to.deep.equal([
      "config rm-all --stack dr pilotlight:restoreSnapshot",
    ]);
    // The file keeps its comments: what a run changes is its keys, not the user's notes.
    expect(readFileSync(join(workDir, "Pulumi.dr.yaml"), "utf8")).to.contain("# The on-demand DR environment");
    expect(await stacks.fileConfig("dr")).to.deep.include({ "pilotlight:kmsKeyArn": "arn:aws:kms:us-west-2:1:key/k" });
  });

  it("a destroy takes the keys runs set out of the kept file first (removeKeys)", async function () {
    const { cli, stacks, workDir } = adapter();
    await stacks.up("dr", DR_CONFIG, forever());
    await stacks.destroy("dr", {
      ...forever(),
      remove: true,
      removeKeys: ["pilotlight:restoreSnapshot", "pilotlight:kmsKeyArn"],
    });
    const argv = cli.argvs();
    const rm = argv.findIndex((a) => a === "config rm-all --stack dr pilotlight:restoreSnapshot");
    expect(rm).to.be.greaterThan(-1);
    expect(argv.findIndex((a) => a.startsWith("destroy "))).to.be.greaterThan(rm);
    expect(cli.config(workDir, "dr")).to.not.have.property("pilotlight:restoreSnapshot");
    expect(cli.config(workDir, "dr")).to.include({ "pilotlight:role": "dr" });
  });

  it("destroys, then removes the stack keeping Pulumi.dr.yaml", async function () {
    const { cli, stacks, workDir } = adapter();
    await stacks.up("dr", DR_CONFIG, forever());
    await stacks.destroy("dr", { ...forever(), remove: true });
    const argv = cli.argvs();
    expect(argv.some((a) => a.startsWith("destroy ") && a.includes("--stack dr"))).to.equal(true);
    expect(argv.at(-1)).to.equal("stack rm --yes --preserve-config dr");
    expect(existsSync(join(workDir, "Pulumi.dr.yaml"))).to.equal(true);
    expect(await stacks.exists("dr")).to.equal(false);
    // Destroying a stack that is gone is a no-op (a resumed teardown).
    await stacks.destroy("dr", { ...forever(), remove: true });
  });

  it("reports a missing stack as not existing, and outputs of one as pulumi.stack-not-found", async function () {
    const { stacks } = adapter();
    expect(await stacks.exists("primary")).to.equal(false);
    expect(await code(stacks.outputs("primary"))).to.equal("pulumi.stack-not-found");
  });

  it("translates a missing CLI into what to install", async function () {
    const { stacks } = adapter({ fail: { "stack select": { stderr: "spawn pulumi ENOENT", code: -2 } } });
    expect(await code(stacks.exists("dr"))).to.equal("pulumi.cli-missing");
  });

  it("names the holder of a locked stack, and cancels only a provably dead holder's lock", async function () {
    const stderr =
      "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n  file:///state/.pulumi/locks/organization/pilotlight/dr/abc.json: created by ops@" +
      hostname() +
      " (pid 4242) at 2026-01-01T00:00:00Z";
    const { cli, stacks } = adapter({ fail: { up: { stderr } } });
    try {
      await stacks.up("dr", DR_CONFIG, forever());
      expect.fail("expected pulumi.stack-locked");
    } catch (error) {
      expect(isPilotlightError(error) && error.code).to.equal("pulumi.stack-locked");
      expect(isPilotlightError(error) && error.details).to.deep.include({ host: hostname(), pid: 4242 });
    }
    expect(parseLockHolder(stderr)).to.deep.include({ host: hostname(), pid: 4242 });
    // Alive holder: refused, nothing cancelled.
    expect(await code(stacks.recoverStaleLock("dr", forever(), { host: hostname(), pid: 4242 }))).to.equal(
      "pulumi.stack-locked",
    );
    expect(cli.argvs().some((a) => a.startsWith("cancel"))).to.equal(false);
    // Dead holder on this host: cancel, then refresh.
    await stacks.recoverStaleLock("dr", forever(), { host: hostname(), pid: 999_999 });
    const argv = cli.argvs();
    const cancel = argv.findIndex((a) => a.startsWith("cancel"));
    expect(cancel).to.be.greaterThan(-1);
    expect(argv.findIndex((a, i) => i > cancel && a.startsWith("refresh"))).to.be.greaterThan(cancel);
  });

  it("an up or destroy that finds the lock of a dead process of this host recovers it and goes on (a resumed run)", async function () {
    const stderr = (pid: number) =>
      "error: the stack is currently locked by 1 lock(s).\n  file:///state/.pulumi/locks/organization/pilotlight/dr/abc.json: created by ops@" +
      hostname() +
      ` (pid ${pid}) at 2026-01-01T00:00:00Z`;
    const { cli, stacks } = adapter({
      fail: { up: { stderr: stderr(999_999), times: 1 }, destroy: { stderr: stderr(999_999), times: 1 } },
    });
    const progress: StackProgress[] = [];
    const result = await stacks.up("dr", DR_CONFIG, { ...forever(), onProgress: (p) => progress.push(p) });
    expect(result.outputs["restoredFrom"]).to.equal(SNAPSHOT);
    const verbs = cli
      .argvs()
      .map((a) => a.split(" ")[0])
      .filter((v) => ["up", "cancel", "refresh", "destroy"].includes(v!));
    expect(verbs).to.deep.equal(["up", "cancel", "refresh", "up"]);
    expect(progress.some((p) => p.op === "cancel")).to.equal(true);
    await stacks.destroy("dr", { ...forever(), remove: true });
    expect(
      cli
        .argvs()
        .map((a) => a.split(" ")[0])
        .filter((v) => ["cancel", "destroy"].includes(v!)),
    ).to.deep.equal(["cancel", "destroy", "cancel", "destroy"]);
    // A live holder's lock is never cancelled: the error names it.
    const live = adapter({ fail: { up: { stderr: stderr(4242), times: 1 } } });
    expect(await code(live.stacks.up("dr", DR_CONFIG, forever()))).to.equal("pulumi.stack-locked");
    expect(live.cli.argvs().some((a) => a.startsWith("cancel"))).to.equal(false);
  });

  it("before an up, adopts what an interrupted update was creating (import by name), then clears the pending creates", async function () {
    const { cli, stacks } = adapter({ missingIds: ["pilotlight-prod-dr-1"] });
    await stacks.up("dr", DR_CONFIG, forever());
    const component = "urn:pulumi:dr::pilotlight::pilotlight:environment:Dr$pilotlight:database:Aurora::dr-database";
    cli.stacks.get("dr")!.pending = [
      {
        type: "creating",
        resource: {
          urn: `urn:pulumi:dr::pilotlight::pilotlight:environment:Dr$pilotlight:database:Aurora$aws:rds/cluster:Cluster::dr-database-cluster`,
          type: "aws:rds/cluster:Cluster",
          inputs: { clusterIdentifier: "pilotlight-prod-dr" },
          parent: component,
        },
      },
      {
        type: "creating",
        resource: {
          urn: "urn:pulumi:dr::pilotlight::aws:rds/clusterInstance:ClusterInstance::dr-database-1",
          type: "aws:rds/clusterInstance:ClusterInstance",
          inputs: { identifier: "pilotlight-prod-dr-1" },
        },
      },
      {
        type: "creating",
        resource: {
          urn: "urn:pulumi:dr::pilotlight::aws:ec2/securityGroup:SecurityGroup::dr-db-sg",
          type: "aws:ec2/securityGroup:SecurityGroup",
          inputs: {},
        },
      },
    ];
    const before = cli.calls.length;
    const progress: StackProgress[] = [];
    await stacks.up("dr", DR_CONFIG, { ...forever(), onProgress: (p) => progress.push(p) });
    const verbs = cli
      .argvs()
      .slice(before)
      .map((a) =>
        a
          .split(" ")
          .slice(0, a.startsWith("stack") ? 2 : 1)
          .join(" "),
      )
      .filter((v) => !["stack select", "config", "stack history", "stack output"].includes(v!));
    expect(verbs).to.deep.equal(["stack export", "import", "import", "refresh", "up"]);
    expect(cli.argvs().find((a) => a.startsWith("refresh"))).to.contain("--clear-pending-creates");
    // The cluster is adopted under its own name and parent; the instance never reached AWS; the
    // security group has no name to import it by: both are left to the update.
    expect(cli.stacks.get("dr")!.imported).to.deep.equal([
      { type: "aws:rds/cluster:Cluster", name: "dr-database-cluster", id: "pilotlight-prod-dr", parent: component },
    ]);
    expect(cli.stacks.get("dr")!.pending).to.deep.equal([]);
    expect(progress.filter((p) => p.op === "import").map((p) => p.status)).to.deep.equal(["done", "diagnostic"]);
    // With nothing pending, an up only reads the state.
    const again = cli.calls.length;
    await stacks.up("dr", DR_CONFIG, forever());
    expect(
      cli
        .argvs()
        .slice(again)
        .some((a) => a.startsWith("import") || a.startsWith("refresh")),
    ).to.equal(false);
  });

  it("a crashed update's lock and pending create: the lock is recovered first, then the cluster adopted", async function () {
    const lock =
      "error: the stack is currently locked by 1 lock(s).\n  file:///state/.pulumi/locks/organization/pilotlight/dr/abc.json: created by ops@" +
      hostname() +
      " (pid 999999) at 2026-01-01T00:00:00Z";
    const { cli, stacks } = adapter({ fail: { import: { stderr: lock, times: 1 } } });
    await stacks.up("dr", DR_CONFIG, forever());
    cli.stacks.get("dr")!.pending = [
      {
        type: "creating",
        resource: {
          urn: "urn:pulumi:dr::pilotlight::aws:rds/cluster:Cluster::dr-database-cluster",
          type: "aws:rds/cluster:Cluster",
          inputs: { clusterIdentifier: "pilotlight-prod-dr" },
        },
      },
    ];
    const before = cli.calls.length;
    await stacks.up("dr", DR_CONFIG, forever());
    const verbs = cli
      .argvs()
      .slice(before)
      .map((a) =>
        a
          .split(" ")
          .slice(0, a.startsWith("stack") ? 2 : 1)
          .join(" "),
      )
      .filter((v) => ["stack export", "import", "cancel", "refresh", "up"].includes(v!));
    expect(verbs).to.deep.equal([
      "stack export",
      "import",
      "cancel",
      "refresh",
      "stack export",
      "import",
      "refresh",
      "up",
    ]);
    expect(cli.stacks.get("dr")!.imported.map((r) => r.id)).to.deep.equal(["pilotlight-prod-dr"]);
    expect(cli.stacks.get("dr")!.pending).to.deep.equal([]);
  });

  it("does not trust an 'already exists' classification from up: it is a resource error", async function () {
    const { stacks } = adapter({
      fail: {
        up: {
          stderr:
            "error: 1 error occurred: creating RDS Cluster: DBClusterAlreadyExistsFault: stack-dr cluster already exists",
        },
      },
    });
    expect(await code(stacks.up("dr", DR_CONFIG, forever()))).to.equal("pulumi.error");
  });

  it("interrupts an up at its deadline (SIGINT through the signal) with a clear error", async function () {
    const clock = new VirtualClock({ start: 0 });
    const { cli, stacks } = adapter({ hangUp: true }, clock);
    const error = await code(
      stacks.up("dr", DR_CONFIG, { signal: new AbortController().signal, deadline: 30 * 60_000 }),
    );
    expect(error).to.equal("pulumi.error");
    expect(cli.aborted).to.equal(1);
    expect(clock.now()).to.equal(30 * 60_000);
    clock.dispose();
  });

  it("passes the run's abort to the CLI", async function () {
    const { cli, stacks } = adapter({ hangUp: true });
    const ctl = new AbortController();
    const p = code(stacks.up("dr", DR_CONFIG, { signal: ctl.signal, deadline: Date.now() + 3_600_000 }));
    while (!cli.argvs().some((a) => a.startsWith("up "))) await new Promise((r) => setImmediate(r));
    ctl.abort(new Error("SIGINT"));
    expect(await p).to.equal("pulumi.error");
    expect(cli.aborted).to.equal(1);
  });
});
