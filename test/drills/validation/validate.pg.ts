import { expect } from "chai";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { PgPoolSql } from "../../../automation/store/pg-sql";
import type { SqlClient } from "../../../automation/ports/sql";
import { recordManifest, validateDatabase } from "../../../drills/validation/validate";
import { NO_CONFIG, now, opener, tableOf } from "./pglite-pair";

/**
 * Validation on a PostgreSQL server (PG_URL, else 127.0.0.1:5432): what PGlite cannot show — a
 * database whose *defaults* differ (ALTER DATABASE … SET, applied to every new session), a
 * nondeterministic ICU collation, and two major versions compared (the server and PGlite).
 */
const ADMIN = process.env["PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const url = (db: string) => {
  const u = new URL(ADMIN);
  u.pathname = `/${db}`;
  return u.toString();
};
const SETUP = `
  CREATE TABLE readings (at timestamptz PRIMARY KEY, d interval, f float8, b bytea, m money, day date);
  INSERT INTO readings SELECT '2026-01-01T00:00:00Z'::timestamptz + g * interval '37 minutes', g * interval '90 minutes', g / 3.0, decode(md5(g::text), 'hex'), g * 1.25, DATE '2026-01-01' + g FROM generate_series(1, 500) g;
  CREATE TABLE people (id int PRIMARY KEY, name text COLLATE ci);
  INSERT INTO people SELECT g, 'name ' || g FROM generate_series(1, 100) g;`;

describe("data validation on a PostgreSQL server", function () {
  this.timeout(120_000);
  const pools: PgPoolSql[] = [];
  const open = (db: string) => {
    let pool: PgPoolSql | undefined;
    return async (): Promise<SqlClient> => {
      if (pool === undefined) {
        pool = await PgPoolSql.open(url(db), 3);
        pools.push(pool);
      }
      const p = pool;
      return { query: (t, q) => p.query(t, q), transaction: (fn) => p.transaction(fn), close: async () => undefined };
    };
  };

  async function admin(sql: string): Promise<void> {
    const c = new pg.Client({ connectionString: ADMIN });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  }

  async function admin2(db: string, sql: string): Promise<void> {
    const c = new pg.Client({ connectionString: url(db) });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  }

  async function database(name: string, extra = ""): Promise<void> {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin(`CREATE DATABASE ${name}`);
    const c = new pg.Client({ connectionString: url(name) });
    await c.connect();
    try {
      await c.query("CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
      await c.query(SETUP + extra);
    } finally {
      await c.end();
    }
  }

  before(async function () {
    await database("pilotlight_test_ref");
  });
  after(async function () {
    await Promise.all(pools.map((p) => p.close()));
    for (const db of ["pilotlight_test_ref", "pilotlight_test_copy"])
      await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });

  it("finds a database with other default TimeZone, DateStyle, IntervalStyle, float digits, and bytea output equal", async function () {
    await database("pilotlight_test_copy");
    await admin(`ALTER DATABASE pilotlight_test_copy SET TimeZone = 'Asia/Kolkata'`);
    await admin(`ALTER DATABASE pilotlight_test_copy SET DateStyle = 'SQL, DMY'`);
    await admin(`ALTER DATABASE pilotlight_test_copy SET IntervalStyle = 'sql_standard'`);
    await admin(`ALTER DATABASE pilotlight_test_copy SET extra_float_digits = -2`);
    await admin(`ALTER DATABASE pilotlight_test_copy SET bytea_output = 'escape'`);
    const manifest = await recordManifest({ open: open("pilotlight_test_ref"), validation: NO_CONFIG, now });
    for (const expect_ of [
      { kind: "manifest" as const, manifest },
      { kind: "live" as const, open: open("pilotlight_test_ref") },
    ]) {
      const r = await validateDatabase({
        open: open("pilotlight_test_copy"),
        expect: expect_,
        validation: NO_CONFIG,
        now,
      });
      expect(r.ok, `${expect_.kind}: ${r.summary}`).to.equal(true);
    }
  });

  it("sees a change of case under a nondeterministic collation (equal to the collation, printed differently)", async function () {
    await database("pilotlight_test_copy", "UPDATE people SET name = 'NAME 42' WHERE id = 42;");
    const r = await validateDatabase({
      open: open("pilotlight_test_copy"),
      expect: { kind: "live", open: open("pilotlight_test_ref") },
      validation: NO_CONFIG,
      now,
    });
    expect(tableOf(r, "public.people")).to.deep.include({
      verdict: "damaged",
      keys: { changed: ["42"], missing: [], unexpected: [], drift: [] },
    });
  });

  it("compares two major versions (this server and PGlite) through the printed text", async function () {
    const lite = await PGlite.create();
    try {
      await lite.exec(
        "CREATE TABLE t (id int PRIMARY KEY, v numeric, at timestamptz); INSERT INTO t SELECT g, g / 8.0, '2026-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 300) g;",
      );
      await admin("DROP DATABASE IF EXISTS pilotlight_test_copy WITH (FORCE)");
      await admin("CREATE DATABASE pilotlight_test_copy");
      const c = new pg.Client({ connectionString: url("pilotlight_test_copy") });
      await c.connect();
      try {
        await c.query(
          "CREATE TABLE t (id int PRIMARY KEY, v numeric, at timestamptz); INSERT INTO t SELECT g, g / 8.0, '2026-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 300) g;",
        );
      } finally {
        await c.end();
      }
      let r = await validateDatabase({
        open: open("pilotlight_test_copy"),
        expect: { kind: "live", open: opener(lite) },
        validation: NO_CONFIG,
        now,
      });
      expect(r.ok, r.summary).to.equal(true);
      expect(tableOf(r, "public.t").method).to.equal("md5");
      await admin2("pilotlight_test_copy", "UPDATE t SET v = 2.0 WHERE id = 16");
      r = await validateDatabase({
        open: open("pilotlight_test_copy"),
        expect: { kind: "live", open: opener(lite) },
        validation: NO_CONFIG,
        now,
      });
      expect(tableOf(r, "public.t").keys.changed).to.deep.equal(["16"]);
    } finally {
      await lite.close();
    }
  });
});
