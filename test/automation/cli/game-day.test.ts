import { expect } from "chai";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliIo } from "../../../automation/cli/context";
import { EXIT } from "../../../automation/cli/exit-codes";
import { runCli } from "../../../automation/cli/run-cli";
import type { Run } from "../../../automation/domain/run";
import type { WorldView } from "../../../automation/sandbox/inspect";
import { SANDBOX_FOLDER } from "../../../automation/targets/open";
import { openPilotlight } from "../../../drills/index";
import { FRESH, HOUR, MIN, fixture } from "../../support/world";

/**
 * The seeds' worst-day scenarios played as an operator plays them: every step is a CLI command on
 * one sandbox world persisted in a folder (each command opens it, acts, closes it, as separate
 * processes would), and every assertion reads what `sandbox inspect --json` and the commands'
 * `--json` say — where writes went, which cluster is fenced, which run ended how.
 */
describe("game day at the CLI (a persisted sandbox world)", function () {
  this.timeout(600_000);
  let cwd: string;

  beforeEach(async function () {
    cwd = mkdtempSync(join(tmpdir(), "pilotlight-gameday-"));
    mkdirSync(join(cwd, SANDBOX_FOLDER), { recursive: true });
    cpSync(await fixture(FRESH), join(cwd, SANDBOX_FOLDER), { recursive: true });
  });
  afterEach(function () {
    rmSync(cwd, { recursive: true, force: true });
  });

  interface Said {
    code: number;
    json: Record<string, unknown>;
    stderr: string;
  }

  /** One command, as `pilotlight <args>` in the world's folder; its --json answer. */
  async function cli(...args: string[]): Promise<Said> {
    let stdout = "";
    let stderr = "";
    const io: CliIo = {
      stdout: { write: (t) => void (stdout += t) },
      stderr: { write: (t) => void (stderr += t) },
      isTTY: false,
      env: {},
      cwd,
      signal: new AbortController().signal,
      openPilotlight: (options) => openPilotlight(options),
    };
    const code = await runCli([...args, "--json"], io);
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(stdout) as Record<string, unknown>;
    } catch {
      throw new Error(`pilotlight ${args.join(" ")} printed no JSON (exit ${code}): ${stdout}${stderr}`);
    }
    return { code, json, stderr };
  }

  const inspect = async (since?: number): Promise<WorldView> =>
    (await cli("sandbox", "inspect", ...(since === undefined ? [] : ["--since", new Date(since).toISOString()])))
      .json as unknown as WorldView;
  const clock = async () => Date.parse((await inspect()).clock);
  const advance = async (ms: number) => {
    const said = await cli("sandbox", "advance", `${Math.round(ms / 1000)}s`);
    expect(said.code, said.stderr).to.equal(EXIT.ok);
  };
  const fault = async (...args: string[]) => {
    const said = await cli("sandbox", "fault", ...args);
    expect(said.code, said.stderr).to.equal(EXIT.ok);
  };
  const runOf = (s: Said) => s.json["run"] as Run;
  const stepOf = (run: Run, id: string) => run.steps.find((s) => s.id === id)!;
  /** The live cluster of that name (inspect also lists deleted ones: writes they took still count). */
  const cluster = (v: WorldView, id: string) => v.clusters.find((c) => c.id === id && c.status !== "deleted");
  const PRIMARY = "pilotlight-sandbox";
  const DR = "pilotlight-sandbox-dr";
  const NAME = "app.sandbox.internal";

  /** Minutes past the hour to `at`, then the primary region goes down and 70 minutes pass. */
  async function outage(at = 50 * MIN): Promise<number> {
    const now = await clock();
    await advance(HOUR - (now % HOUR) + at);
    const since = await clock();
    await fault("region-outage", "--region", "us-east-1");
    await advance(70 * MIN);
    return since;
  }

  it("scenario 1, a damaged copy: the check fails, no client reaches DR, abandon clears the way, an earlier point completes", async function () {
    // A manifest on the primary once this hour's copy is in; the next copy silently loses rows.
    const now = await clock();
    await advance(HOUR - (now % HOUR) + 45 * MIN);
    expect((await cli("manifest", "record", "--sandbox")).code).to.equal(EXIT.ok);
    await fault("damaged-copy", "--count", "1");
    const outageAt = await outage();
    const failed = await cli("failover", "--sandbox", "--yes", "--outage-since", new Date(outageAt).toISOString());
    expect(failed.code).to.equal(EXIT.runFailed);
    const run = runOf(failed);
    expect(run.phase).to.equal("Failed");
    expect(stepOf(run, "check-data").error?.code).to.equal("validation.failed");
    expect(stepOf(run, "publish-dr").state).to.equal("Skipped");
    // An hour on, no client has written to the unchecked DR database; the name never answered DR.
    await advance(HOUR);
    let view = await inspect(outageAt);
    expect(cluster(view, DR)!.writesSince).to.equal(0);
    expect(view.dns[NAME] ?? "").not.to.contain("us-west-2");
    // A second failover is refused while the DR stack stands, naming the way out.
    const refused = await cli("failover", "--sandbox", "--yes", "--critical");
    expect(refused.code).to.equal(EXIT.user);
    expect(refused.json["code"]).to.equal("refused.dr-active");
    const abandoned = await cli("failover", "--sandbox", "--yes", "--abandon", run.id);
    expect(abandoned.code, JSON.stringify(runOf(abandoned)?.error)).to.equal(EXIT.ok);
    view = await inspect();
    expect(cluster(view, DR)).to.equal(undefined);
    expect(view.stacks.map((s) => s.name)).not.to.include("dr");
    // From the point before the damaged one (the data loss accepted explicitly).
    const damagedAt = (run.spec["facts"] as { recoveryPoint: { createdAt: number } }).recoveryPoint.createdAt;
    const retry = await cli(
      "failover",
      "--sandbox",
      "--yes",
      "--critical",
      "--accept-data-loss",
      "--before",
      new Date(damagedAt).toISOString(),
    );
    expect(retry.code, JSON.stringify(runOf(retry).error)).to.equal(EXIT.ok);
    const switched = await clock();
    await advance(10 * MIN);
    view = await inspect(switched);
    expect(cluster(view, DR)!.writesSince).to.be.greaterThan(0);
    expect(view.restores).to.equal(2);
  });

  it("scenario 2, split brain: with the control plane down and clients' DNS stuck, the old primary's writes are fenced, counted and block failback until accepted", async function () {
    await fault("dns-stuck");
    const outageAt = await outage();
    await fault("control-plane-down");
    const over = await cli("failover", "--sandbox", "--yes", "--outage-since", new Date(outageAt).toISOString());
    expect(over.code, JSON.stringify(runOf(over).error)).to.equal(EXIT.ok);
    // The region returns; resolvers that did not follow the switch write to the old primary.
    expect((await cli("sandbox", "recover", "region-outage")).code).to.equal(EXIT.ok);
    await advance(HOUR);
    let view = await inspect(outageAt + 70 * MIN);
    expect(cluster(view, PRIMARY)!.writesSince).to.be.greaterThan(0);
    // The posture check fences it as soon as it answers and reports what it took.
    const posture = await cli("drill", "run", "posture", "--sandbox");
    expect(posture.code).to.equal(EXIT.runFailed);
    expect(stepOf(runOf(posture), "old-primary-fenced").error?.code).to.equal("posture.failed");
    view = await inspect(outageAt + 70 * MIN);
    expect(cluster(view, PRIMARY)!.readOnly).to.equal(true);
    const fencedAt = await clock();
    await advance(30 * MIN);
    expect(cluster(await inspect(fencedAt), PRIMARY)!.writesSince).to.equal(0);
    // Failback refuses while stranded writes exist, and says how many.
    const refused = await cli("failback", "--sandbox", "--yes");
    expect(refused.code).to.equal(EXIT.user);
    expect(refused.json["code"]).to.equal("refused.stranded-writes");
    expect((refused.json["details"] as { stranded: { total: number } }).stranded.total).to.be.greaterThan(0);
    expect((await cli("sandbox", "recover")).code).to.equal(EXIT.ok);
    const back = await cli("failback", "--sandbox", "--yes", "--accept-stranded-writes");
    expect(back.code, JSON.stringify(runOf(back).error)).to.equal(EXIT.ok);
  });

  it("scenario 3, a failed restore: the run fails with AWS's error, resume completes with one more restore", async function () {
    await fault("restore-fails", "--count", "1");
    const outageAt = await outage();
    const failed = await cli("failover", "--sandbox", "--yes", "--outage-since", new Date(outageAt).toISOString());
    expect(failed.code).to.equal(EXIT.runFailed);
    expect(stepOf(runOf(failed), "stand-up-dr").state).to.equal("Failed");
    expect((await inspect()).restores).to.equal(1);
    const resumed = await cli("resume", runOf(failed).id, "--sandbox");
    expect(resumed.code, JSON.stringify(runOf(resumed)?.error)).to.equal(EXIT.ok);
    const switched = await clock();
    await advance(10 * MIN);
    const view = await inspect(switched);
    expect(view.restores).to.equal(2);
    expect(view.dns[NAME]).to.contain("us-west-2");
    expect(cluster(view, DR)!.writesSince).to.be.greaterThan(0);
  });

  it("scenario 4, a point-in-time restore to the wrong time: the primary is left fenced with a way out; abandon lifts the fence", async function () {
    await advance(20 * MIN);
    const corruptedAt = await clock();
    await fault("data-corruption");
    await advance(30 * MIN);
    const wrong = await cli("restore", "--sandbox", "--yes", "--to=-10m");
    expect(wrong.code).to.equal(EXIT.runFailed);
    const run = runOf(wrong);
    expect(stepOf(run, "cut-over").state).to.equal("Skipped");
    expect(cluster(await inspect(), PRIMARY)!.readOnly).to.equal(true);
    // Resume would repeat the wrong time (recorded absolute); a new restore is refused; abandon is the way out.
    const refused = await cli("restore", "--sandbox", "--yes", "--to", new Date(corruptedAt - MIN).toISOString());
    expect(refused.json["code"]).to.equal("refused.candidate-exists");
    const abandoned = await cli("restore", "--sandbox", "--yes", "--abandon", run.id);
    expect(abandoned.code, JSON.stringify(runOf(abandoned)?.error)).to.equal(EXIT.ok);
    let view = await inspect();
    expect(cluster(view, PRIMARY)!.readOnly).to.equal(false);
    expect(cluster(view, `${PRIMARY}-g2`)).to.equal(undefined);
    const right = await cli("restore", "--sandbox", "--yes", "--to", new Date(corruptedAt - MIN).toISOString());
    expect(right.code, JSON.stringify(runOf(right).error)).to.equal(EXIT.ok);
    const cut = await clock();
    await advance(10 * MIN);
    view = await inspect(cut);
    expect(cluster(view, `${PRIMARY}-g2`)!.writesSince).to.be.greaterThan(0);
    expect(cluster(view, PRIMARY)!.writesSince).to.equal(0);
    expect(cluster(view, PRIMARY)!.tags["pilotlight:forensics"]).to.equal(runOf(right).id);
  });
});
