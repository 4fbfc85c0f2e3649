import { expect } from "chai";
import type { ValidationResult } from "../../../automation/ports/validator";
import { Reference, Workbench, tableOf } from "./pglite-pair";

/**
 * Every finding under "Why" of issue 13, one test each, on real SQL (PGlite). Each failed on the
 * validator before the issue was resolved: a false verdict, a crash, or wrong keys.
 */
const T_MANIFEST = Date.UTC(2026, 0, 1, 12);

/** The tables of the findings, one per test (each test builds only its own). */
const SETUP: Record<string, string> = {
  scales:
    "CREATE TABLE scales (id int PRIMARY KEY, v numeric); INSERT INTO scales SELECT g, g / 4.0 FROM generate_series(1, 200) g;",
  bounds:
    "CREATE TABLE bounds (id int PRIMARY KEY, a int[]); INSERT INTO bounds SELECT g, ARRAY[g, g + 1] FROM generate_series(1, 200) g;",
  spans:
    "CREATE TABLE spans (id int PRIMARY KEY, d interval); INSERT INTO spans SELECT g, g * interval '1 day' FROM generate_series(1, 200) g;",
  bag: "CREATE TABLE bag (kind text, n int); INSERT INTO bag VALUES ('a', 1), ('a', 1), ('b', 2), ('b', 2), ('c', 3);",
  readings:
    "CREATE TABLE readings (at timestamptz PRIMARY KEY, value int); INSERT INTO readings SELECT '2026-01-01T00:00:00Z'::timestamptz + g * interval '37 minutes', g FROM generate_series(1, 300) g;",
  lines:
    "CREATE TABLE lines (order_id int, line int, qty int, updated_at timestamptz NOT NULL, PRIMARY KEY (order_id, line)); INSERT INTO lines SELECT g / 10, g % 10, g, '2026-01-01T10:00:00Z' FROM generate_series(1, 500) g;",
  docs: "CREATE TABLE docs (id int PRIMARY KEY, body json);",
  invoices:
    'CREATE TABLE "billing.invoices" (id int PRIMARY KEY, total int); INSERT INTO "billing.invoices" SELECT g, g * 3 FROM generate_series(1, 100) g;',
  events:
    "CREATE TABLE events (id int, at date, PRIMARY KEY (id, at)) PARTITION BY RANGE (at); CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01'); CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01'); INSERT INTO events SELECT g, DATE '2025-06-01' + g FROM generate_series(1, 400) g;",
  accounts:
    "CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts SELECT g, g * 10 FROM generate_series(1, 100) g;",
};

const CONFIG = { database: "app", tables: [{ name: "lines", updatedAt: "updated_at" }], checks: [] };

describe("issue 13: validation you can stake a failover on", function () {
  this.timeout(120_000);
  let bench: Workbench;
  before(async function () {
    bench = await Workbench.create();
  });
  after(async function () {
    await bench.close();
  });

  /** A reference holding the tables named (and nothing else); closed after `fn`. */
  async function withReference<T>(tables: string[], fn: (ref: Reference) => Promise<T>): Promise<T> {
    const ref = await bench.reference(tables.map((t) => SETUP[t]!).join("\n"), CONFIG, T_MANIFEST);
    try {
      return await fn(ref);
    } finally {
      await ref.close();
    }
  }

  /** Both modes must give `verdict` to `table` in a copy of the reference changed by `mutation`. */
  async function expectVerdict(
    mutation: string,
    table: string,
    verdict: string,
    watermark?: number,
  ): Promise<{ manifest: ValidationResult; live: ValidationResult }> {
    const setup = table === "public.billing.invoices" ? "invoices" : table.replace("public.", "");
    const r = await withReference([setup], (ref) => ref.check(mutation, watermark));
    for (const [mode, result] of Object.entries(r))
      expect(tableOf(result, table).verdict, `${mode}: ${result.summary}`).to.equal(verdict);
    return r;
  }

  describe("false negatives", function () {
    it("a numeric value whose scale changed (1.50 → 1.500) is damage, named by its key", async function () {
      const r = await expectVerdict("UPDATE scales SET v = 1.500 WHERE id = 6", "public.scales", "damaged");
      for (const x of Object.values(r)) expect(tableOf(x, "public.scales").keys.changed).to.deep.equal(["6"]);
    });

    it("an array whose bounds changed ('{3,4}' → '[2:3]={3,4}') is damage", async function () {
      const r = await expectVerdict("UPDATE bounds SET a = '[2:3]={3,4}' WHERE id = 3", "public.bounds", "damaged");
      for (const x of Object.values(r)) expect(tableOf(x, "public.bounds").keys.changed).to.deep.equal(["3"]);
    });

    it("an interval written in other units ('1 day' → '24 hours') is damage", async function () {
      const r = await expectVerdict("UPDATE spans SET d = interval '24 hours' WHERE id = 1", "public.spans", "damaged");
      for (const x of Object.values(r)) expect(tableOf(x, "public.spans").keys.changed).to.deep.equal(["1"]);
    });

    it("in a keyless table, a duplicated row replaced by another duplicated row does not cancel out", async function () {
      const r = await withReference(["bag"], async (ref) => {
        // A replacement row in the same chunk as ('a', 1) by the low bits of its row hash, so that
        // neither the chunk's count nor an XOR of its hashes changes.
        const { rows } = await ref.db.query<{ n: number }>(
          `SELECT n FROM generate_series(2, 100000) n
            WHERE hash_record_extended(ROW('a'::text, n), 0) & 63 = hash_record_extended(ROW('a'::text, 1), 0) & 63 ORDER BY n LIMIT 1`,
        );
        return ref.check(
          `DELETE FROM bag WHERE kind = 'a'; INSERT INTO bag VALUES ('a', ${rows[0]!.n}), ('a', ${rows[0]!.n})`,
        );
      });
      for (const [mode, x] of Object.entries(r)) {
        expect(tableOf(x, "public.bag").verdict, `${mode}: ${x.summary}`).to.equal("damaged");
        expect(tableOf(x, "public.bag").counts).to.deep.include({ missing: 2, unexpected: 2 });
      }
    });

    it("two rows swapping a value is damage (a sum of linearly combined column hashes would not see it)", async function () {
      const r = await expectVerdict(
        "UPDATE accounts SET balance = CASE id WHEN 5 THEN 60 ELSE 50 END WHERE id IN (5, 6)",
        "public.accounts",
        "damaged",
      );
      for (const x of Object.values(r)) expect(tableOf(x, "public.accounts").keys.changed).to.deep.equal(["5", "6"]);
    });
  });

  describe("false positives", function () {
    it("a restore whose session has another TimeZone, with no data change, is equal (timestamptz keys)", async function () {
      const r = await withReference(["readings"], (ref) =>
        ref.check(
          "SET TimeZone = 'America/New_York'; SET DateStyle = 'SQL, DMY'; SET IntervalStyle = 'sql_standard'; SET extra_float_digits = -3",
        ),
      );
      for (const [mode, x] of Object.entries(r)) {
        expect(x.ok, `${mode}: ${x.summary}`).to.equal(true);
        expect(tableOf(x, "public.readings").verdict).to.equal("ok");
      }
    });

    it("rows of a composite-key table updated after the watermark are drift, named by their keys", async function () {
      const r = await expectVerdict(
        "UPDATE lines SET qty = 0, updated_at = '2026-01-01T13:00:00Z' WHERE (order_id, line) IN ((3, 4), (7, 1))",
        "public.lines",
        "drift",
        T_MANIFEST,
      );
      for (const x of Object.values(r)) {
        expect(x.ok).to.equal(true);
        expect(tableOf(x, "public.lines").keys.drift).to.deep.equal(["(3,4)", "(7,1)"]);
      }
    });
  });

  describe("verdicts instead of crashes", function () {
    it("a dropped primary key is a schema difference; the rows still compare equal", async function () {
      const r = await withReference(["accounts"], (ref) =>
        ref.check("ALTER TABLE accounts DROP CONSTRAINT accounts_pkey"),
      );
      for (const x of Object.values(r)) {
        expect(x.ok).to.equal(false);
        expect(x.schema.differences.join("\n")).to.contain("accounts_pkey");
        expect(tableOf(x, "public.accounts").verdict).to.equal("ok");
      }
    });

    it("an extra table in live mode is 'unexpected'", async function () {
      const live = await withReference(["accounts"], async (ref) => {
        const copy = await ref.copy("CREATE TABLE audit (id int PRIMARY KEY); INSERT INTO audit VALUES (1), (2)");
        try {
          return await ref.againstLive(copy);
        } finally {
          await copy.close();
        }
      });
      expect(tableOf(live, "public.audit").verdict).to.equal("unexpected");
      expect(tableOf(live, "public.audit").rows).to.equal(2);
      expect(tableOf(live, "public.accounts").verdict).to.equal("ok");
    });

    it("a json table empty on one side is damage: every row unexpected", async function () {
      // The reference is the empty side: a probe of one row there cannot tell that json has no hash.
      const r = await expectVerdict(
        "INSERT INTO docs SELECT g, json_build_object('g', g) FROM generate_series(1, 50) g",
        "public.docs",
        "damaged",
      );
      for (const x of Object.values(r)) expect(tableOf(x, "public.docs").counts.unexpected).to.equal(50);
    });

    it("a table whose name contains a dot is validated under its own name", async function () {
      const r = await expectVerdict(
        'UPDATE "billing.invoices" SET total = 0 WHERE id = 42',
        "public.billing.invoices",
        "damaged",
      );
      for (const x of Object.values(r))
        expect(tableOf(x, "public.billing.invoices").keys.changed).to.deep.equal(["42"]);
    });
  });

  describe("partitions and extra tables", function () {
    it("a partitioned table is validated once, under its parent", async function () {
      const r = await withReference(["events"], (ref) => ref.check("UPDATE events SET id = -id WHERE id = 7"));
      for (const x of Object.values(r)) {
        expect(x.tables.map((t) => t.table)).to.not.include.members(["public.events_2025", "public.events_2026"]);
        const t = tableOf(x, "public.events");
        expect(t.rows).to.equal(400);
        expect(t.counts).to.deep.include({ missing: 1, unexpected: 1 });
      }
    });

    it("an extra table against a manifest is 'unexpected', not 'ok'", async function () {
      const r = await withReference(["accounts"], async (ref) => {
        const copy = await ref.copy("CREATE TABLE scratch (x int)");
        try {
          return await ref.againstManifest(copy);
        } finally {
          await copy.close();
        }
      });
      expect(tableOf(r, "public.scratch").verdict).to.equal("unexpected");
      expect(r.ok).to.equal(false);
    });
  });
});

describe("issue 13: exact keys in a chunk of more than 50,000 rows (live mode)", function () {
  this.timeout(120_000);
  it("names the one changed key, not a sample of innocent ones", async function () {
    // One far key makes the first chunk hold all 60,000 others.
    const ref = await Reference.create(
      "CREATE TABLE big (id int PRIMARY KEY, v int); INSERT INTO big SELECT g, g FROM generate_series(1, 60000) g; INSERT INTO big VALUES (1000000000, 0);",
    );
    try {
      const copy = await ref.copy("UPDATE big SET v = -1 WHERE id = 54321");
      try {
        for (const r of [await ref.againstLive(copy), await ref.againstManifest(copy)]) {
          const t = tableOf(r, "public.big");
          expect(t.verdict).to.equal("damaged");
          expect(t.counts).to.deep.equal({ changed: 1, missing: 0, unexpected: 0, drift: 0 });
          expect(t.keys.changed).to.deep.equal(["54321"]);
        }
      } finally {
        await copy.close();
      }
    } finally {
      await ref.close();
    }
  });
});
