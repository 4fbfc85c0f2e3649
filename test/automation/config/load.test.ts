import { expect } from "chai";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyEnvOverrides, loadConfig, validateConfig } from "../../../automation/config/load";
import { SANDBOX_CONFIG } from "../../../automation/config/sandbox-default";
import { isPilotlightError, type PilotlightError } from "../../../automation/domain/errors";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (isPilotlightError(error) && error.code === "config.invalid")
      return (error as PilotlightError).details!["problems"] as string[];
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
      expect(
        problems.some((p) => p.startsWith(field + ":") && p.includes(words)),
        `${field} → ${words}\n${problems.join("\n")}`,
      ).to.equal(true);
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
    expect(problemsOf(() => validateConfig({ environments: {} }))).to.deep.equal([
      "environments: declare at least one environment under environments:",
    ]);
    const problems = problemsOf(() => validateConfig({ environments: { prod: { primary: { region: "us-east-1" } } } }));
    expect(problems).to.include.members([
      "environments.prod.primary.vault: primary.vault is required, e.g. pilotlight-prod-primary",
      "environments.prod.dr: missing; write dr: { region: us-west-2, vault: … }",
      "environments.prod.objectives: missing; write objectives: { rto: 4h, rpo: 1h }",
    ]);
    expect(problems.some((p) => p.startsWith("environments.prod.dr:"))).to.equal(true);
    expect(problems.some((p) => p.startsWith("environments.prod.objectives:"))).to.equal(true);
  });

  it("names keys earlier versions accepted and nothing read, with where the fact comes from now", function () {
    const raw = valid();
    raw["environments"]["sandbox"]["primary"]["clusterId"] = "app-prod";
    raw["environments"]["sandbox"]["healthUrl"] = "https://app.example.com/health";
    raw["environments"]["sandbox"]["colour"] = "blue";
    expect(problemsOf(() => validateConfig(raw))).to.deep.equal([
      "environments.sandbox.primary: \"clusterId\" is no longer read (the serving cluster's identifier comes from the primary stack's outputs); delete it",
      "environments.sandbox: \"healthUrl\" is no longer read (the workload's health URL comes from the stacks' outputs); delete it",
      'environments.sandbox: unknown key(s) "colour"; remove them or check their spelling',
    ]);
  });

  describe("messages say what is wrong", function () {
    const only = (mutate: (raw: Record<string, any>) => void): string[] => {
      const raw = valid();
      mutate(raw);
      return problemsOf(() => validateConfig(raw));
    };

    it("a zero duration must be positive (it is a duration)", function () {
      expect(only((r) => (r["environments"]["sandbox"]["objectives"]["rto"] = "0s"))).to.deep.equal([
        'environments.sandbox.objectives.rto: "0s" must be positive, e.g. 4h',
      ]);
    });

    it("an absurd duration is refused with the maximum", function () {
      const absurd = "99999999999999999999d";
      const problems = only((r) => (r["environments"]["sandbox"]["decision"] = { prepareBelow: absurd }));
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(/^environments\.sandbox\.decision\.prepareBelow: .* at most 365d/);
      expect(only((r) => (r["environments"]["sandbox"]["drills"] = { ttl: "366d" }))[0]).to.contain("at most 365d");
      const year = valid();
      year["environments"]["sandbox"]["objectives"] = { rto: "365d", rpo: "1h" };
      expect(validateConfig(year).environments["sandbox"]!.objectives.rto).to.equal(365 * 86_400_000);
    });

    it("a value of the wrong type says so; a missing one is required", function () {
      expect(only((r) => (r["environments"]["sandbox"]["primary"]["region"] = 5))).to.deep.equal([
        "environments.sandbox.primary.region: primary region must be a string such as us-east-1",
      ]);
      expect(only((r) => delete r["environments"]["sandbox"]["primary"]["region"])).to.deep.equal([
        "environments.sandbox.primary.region: primary region is required, e.g. us-east-1",
      ]);
      expect(only((r) => (r["store"] = { url: 5 }))[0]).to.contain("store.url must be a string such as pglite://");
    });

    it("a hostile environment name gets the naming rule, quoted", function () {
      const problems = only((r) => {
        r["environments"]["prod; rm -rf /\n"] = r["environments"]["sandbox"];
      });
      expect(problems).to.have.length(1);
      expect(problems[0]).to.match(/^environments\["prod; rm -rf \/\\n"\]: /);
      expect(problems[0]).to.contain("environment names are lower-case kebab-case");
      expect(problems[0]).to.contain("e.g. prod");
      const notMapping = problemsOf(() => validateConfig({ environments: [] }));
      expect(notMapping[0]).to.contain("must map names to environment settings");
    });
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

    it("refuses a file over 1 MiB at once, without parsing it, and anything but a regular file", function () {
      // Broken YAML: parsing it would report a syntax error instead of the size.
      writeFileSync(join(dir, "pilotlight.yaml"), "environments: [\n" + "#".repeat(1024 * 1024));
      try {
        loadConfig({ cwd: dir, env: {} });
        expect.fail("expected an error");
      } catch (error) {
        expect(isPilotlightError(error) && error.code).to.equal("config.invalid");
        expect((error as Error).message).to.contain("refused unread");
        expect(isPilotlightError(error) && error.details).to.deep.include({ maxBytes: 1024 * 1024 });
      }
      mkdirSync(join(dir, "folder.yaml"));
      expect(() => loadConfig({ cwd: dir, env: { PILOTLIGHT_CONFIG: "folder.yaml" } })).to.throw(/not a regular file/);
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

    describe("each environment override changes exactly what it names", function () {
      // Every top-level setting differs from its default, so a default filled in by an override
      // would show as a change.
      const file = () => ({
        ...valid(),
        projectDir: "stacks",
        stateBackend: "s3://team-state/pilotlight?region=eu-central-1",
        secretsProvider: "awskms://alias/pilotlight",
        store: { url: "postgres://pilotlight@db.internal/runs" },
        reportsDir: "out/reports",
        notifications: { webhookUrlEnv: "PILOTLIGHT_WEBHOOK_URL" },
      });
      const store = "postgres://other@db2.internal/runs";
      const backend = "s3://other-state/p?region=us-west-2";
      const overrides: Array<[string, string, (c: Record<string, any>) => void]> = [
        ["PILOTLIGHT_STORE_URL", store, (c) => (c["store"] = { url: store })],
        ["PILOTLIGHT_STATE_BACKEND", backend, (c) => (c["stateBackend"] = backend)],
        ["PILOTLIGHT_REPORTS_DIR", "/srv/reports", (c) => (c["reportsDir"] = "/srv/reports")],
      ];
      for (const [name, value, apply] of overrides) {
        it(`${name} alone keeps every other setting of the file`, function () {
          writeFileSync(join(dir, "pilotlight.yaml"), JSON.stringify(file()));
          const loaded = loadConfig({ cwd: dir, env: { [name]: value } })!;
          const expected = file();
          apply(expected);
          expect(loaded.config).to.deep.equal(validateConfig(expected));
        });
      }

      it("PILOTLIGHT_CONFIG names the file and changes nothing in it", function () {
        writeFileSync(join(dir, "other.yaml"), JSON.stringify(file()));
        const loaded = loadConfig({ cwd: dir, env: { PILOTLIGHT_CONFIG: "other.yaml" } })!;
        expect(loaded.file).to.equal(join(dir, "other.yaml"));
        expect(loaded.config).to.deep.equal(validateConfig(file()));
      });

      it("all three together change those three and nothing else", function () {
        writeFileSync(join(dir, "pilotlight.yaml"), JSON.stringify(file()));
        const env = Object.fromEntries(overrides.map(([n, v]) => [n, v]));
        const expected = file();
        for (const [, , apply] of overrides) apply(expected);
        expect(loadConfig({ cwd: dir, env })!.config).to.deep.equal(validateConfig(expected));
      });
    });

    it("validates environment overrides with the same messages", function () {
      const config = validateConfig(SANDBOX_CONFIG);
      const problems = problemsOf(() => applyEnvOverrides(config, { PILOTLIGHT_STATE_BACKEND: "ftp://x" }));
      expect(problems[0]).to.match(/^stateBackend \(from the environment, PILOTLIGHT_STATE_BACKEND\): /);
      expect(problems[0]).to.contain("stateBackend must be file://");
    });
  });
});
