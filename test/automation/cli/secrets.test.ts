import { expect } from "chai";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../automation/cli/run-cli";
import { SANDBOX_CONFIG } from "../../../automation/config/sandbox-default";
import { redactText, redactUrl } from "../../../automation/domain/redact";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import { PgRunStore } from "../../../automation/store/pg-run-store";
import { VirtualClock } from "../../../automation/adapters/virtual-clock";
import { WebhookNotifier } from "../../../automation/adapters/notifiers";
import { Engine } from "../../../automation/engine/engine";
import { capturingIo } from "../../support/cli-io";
import { HOLDER_A, T0 } from "../../support/engine-harness";
import { openPilotlight } from "../../../drills/index";

/** Every secret of this suite contains this word; no output may. */
const CANARY = "CANARY";

/** Store URLs in every form a password or a secret parameter can take. Port 1 refuses at once. */
const STORE_URLS = [
  `postgres://:pw-${CANARY}-userless@127.0.0.1:1/runs`,
  `postgres://pilot:p@ss-${CANARY}-at@127.0.0.1:1/runs`,
  `postgres://pilot:p%40ss-${CANARY}-encoded@127.0.0.1:1/runs`,
  `postgresql://pilot:pa/ss-${CANARY}-slash@127.0.0.1:1/runs`,
  `postgres://pilot@127.0.0.1:1/runs?password=${CANARY}-query&sslmode=disable`,
  `postgres://pilot@127.0.0.1:1/runs?sslpassword=${CANARY}-sslpassword&sslkey=/keys/${CANARY}-sslkey.pem`,
];

/** The environment's secrets: passphrase, AWS keys, the webhook URL (its path is the token). */
const SECRET_ENV = {
  PULUMI_CONFIG_PASSPHRASE: `passphrase-${CANARY}-pulumi`,
  AWS_SECRET_ACCESS_KEY: `wJalrXUtnFEMI/${CANARY}/secretkey`,
  AWS_SESSION_TOKEN: `FwoGZXIvYXdzE${CANARY}sessiontoken`,
  PILOTLIGHT_WEBHOOK_URL: `https://hooks.example.invalid/services/T0/B0/${CANARY}webhook?token=${CANARY}-t`,
};

interface Captured {
  code: number;
  out: string;
}

describe("secrets never leak (canary suite)", function () {
  this.timeout(120_000);
  let dir: string;
  const saved = { ...process.env };

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "pilotlight-canary-"));
  });
  afterEach(function () {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  /** Runs the CLI in-process with a real library (no injected store): stdout and stderr together. */
  async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<Captured> {
    const { io, written } = capturingIo({ cwd: dir, env, openPilotlight });
    const code = await runCli(args, io);
    return { code, out: written.stdout + written.stderr };
  }

  const expectClean = (what: string, text: string) => {
    const at = text.indexOf(CANARY);
    expect(at, `${what} leaks: …${text.slice(Math.max(0, at - 120), at + 40)}…`).to.equal(-1);
  };

  /** Every file under `folder`, read as text. */
  function filesUnder(folder: string): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
      if (entry.isFile())
        out.push([join(entry.parentPath, entry.name), readFileSync(join(entry.parentPath, entry.name), "utf8")]);
    }
    return out;
  }

  const config = (extra: Record<string, unknown>) => ({
    ...structuredClone(SANDBOX_CONFIG),
    store: { url: "pglite://runs" },
    reportsDir: "reports",
    notifications: { webhookUrlEnv: "PILOTLIGHT_WEBHOOK_URL" },
    ...extra,
  });

  it("redacts a URL's password and secret parameters through the URL parser, in every form", function () {
    for (const url of STORE_URLS) {
      const shown = redactUrl(url);
      expectClean(url, shown);
      expect(shown, url).to.match(/^postgres(ql)?:\/\/.*127\.0\.0\.1:1\/runs/);
    }
    // Nothing to hide: unchanged, to the byte.
    for (const url of [
      "postgres://pilot@db.internal:5432/runs?sslmode=require",
      "s3://state/p?region=eu-west-1",
      "https://example.com",
    ]) {
      expect(redactUrl(url)).to.equal(url);
    }
    expect(redactUrl(STORE_URLS[0]!)).to.equal("postgres://:***@127.0.0.1:1/runs");
    expect(redactUrl(STORE_URLS[4]!)).to.equal("postgres://pilot@127.0.0.1:1/runs?password=***&sslmode=disable");
    // Inside text, JSON and HTML (`&amp;`), and known values however they are encoded.
    expectClean("text", redactText(`at ${STORE_URLS[1]}: refused; "${STORE_URLS[5]!.replace("&", "&amp;")}"`));
    expectClean(
      "values",
      redactText(
        `${encodeURIComponent(SECRET_ENV.AWS_SECRET_ACCESS_KEY)} ${SECRET_ENV.PULUMI_CONFIG_PASSPHRASE}`,
        Object.values(SECRET_ENV),
      ),
    );
  });

  it("a failing webhook names its host, never its URL (the URL's path is the token)", async function () {
    const url = SECRET_ENV.PILOTLIGHT_WEBHOOK_URL;
    const note = { subject: "s", body: "b", severity: "info" as const };
    const refusing = new WebhookNotifier(url, async () =>
      Promise.reject(new TypeError(`Failed to parse URL from ${url}`)),
    );
    const failing = new WebhookNotifier(url, async () => new Response("no", { status: 500 }));
    for (const notifier of [refusing, failing]) {
      const error = await notifier.notify(note).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).to.contain("hooks.example.invalid");
      expectClean("webhook error", `${error?.message} ${error?.stack}`);
    }
  });

  it("a step error or event carrying a URL is journaled without its secrets", async function () {
    const store = await PgRunStore.open(await PgliteSql.open());
    const clock = new VirtualClock({ start: T0 });
    try {
      const engine = new Engine({ store, clock, holder: HOLDER_A, newRunId: () => "leaky" });
      const run = await engine.start({
        kind: "posture-check",
        target: "env:canary",
        spec: {},
        plan: { steps: [{ id: "connect", title: "connect", dependsOn: [], timeoutMs: 60_000 }] },
        handlers: {
          connect: async (ctx) => {
            ctx.progress(`connecting to ${STORE_URLS[1]}`, { url: STORE_URLS[4]! });
            throw new Error(`could not reach ${STORE_URLS[0]}`);
          },
        },
      });
      expect(run.phase).to.equal("Failed");
      expect(run.steps[0]!.error!.message).to.contain("127.0.0.1:1");
      expectClean("persisted run", JSON.stringify(await store.loadRun("leaky")));
      const events = await store.listEvents("leaky");
      expect(events.map((e) => e.code)).to.include("step.progress");
      expectClean("persisted events", JSON.stringify(events));
    } finally {
      clock.dispose();
      await store.close();
    }
  });

  it("a store URL of every form, from the file or the environment: store.unavailable, not one secret in any output", async function () {
    for (const url of STORE_URLS) {
      writeFileSync(join(dir, "file.yaml"), JSON.stringify(config({ store: { url } })));
      writeFileSync(join(dir, "env.yaml"), JSON.stringify(config({})));
      for (const [file, env] of [
        ["file.yaml", {}],
        ["env.yaml", { PILOTLIGHT_STORE_URL: url }],
      ] as const) {
        for (const mode of [["--json"], ["--debug"], []]) {
          for (const target of [["--sandbox"], []]) {
            const args = ["status", "--config", file, ...target, ...mode];
            const c = await cli(args, { ...SECRET_ENV, ...env, PATH: "/nonexistent" });
            expectClean(`${args.join(" ")} with ${url}`, c.out);
            // A sandbox world keeps its runs with it: only PILOTLIGHT_STORE_URL shares a store
            // with it (the file's store is the real target's), so `--sandbox` with the file's URL works.
            const fileStoreInSandbox = file === "file.yaml" && target.length > 0;
            expect(c.code, `${args.join(" ")}: ${c.out}`).to.equal(fileStoreInSandbox ? 0 : 5);
            if (mode[0] === "--json" && !fileStoreInSandbox)
              expect(JSON.parse(c.out)).to.include({ code: "store.unavailable", source: "system" });
          }
        }
      }
    }
  });

  it("a sandbox drill and a real target that fails fast: no secret in stdout, stderr, --json, --debug, reports or the run store", async function () {
    const bin = mkdtempSync(join(tmpdir(), "pilotlight-canary-bin-"));
    const argvLog = join(bin, "argv.log");
    // A pulumi that answers `version` and records its argv: the passphrase travels in the env only.
    writeFileSync(join(bin, "pulumi"), `#!/bin/sh\necho "$@" >> ${argvLog}\necho v3.190.0\n`, { mode: 0o755 });
    writeFileSync(join(dir, "pilotlight.yaml"), JSON.stringify(config({})));
    // The AWS SDK reads the process environment: a secret key without a key id resolves nothing.
    for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
    Object.assign(process.env, SECRET_ENV, {
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: join(bin, "none"),
      AWS_SHARED_CREDENTIALS_FILE: join(bin, "none"),
    });
    const env = { ...SECRET_ENV, PATH: `${bin}:/usr/bin:/bin`, HOME: bin };
    const outputs: Array<[string, Captured]> = [];
    for (const args of [
      // One sandbox drill (it bootstraps six virtual hours: the slow part of this suite).
      ["drill", "run", "posture", "--sandbox", "--config", "pilotlight.yaml", "--json"],
      ["status", "--sandbox", "--config", "pilotlight.yaml", "--debug"],
      ["failover", "--yes", "--debug"],
      ["failover", "--yes", "--json"],
      ["status", "--json"],
      ["status", "--debug"],
    ]) {
      outputs.push([args.join(" "), await cli(args, env)]);
    }
    for (const [args, c] of outputs) expectClean(args, c.out);
    // The commands did what they do (a leak check on outputs that say nothing proves nothing).
    const byArgs = new Map(outputs);
    const drill = byArgs.get("drill run posture --sandbox --config pilotlight.yaml --json")!;
    expect(drill.code, drill.out).to.be.oneOf([0, 1]);
    expect(JSON.parse(byArgs.get("failover --yes --json")!.out)).to.include({ code: "aws.credentials-missing" });
    expect(byArgs.get("status --json")!.code).to.equal(0);

    // The sandbox drill's reports live in its world; the real target's in the configured folder.
    mkdirSync(join(dir, "reports"), { recursive: true });
    const reports = [
      ...filesUnder(join(dir, "reports")),
      ...filesUnder(join(dir, ".pilotlight", "sandbox", "world", "reports")),
    ];
    expect(reports.length).to.be.greaterThan(0);
    for (const [path, text] of reports) expectClean(path, text);
    expectClean("pulumi argv", readFileSync(argvLog, "utf8"));

    // Every row of every table of both run stores (the real target's, the sandbox world's), as text.
    let rows = 0;
    for (const folder of [join(dir, "runs"), join(dir, ".pilotlight", "sandbox", "world", "runs")]) {
      if (!existsSync(folder)) continue;
      const sql = await PgliteSql.open(folder);
      try {
        const { rows: tables } = await sql.query<{ name: string }>(
          "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
        );
        expect(tables.map((t) => t.name)).to.include.members(["pilotlight_runs", "pilotlight_events"]);
        for (const { name } of tables) {
          const { rows: dump } = await sql.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
          rows += dump.length;
          for (const r of dump) expectClean(`store table ${name} of ${folder}`, r.row);
        }
      } finally {
        await sql.close();
      }
    }
    expect(rows).to.be.greaterThan(0);
  });
});
