import { expect } from "chai";
import { PGlite } from "@electric-sql/pglite";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import type { SqlClient } from "../../../automation/store/sql";
import { recordManifest, validateDatabase, type Manifest, type ValidationResult } from "../../../drills/validation/validate";

const T_MANIFEST = Date.UTC(2026, 0, 1, 12);
const VALIDATION = {
  database: "app",
  tables: [{ name: "orders", key: "id", updatedAt: "updated_at" }],
  checks: [],
};

/** A connection factory over one PGlite (it serialises queries itself); closing is a no-op. */
const opener = (db: PGlite) => async (): Promise<SqlClient> => {
  const sql = new PgliteSql(db);
  return { query: (t, p) => sql.query(t, p), transaction: (fn) => sql.transaction(fn), close: async () => undefined };
};

let clock = 0;
const now = () => (clock += 5);

describe("data validation on real SQL (PGlite)", function () {
  this.timeout(120_000);
  let base: Blob;
  let primary: PGlite;
  let manifest: Manifest;

  before(async function () {
    primary = await PGlite.create();
    await primary.exec(`
      CREATE TABLE orders (id bigint PRIMARY KEY, customer text, total_cents integer NOT NULL, note text, updated_at timestamptz NOT NULL);
      CREATE INDEX orders_customer_idx ON orders (customer);
      -- Key gaps: ids jump by 7 and by a million.
      INSERT INTO orders SELECT g * 7, 'c' || (g % 50), g % 1000, CASE WHEN g % 3 = 0 THEN NULL ELSE '' END, '2026-01-01T10:00:00Z'::timestamptz + g * interval '1 second' FROM generate_series(1, 3000) g;
      INSERT INTO orders SELECT 1000000 + g, 'far', 1, 'x', '2026-01-01T11:00:00Z' FROM generate_series(1, 50) g;
      CREATE TABLE users (id uuid PRIMARY KEY, email text NOT NULL UNIQUE);
      INSERT INTO users SELECT md5('u' || g)::uuid, 'user' || g || '@example.com' FROM generate_series(1, 500) g;
      CREATE TABLE tags (name text PRIMARY KEY, weight numeric(10,3));
      INSERT INTO tags SELECT 'tag-' || g, g / 7.0 FROM generate_series(1, 300) g;
      CREATE TABLE events (at timestamptz, kind text, payload json);
      INSERT INTO events SELECT '2026-01-01T00:00:00Z'::timestamptz + g * interval '1 minute', 'k' || (g % 5), json_build_object('n', g) FROM generate_series(1, 400) g;
      CREATE TABLE empty_table (id integer PRIMARY KEY);
    `);
    base = await primary.dumpDataDir("none");
    manifest = await recordManifest({ open: opener(primary), validation: VALIDATION, now });
    manifest.recordedAt = T_MANIFEST;
  });
  after(async function () {
    await primary.close();
  });

  async function restoredCopy(mutate?: string): Promise<PGlite> {
    const copy = await PGlite.create({ loadDataDir: base });
    if (mutate !== undefined) await copy.exec(mutate);
    return copy;
  }

  async function validateAgainstLive(copy: PGlite, watermark?: number): Promise<ValidationResult> {
    return validateDatabase({ open: opener(copy), expect: { kind: "live", open: opener(primary), ...(watermark === undefined ? {} : { watermark }) }, validation: VALIDATION, now });
  }

  const table = (r: ValidationResult, name: string) => r.tables.find((t) => t.table === `public.${name}`)!;

  it("finds no mismatch on an identical copy with key gaps, text/uuid keys, a keyless table, json and an empty table", async function () {
    const copy = await restoredCopy();
    try {
      for (const r of [await validateAgainstLive(copy), await validateDatabase({ open: opener(copy), expect: { kind: "manifest", manifest }, validation: VALIDATION, now })]) {
        expect(r.ok, r.summary).to.equal(true);
        expect(r.schema.differences).to.deep.equal([]);
        expect(r.tables.map((t) => t.verdict)).to.deep.equal(r.tables.map(() => "ok"));
        expect(table(r, "orders").rows).to.equal(3050);
        expect(table(r, "events").method).to.equal("md5"); // json has no hash function: fallback
        expect(table(r, "empty_table").rows).to.equal(0);
      }
    } finally {
      await copy.close();
    }
  });

  const cases: Array<[string, string, string, (r: ValidationResult) => void]> = [
    ["one changed value", "UPDATE orders SET total_cents = total_cents + 1 WHERE id = 700", "orders", (r) => {
      const m = table(r, "orders").mismatches;
      expect(m).to.have.length(1);
      expect(m[0]!.keys?.changed).to.deep.equal(["700"]);
      expect(Number(m[0]!.range!.from)).to.be.at.most(700);
      expect(Number(m[0]!.range!.to)).to.be.at.least(700);
    }],
    ["a deleted row", "DELETE FROM users WHERE email = 'user42@example.com'", "users", (r) => expect(table(r, "users").mismatches[0]!.keys?.counts.missing).to.equal(1)],
    ["a duplicated row in a table without a key", "INSERT INTO events SELECT * FROM events LIMIT 1", "events", (r) => expect(table(r, "events").mismatches[0]!.expected!.rows).to.be.lessThan(table(r, "events").mismatches[0]!.actual!.rows)],
    ["a NULL ↔ empty-string swap", "UPDATE orders SET note = NULL WHERE id = 7", "orders", (r) => expect(table(r, "orders").mismatches[0]!.keys?.changed).to.deep.equal(["7"])],
    ["a changed numeric scale in a text-keyed table", "UPDATE tags SET weight = weight + 0.001 WHERE name = 'tag-17'", "tags", (r) => expect(table(r, "tags").mismatches[0]!.keys?.changed).to.deep.equal(["tag-17"])],
  ];
  for (const [name, mutation, tableName, more] of cases) {
    it(`catches ${name} as damage, localised to its key`, async function () {
      const copy = await restoredCopy(mutation);
      try {
        const live = await validateAgainstLive(copy);
        expect(live.ok).to.equal(false);
        expect(table(live, tableName).verdict).to.equal("damaged");
        expect(table(live, tableName).mismatches.every((m) => m.kind === "damage")).to.equal(true);
        more(live);
        expect(live.summary).to.contain(tableName);
        const againstManifest = await validateDatabase({ open: opener(copy), expect: { kind: "manifest", manifest }, validation: VALIDATION, now });
        expect(table(againstManifest, tableName).verdict).to.equal("damaged");
      } finally {
        await copy.close();
      }
    });
  }

  it("catches a changed column type and a dropped index in the schema fingerprint", async function () {
    const copy = await restoredCopy("ALTER TABLE orders ALTER COLUMN total_cents TYPE bigint; DROP INDEX orders_customer_idx;");
    try {
      const r = await validateDatabase({ open: opener(copy), expect: { kind: "manifest", manifest }, validation: VALIDATION, now });
      expect(r.ok).to.equal(false);
      expect(r.schema.differences.join("\n")).to.contain("total_cents bigint").and.contain("orders_customer_idx");
    } finally {
      await copy.close();
    }
  });

  it("reports a row changed after the manifest as drift, not damage", async function () {
    const copy = await restoredCopy("UPDATE orders SET total_cents = 0, updated_at = '2026-01-01T13:00:00Z' WHERE id = 1000001");
    try {
      const live = await validateAgainstLive(copy, T_MANIFEST);
      expect(table(live, "orders").verdict).to.equal("drift");
      expect(table(live, "orders").mismatches[0]).to.deep.include({ kind: "drift" });
      expect(live.ok).to.equal(true);
      const viaManifest = await validateDatabase({ open: opener(copy), expect: { kind: "manifest", manifest, watermark: T_MANIFEST }, validation: VALIDATION, now });
      expect(table(viaManifest, "orders").verdict).to.equal("drift");
      expect(viaManifest.summary).to.contain("drift");
    } finally {
      await copy.close();
    }
  });

  it("does not let a row changed after the manifest hide a lost row in the same chunk", async function () {
    const copy = await restoredCopy("UPDATE orders SET total_cents = 0, updated_at = '2026-01-01T13:00:00Z' WHERE id = 1000001; DELETE FROM orders WHERE id = 1000003");
    try {
      const viaManifest = await validateDatabase({ open: opener(copy), expect: { kind: "manifest", manifest, watermark: T_MANIFEST }, validation: VALIDATION, now });
      expect(table(viaManifest, "orders").verdict).to.equal("damaged");
      expect(viaManifest.ok).to.equal(false);
      const live = await validateAgainstLive(copy, T_MANIFEST);
      expect(table(live, "orders").verdict).to.equal("damaged");
    } finally {
      await copy.close();
    }
  });

  it("counts a row changed exactly at the manifest's time as drift (the boundary belongs to the manifest's past)", async function () {
    const copy = await restoredCopy("UPDATE orders SET total_cents = 1 WHERE id = 1000002; UPDATE orders SET updated_at = '2026-01-01T12:00:00Z' WHERE id = 1000002");
    try {
      const viaManifest = await validateDatabase({ open: opener(copy), expect: { kind: "manifest", manifest, watermark: T_MANIFEST }, validation: VALIDATION, now });
      expect(table(viaManifest, "orders").verdict).to.equal("drift");
      const live = await validateAgainstLive(copy, T_MANIFEST);
      expect(table(live, "orders").verdict).to.equal("drift");
    } finally {
      await copy.close();
    }
  });

  it("reports a missing table", async function () {
    const copy = await restoredCopy("DROP TABLE tags");
    try {
      const r = await validateDatabase({ open: opener(copy), expect: { kind: "manifest", manifest }, validation: VALIDATION, now });
      expect(table(r, "tags").verdict).to.equal("missing");
      expect(r.ok).to.equal(false);
    } finally {
      await copy.close();
    }
  });
});
