import { expect } from "chai";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "../../../automation/adapters/virtual-clock";
import { runCli } from "../../../automation/cli/run-cli";
import type { CliIo } from "../../../automation/cli/context";
import { SANDBOX_CONFIG } from "../../../automation/config/sandbox-default";
import { Engine } from "../../../automation/engine/engine";
import { environmentLease } from "../../../automation/library";
import type { AnyRunbook } from "../../../automation/runbooks/runbook";
import { SANDBOX_FOLDER } from "../../../automation/targets/open";
import { openPilotlight } from "../../../drills/index";
import { PgRunStore } from "../../../automation/store/pg-run-store";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import { HOLDER_A, T0 } from "../../support/engine-harness";
import { FRESH, fixture } from "../../support/world";

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

describe("CLI", function () {
  let store: PgRunStore;
  let cwd: string;

  before(async function () {
    store = await PgRunStore.open(await PgliteSql.open());
  });
  after(async function () {
    await store.close();
  });
  beforeEach(async function () {
    this.timeout(300_000);
    cwd = mkdtempSync(join(tmpdir(), "pilotlight-cli-"));
    // A sandbox world with history, copied from the fixture (`--sandbox` commands act on it).
    mkdirSync(join(cwd, SANDBOX_FOLDER), { recursive: true });
    cpSync(await fixture(FRESH), join(cwd, SANDBOX_FOLDER), { recursive: true });
  });

  async function cli(
    args: string,
    extra: { runbooks?: AnyRunbook[]; signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {},
  ): Promise<Captured> {
    let stdout = "";
    let stderr = "";
    const io: CliIo = {
      stdout: { write: (t) => void (stdout += t) },
      stderr: { write: (t) => void (stderr += t) },
      isTTY: false,
      env: extra.env ?? {},
      cwd,
      signal: extra.signal ?? new AbortController().signal,
      openPilotlight: (options) =>
        openPilotlight({ ...options, store, ...(extra.runbooks === undefined ? {} : { runbooks: extra.runbooks }) }),
    };
    const code = await runCli(
      args.split(" ").filter((a) => a.length > 0),
      io,
    );
    return { code, stdout, stderr };
  }

  const noStack = (c: Captured) => expect(c.stdout + c.stderr).not.to.match(/\n\s+at /);

  it("prints help and exits 2 without a command, on unknown flags and on conflicting options", async function () {
    for (const args of [
      "",
      "runs list --bogus",
      "failover --sandbox --recovery-point a --before b",
      "runs show",
      "drill run weekly",
    ]) {
      const c = await cli(args);
      expect(c.code, args).to.equal(2);
      expect(c.stderr, args).to.contain("pilotlight");
      noStack(c);
    }
  });

  it("--help teaches: every command and the exit codes", async function () {
    const c = await cli("--help");
    expect(c.code).to.equal(0);
    for (const cmd of ["failover", "failback", "restore", "drill run", "status", "runs", "resume"])
      expect(c.stdout).to.contain(cmd);
    expect(c.stdout).to.contain("Exit codes");
  });

  it("without --sandbox and without a configuration, fails with config.not-found and exit 3", async function () {
    const c = await cli("status --json");
    expect(c.code).to.equal(3);
    expect(JSON.parse(c.stdout)).to.include({ code: "config.not-found", source: "user" });
    noStack(c);
  });

  it("reports every problem of a bad configuration file at once, exits 3 and persists nothing", async function () {
    const bad = structuredClone(SANDBOX_CONFIG) as Record<string, any>;
    bad["environments"]["sandbox"]["objectives"]["rto"] = "soon";
    bad["environments"]["sandbox"]["dr"]["region"] = "mars-1";
    writeFileSync(join(cwd, "pilotlight.yaml"), JSON.stringify(bad));
    const before = (await store.listRuns()).length;
    const c = await cli("status");
    expect(c.code).to.equal(3);
    expect(c.stderr).to.contain("config.invalid");
    expect(c.stderr).to.contain("environments.sandbox.objectives.rto");
    expect(c.stderr).to.contain("environments.sandbox.dr.region");
    expect((await store.listRuns()).length).to.equal(before);
    noStack(c);
  });

  describe("without --sandbox, on a machine without the pulumi CLI or AWS credentials", function () {
    const saved = { ...process.env };
    afterEach(function () {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    });

    it("fails fast saying the pulumi CLI is missing: exit 3, no stack trace, nothing persisted", async function () {
      writeFileSync(join(cwd, "pilotlight.yaml"), JSON.stringify(SANDBOX_CONFIG));
      const before = (await store.listRuns({ limit: 500 })).length;
      const c = await cli("failover --yes --json", { env: { PATH: "/nonexistent" } });
      expect(c.code).to.equal(3);
      expect(JSON.parse(c.stdout)).to.deep.include({ code: "pulumi.cli-missing", source: "user" });
      expect(JSON.parse(c.stdout).hint).to.contain("install");
      expect((await store.listRuns({ limit: 500 })).length).to.equal(before);
      noStack(c);
    });

    it("with the CLI but no credentials, says which credentials to configure", async function () {
      writeFileSync(join(cwd, "pilotlight.yaml"), JSON.stringify(SANDBOX_CONFIG));
      const bin = mkdtempSync(join(tmpdir(), "pilotlight-bin-"));
      writeFileSync(join(bin, "pulumi"), "#!/bin/sh\necho v3.190.0\n", { mode: 0o755 });
      for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
      Object.assign(process.env, {
        AWS_EC2_METADATA_DISABLED: "true",
        HOME: bin,
        AWS_CONFIG_FILE: join(bin, "none"),
        AWS_SHARED_CREDENTIALS_FILE: join(bin, "none"),
      });
      const c = await cli("failback --yes --json", { env: { PATH: `${bin}:/usr/bin:/bin` } });
      expect(c.code).to.equal(3);
      expect(JSON.parse(c.stdout)).to.deep.include({ code: "aws.credentials-missing", source: "user" });
      noStack(c);
    });
  });

  it("status --sandbox --json describes the sandbox environment", async function () {
    const c = await cli("status --sandbox --json");
    expect(c.code).to.equal(0);
    const body = JSON.parse(c.stdout);
    expect(body.environments[0]).to.deep.include({
      name: "sandbox",
      primaryRegion: "us-east-1",
      drRegion: "us-west-2",
    });
    // Live facts: where the name points, the DR stack, the newest DR copy.
    expect(body.environments[0].live).to.deep.include({
      drStack: "absent",
      servedBy: "primary",
      primaryHealth: "healthy",
      pinnedToDr: false,
      drPublished: false,
    });
    expect(body.environments[0].live.newestRecoveryPoint.ageMs).to.be.a("number");
  });

  it("names an unknown run with exit 3, and an unknown environment", async function () {
    const c = await cli("runs show nope --sandbox --json");
    expect(c.code).to.equal(3);
    expect(JSON.parse(c.stdout).code).to.equal("run.not-found");
    const e = await cli("status --sandbox --env prod");
    expect(e.code).to.equal(3);
    expect(e.stderr).to.contain("environment.unknown");
    noStack(e);
  });

  it("--version prints the package's version; -y is --yes", async function () {
    const v = await cli("--version");
    expect(v.code).to.equal(0);
    const pkg = JSON.parse(readFileSync(join(__dirname, "../../../package.json"), "utf8")) as { version: string };
    expect(v.stdout.trim()).to.equal(pkg.version);
    const y = await cli("restore --sandbox -y --abandon nope --json");
    expect(y.code, y.stderr).to.equal(3);
    expect(JSON.parse(y.stdout).code).to.equal("refused.not-abandonable");
  });

  it("failover --abandon and restore --abandon are accepted alone (no flag with a default conflicts with them)", async function () {
    for (const args of [
      "failover --sandbox --yes --abandon nope --json",
      "restore --sandbox --yes --abandon nope --json",
    ]) {
      const c = await cli(args);
      expect(c.code, c.stderr).to.equal(3);
      expect(JSON.parse(c.stdout).code, args).to.equal("refused.not-abandonable");
    }
  });

  it("resume continues an interrupted run through its runbook and exits 0; runs show lists its events", async function () {
    // An Interrupted posture-check run of the sandbox environment, created by an engine.
    const clock = new VirtualClock({ start: T0 });
    const engine = new Engine({ store, clock, holder: HOLDER_A, newRunId: () => "posture-interrupted" });
    const ctl = new AbortController();
    ctl.abort(new Error("SIGTERM"));
    const calls: string[] = [];
    const handlers = { check: async () => void calls.push("check"), report: async () => void calls.push("report") };
    const first = await engine.start({
      kind: "posture-check",
      target: environmentLease({ kind: "real", id: "real", simulated: false }, "sandbox"),
      spec: { env: "sandbox" },
      plan: {
        steps: [
          { id: "check", title: "check", dependsOn: [], timeoutMs: 1000 },
          { id: "report", title: "report", dependsOn: ["check"], timeoutMs: 1000, cleanup: true },
        ],
      },
      handlers,
      signal: ctl.signal,
    });
    clock.dispose();
    expect(first.phase).to.equal("Interrupted");
    calls.length = 0;
    const posture: AnyRunbook = {
      kind: "posture-check",
      request: () => ({}),
      gather: async () => ({}),
      decide: () => ({ warnings: [] }),
      plan: () => ({ steps: [] }),
      handlers: () => handlers,
    };
    const c = await cli("resume posture-interrupted --sandbox --json", { runbooks: [posture] });
    expect(c.code, c.stderr).to.equal(0);
    expect(JSON.parse(c.stdout).run.phase).to.equal("Completed");
    expect(calls).to.deep.equal(["check", "report"]);
    const events = c.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { code: string });
    expect(events.map((e) => e.code)).to.include.members(["run.resumed", "run.finished"]);

    const shown = await cli("runs show posture-interrupted --sandbox --json");
    expect(shown.code).to.equal(0);
    const body = JSON.parse(shown.stdout);
    expect(body.run.attempts).to.equal(2);
    expect(body.events.map((e: { code: string }) => e.code)).to.include("run.resumed");
    const listed = await cli("runs list --sandbox --kind posture-check --json");
    expect(JSON.parse(listed.stdout).runs.map((r: { id: string }) => r.id)).to.include("posture-interrupted");
  });

  it("runs trends: figures per kind over time (--json), and a clear error for a bad --days", async function () {
    const drillRun = await cli("drill run posture --sandbox --json");
    expect(drillRun.code, drillRun.stderr).to.be.oneOf([0, 1]);
    const c = await cli("runs trends --sandbox --kind posture-check --json");
    expect(c.code, c.stderr).to.equal(0);
    const { trends } = JSON.parse(c.stdout) as {
      trends: Array<{ kind: string; env: string; runs: number; points: Array<{ runId: string }> }>;
    };
    expect(trends.map((t) => [t.env, t.kind])).to.deep.equal([["sandbox", "posture-check"]]);
    expect(trends[0]!.points.map((p) => p.runId)).to.include(JSON.parse(drillRun.stdout).run.id);
    const bad = await cli("runs trends --sandbox --days 0");
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain("--days");
  });
});
