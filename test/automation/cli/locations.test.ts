import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "../../../automation/adapters/virtual-clock";
import { runCli } from "../../../automation/cli/run-cli";
import { SANDBOX_CONFIG } from "../../../automation/config/sandbox-default";
import { Engine } from "../../../automation/engine/engine";
import { environmentLease } from "../../../automation/library";
import { openRunStore } from "../../../automation/store/open-store";
import { openPilotlight } from "../../../drills/index";
import { capturingIo } from "../../support/cli-io";
import { HOLDER_A, T0 } from "../../support/engine-harness";

/**
 * The README's promise: relative paths in a configuration file resolve against the file's
 * folder. Two working directories and one `--config` file must mean one run store (one set of
 * leases), one state backend and one reports folder, and `status` says which.
 */
describe("CLI: one configuration file, one set of locations, from any working directory", function () {
  // Every invocation opens the embedded store: slow on a busy machine.
  this.timeout(180_000);
  let root: string;
  let site: string;

  beforeEach(function () {
    root = mkdtempSync(join(tmpdir(), "pilotlight-locations-"));
    site = join(root, "site");
    mkdirSync(site);
    for (const d of ["a", "b/deeper"]) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(
      join(site, "pilotlight.yaml"),
      JSON.stringify({
        ...SANDBOX_CONFIG,
        store: { url: "pglite://runs" },
        stateBackend: "file://state",
        reportsDir: "reports",
      }),
    );
  });

  /** Runs the CLI in `cwd` with a real library (nothing injected) and no pulumi CLI on PATH. */
  async function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
    const { io, written } = capturingIo({ cwd, env: { PATH: "/nonexistent", ...env }, openPilotlight });
    const code = await runCli(args, io);
    return { code, ...written };
  }

  it("status from two folders shows the file's folder's store, state backend and reports; a run recorded from one is listed from the other", async function () {
    const fromA = await cli(join(root, "a"), ["status", "--config", "../site/pilotlight.yaml", "--json"]);
    const fromB = await cli(join(root, "b/deeper"), [
      "status",
      "--config",
      join("..", "..", "site", "pilotlight.yaml"),
      "--json",
    ]);
    expect(fromA.code, fromA.stderr + fromA.stdout).to.equal(0);
    expect(fromB.code, fromB.stderr + fromB.stdout).to.equal(0);
    const expected = {
      configFile: join(site, "pilotlight.yaml"),
      baseDir: site,
      store: `pglite://${join(site, "runs")}`,
      stateBackend: `file://${join(site, "state")}`,
      reportsDir: join(site, "reports"),
      projectDir: site,
    };
    expect(JSON.parse(fromA.stdout).locations).to.deep.equal(expected);
    expect(JSON.parse(fromB.stdout).locations).to.deep.equal(expected);
    // Nothing was created in either working directory.
    for (const d of ["a", "b/deeper"]) expect(existsSync(join(root, d, "runs")), d).to.equal(false);

    // A run recorded in the store the file names…
    const store = await openRunStore(`pglite://${join(site, "runs")}`);
    const clock = new VirtualClock({ start: T0 });
    try {
      const engine = new Engine({ store, clock, holder: HOLDER_A, newRunId: () => "posture-from-a" });
      const plan = { steps: [{ id: "check", title: "check", dependsOn: [], timeoutMs: 1000 }] };
      await engine.start({
        kind: "posture-check",
        target: environmentLease({ kind: "real", id: "real", simulated: false }, "sandbox"),
        spec: { env: "sandbox" },
        plan,
        handlers: { check: async () => undefined },
      });
    } finally {
      clock.dispose();
      await store.close();
    }
    // …is seen from both folders.
    for (const [cwd, config] of [
      ["a", "../site/pilotlight.yaml"],
      ["b/deeper", "../../site/pilotlight.yaml"],
    ] as const) {
      const listed = await cli(join(root, cwd), ["runs", "list", "--config", config, "--json"]);
      expect(listed.code, listed.stderr).to.equal(0);
      expect(
        JSON.parse(listed.stdout).runs.map((r: { id: string }) => r.id),
        cwd,
      ).to.deep.equal(["posture-from-a"]);
    }
  });

  it("PILOTLIGHT_REPORTS_DIR changes the reports folder only; status shows the file's s3 backend and store unchanged", async function () {
    writeFileSync(
      join(site, "pilotlight.yaml"),
      JSON.stringify({
        ...SANDBOX_CONFIG,
        store: { url: "pglite://runs" },
        stateBackend: "s3://team-state/pl?region=eu-west-1",
        reportsDir: "reports",
      }),
    );
    const c = await cli(join(root, "a"), ["status", "--config", "../site/pilotlight.yaml", "--json"], {
      PILOTLIGHT_REPORTS_DIR: "/tmp/x",
    });
    expect(c.code, c.stderr).to.equal(0);
    expect(JSON.parse(c.stdout).locations).to.deep.include({
      store: `pglite://${join(site, "runs")}`,
      stateBackend: "s3://team-state/pl?region=eu-west-1",
      reportsDir: "/tmp/x",
    });
    // A relative override was typed in a shell: it resolves against the working directory.
    const rel = await cli(join(root, "a"), ["status", "--config", "../site/pilotlight.yaml", "--json"], {
      PILOTLIGHT_REPORTS_DIR: "out",
    });
    expect(JSON.parse(rel.stdout).locations.reportsDir).to.equal(join(root, "a", "out"));
  });

  it("status prints the locations for people too", async function () {
    const c = await cli(join(root, "a"), ["status", "--config", "../site/pilotlight.yaml"]);
    expect(c.code, c.stderr).to.equal(0);
    expect(c.stdout).to.contain(`run store: pglite://${join(site, "runs")}`);
    expect(c.stdout).to.contain(`state backend: file://${join(site, "state")}`);
    expect(c.stdout).to.contain(`reports: ${join(site, "reports")}`);
  });
});
