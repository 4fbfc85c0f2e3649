import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CliIo } from "../../../automation/cli/context";
import { runCli } from "../../../automation/cli/run-cli";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import { databaseValidation } from "../../../drills/validation/by-url";

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** `pilotlight validate` and `manifest record --database`, in-process, on PGlite folders. */
describe("CLI: validate and manifest record --database", function () {
  this.timeout(120_000);
  let cwd: string;

  async function cli(args: string[]): Promise<Captured> {
    let stdout = "";
    let stderr = "";
    const io: CliIo = {
      stdout: { write: (t) => void (stdout += t) },
      stderr: { write: (t) => void (stderr += t) },
      isTTY: false,
      env: {},
      cwd,
      signal: new AbortController().signal,
      openPilotlight: () => Promise.reject(new Error("these commands need no library")),
      validation: databaseValidation,
    };
    return { code: await runCli(args, io), stdout, stderr };
  }

  async function database(folder: string, sql: string): Promise<void> {
    const db = await PgliteSql.open(join(cwd, folder));
    try {
      await db.db.exec(sql);
    } finally {
      await db.close();
    }
  }

  const SETUP = `CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders SELECT g, g / 4.0 FROM generate_series(1, 300) g;
                 CREATE TABLE "Odd ""name""" (k text PRIMARY KEY); INSERT INTO "Odd ""name""" VALUES ('a'), ('b');`;

  before(async function () {
    cwd = mkdtempSync(join(tmpdir(), "pilotlight-validate-"));
    await database("primary", SETUP);
    await database("restored", SETUP);
  });

  it("records a manifest of a database named by URL, and finds an identical restore equal (exit 0)", async function () {
    const rec = await cli([
      "manifest",
      "record",
      "--database",
      "pglite://primary",
      "--out",
      "m/primary.json",
      "--json",
    ]);
    expect(rec.code, rec.stderr + rec.stdout).to.equal(0);
    expect(JSON.parse(rec.stdout)).to.include({ tables: 2, rows: 302 });
    const v = await cli(["validate", "--database", "pglite://restored", "--manifest", "m/primary.json", "--json"]);
    expect(v.code, v.stdout).to.equal(0);
    const report = JSON.parse(v.stdout);
    expect(report).to.deep.include({ ok: true, schema: { ok: true, differences: [] } });
    expect(report.tables.map((t: { name: string; verdict: string }) => [t.name, t.verdict])).to.deep.equal([
      ['public.Odd "name"', "ok"],
      ["public.orders", "ok"],
    ]);
    const live = await cli(["validate", "--database", "pglite://restored", "--reference", "pglite://primary"]);
    expect(live.code).to.equal(0);
    expect(live.stdout).to.match(/EQUAL\n$/);
  });

  it("exits 1 on a difference and names its key, against a manifest and against the live reference", async function () {
    await database(
      "damaged",
      `${SETUP} UPDATE orders SET total = 1.500 WHERE id = 6; DELETE FROM orders WHERE id = 200;`,
    );
    await cli(["manifest", "record", "--database", "pglite://primary", "--out", "primary.json"]);
    for (const against of [
      ["--manifest", "primary.json"],
      ["--reference", "pglite://primary"],
    ]) {
      const v = await cli(["validate", "--database", "pglite://damaged", ...against, "--json"]);
      expect(v.code, v.stdout).to.equal(1);
      const report = JSON.parse(v.stdout);
      expect(report.ok).to.equal(false);
      expect(report.tables.find((t: { name: string }) => t.name === "public.orders")).to.deep.include({
        verdict: "damaged",
        rows: 299,
        changed: 1,
        missing: 1,
        unexpected: 0,
        drift: 0,
        keys: ["6", "200"],
      });
    }
  });

  it("exits 3 on bad input: an unreadable or foreign manifest, an unknown URL scheme, a bad watermark", async function () {
    writeFileSync(join(cwd, "not-a-manifest.json"), JSON.stringify({ tables: [] }));
    for (const args of [
      ["validate", "--database", "pglite://restored", "--manifest", "nowhere.json"],
      ["validate", "--database", "pglite://restored", "--manifest", "not-a-manifest.json"],
      ["validate", "--database", "mysql://root:hunter2@db/app", "--reference", "pglite://primary"],
      ["validate", "--database", "pglite://restored", "--reference", "pglite://primary", "--watermark", "yesterday"],
    ]) {
      const v = await cli([...args, "--json"]);
      expect(v.code, args.join(" ")).to.equal(3);
      expect(JSON.parse(v.stdout)).to.include({ code: "config.invalid", source: "user" });
      expect(v.stdout + v.stderr).to.not.contain("hunter2");
    }
  });

  it("exits 3 when neither or both of --manifest and --reference are named", async function () {
    expect((await cli(["validate", "--database", "pglite://restored"])).code).to.equal(3);
    expect(
      (await cli(["validate", "--database", "pglite://restored", "--manifest", "a", "--reference", "b"])).code,
    ).to.equal(3);
  });

  it("exits 4 when a database does not answer, and never prints its password", async function () {
    for (const url of [
      "postgres://app:hunter2@127.0.0.1:1/app",
      "postgres://app@127.0.0.1:1/app?password=hunter2&sslmode=disable",
      "pglite://no-such-folder",
    ]) {
      const v = await cli(["validate", "--database", url, "--reference", "pglite://primary", "--json"]);
      expect(v.code, url).to.equal(4);
      expect(JSON.parse(v.stdout)).to.include({ code: "database.unreachable" });
      expect(v.stdout + v.stderr).to.not.contain("hunter2");
    }
  });
});
