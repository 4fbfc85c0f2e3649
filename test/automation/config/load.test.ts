import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyEnvOverrides, loadConfig, validateConfig } from "../../../automation/config/load";
import { SANDBOX_CONFIG } from "../../../automation/config/sandbox-default";
import { isPilotlightError, type PilotlightError } from "../../../automation/domain/errors";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (isPilotlightError(error) && error.code === "config.invalid") return (error as PilotlightError).details!["problems"] as string[];
    throw error;
  }
  throw new Error("expected config.invalid");
}

const valid = () => structuredClone(SANDBOX_CONFIG) as Record<string, any>;

describe("configuration", function () {
  it("accepts the sandbox default and fills defaults, durations in ms", function () {
    const config = validateConfig(SANDBOX_CONFIG);
    const env = config.environments["sandbox"]!;
    expect(env.objectives).to.deep.equal({ rto: 4 * 3_600_000, rpo: 3_600_000 });
    expect(env.decision).to.deep.equal({ waitBelow: 15 * 60_000, prepareBelow: 60 * 60_000 });
    expect(env.drills.restore).to.deep.equal({ enabled: true, schedule: "0 3 * * *", timezone: "UTC", catchUp: false });
    expect(env.primary.stack).to.equal("primary");
  });

  it("reports every problem at once, each naming its field and the fix", function () {
    const raw = valid();
    const env = raw["environments"]["sandbox"];
    env.objectives.rpo = "90x";
    env.dr.region = "us-east-1";
    env.dns.ttlSeconds = 300;
    env.drills = { restore: { schedule: "61 * * * *", timezone: "Mars/Olympus" } };
    env.primary.clusterd = "typo";
    raw["store"] = { url: "mysql://db" };
    const problems = problemsOf(() => validateConfig(raw));
    const has = (field: string, words: string) =>
      expect(problems.some((p) => p.startsWith(field + ":") && p.includes(words)), `${field} → ${words}\n${problems.join("\n")}`).to.equal(true);
    has("environments.sandbox.objectives.rpo", "e.g. 1h");
    has("environments.sandbox.dr.region", "must differ");
    has("environments.sandbox.dns.ttlSeconds", "60 s or less");
    has("environments.sandbox.drills.restore.schedule", "cron");
    has("environments.sandbox.drills.restore.timezone", "IANA");
    has("environments.sandbox.primary", '"clusterd"');
    has("store.url", "pglite://");
    expect(problems).to.have.length(7);
  });

  it("requires at least one environment and the fields an environment cannot do without", function () {
    expect(problemsOf(() => validateConfig({ environments: {} }))).to.deep.equal(["environments: declare at least one environment under environments:"]);
    const problems = problemsOf(() => validateConfig({ environments: { prod: { primary: { region: "us-east-1" } } } }));
    expect(problems).to.include.members([
      "environments.prod.primary.vault: primary.vault is required",
      "environments.prod.primary.clusterId: primary.clusterId is required",
    ]);
    expect(problems.some((p) => p.startsWith("environments.prod.dr:"))).to.equal(true);
    expect(problems.some((p) => p.startsWith("environments.prod.objectives:"))).to.equal(true);
  });

  describe("loading", function () {
    let dir: string;
    beforeEach(function () {
      dir = mkdtempSync(join(tmpdir(), "pilotlight-config-"));
    });

    it("returns undefined when no file was named and none exists", function () {
      expect(loadConfig({ cwd: dir, env: {} })).to.equal(undefined);
    });

    it("fails with config.not-found for a named file that does not exist", function () {
      try {
        loadConfig({ cwd: dir, env: { PILOTLIGHT_CONFIG: "missing.yaml" } });
        expect.fail("expected an error");
      } catch (error) {
        expect(isPilotlightError(error) && error.code).to.equal("config.not-found");
        expect(isPilotlightError(error) && error.hint).to.contain("--sandbox");
      }
    });

    it("reads YAML, resolves against the file's folder and applies environment overrides", function () {
      writeFileSync(join(dir, "pilotlight.yaml"), JSON.stringify(SANDBOX_CONFIG));
      const loaded = loadConfig({ cwd: dir, env: { PILOTLIGHT_STORE_URL: "postgres://u@h/db" } })!;
      expect(loaded.baseDir).to.equal(dir);
      expect(loaded.config.store.url).to.equal("postgres://u@h/db");
    });

    it("names the line of a YAML syntax error", function () {
      writeFileSync(join(dir, "pilotlight.yaml"), "environments:\n  prod: [\n");
      try {
        loadConfig({ cwd: dir, env: {} });
        expect.fail("expected an error");
      } catch (error) {
        expect(isPilotlightError(error) && error.code).to.equal("config.invalid");
        expect((error as Error).message).to.match(/line \d+/);
      }
    });

    it("validates environment overrides with the same messages", function () {
      const config = validateConfig(SANDBOX_CONFIG);
      const problems = problemsOf(() => applyEnvOverrides(config, { PILOTLIGHT_STATE_BACKEND: "ftp://x" }));
      expect(problems[0]).to.match(/^stateBackend \(from the environment\): stateBackend must be file:\/\//);
    });
  });
});
