import { createHash } from "node:crypto";
import { expect } from "chai";
import type { ValidationResult } from "../../../automation/ports/validator";
import { Reference, tableOf } from "./pglite-pair";

const T_MANIFEST = Date.UTC(2026, 0, 1, 12);
const VALIDATION = { database: "app", tables: [{ name: "orders", key: "id", updatedAt: "updated_at" }], checks: [] };

describe("data validation on real SQL (PGlite)", function () {
  this.timeout(120_000);
  let ref: Reference;

  before(async function () {
    ref = await Reference.create(
      `CREATE TABLE orders (id bigint PRIMARY KEY, customer text, total_cents integer NOT NULL, note text, updated_at timestamptz NOT NULL);
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
       CREATE TABLE empty_table (id integer PRIMARY KEY);`,
      VALIDATION,
      T_MANIFEST,
    );
  });
  after(async function () {
    await ref.close();
  });

  it("finds no difference on an identical copy with key gaps, text/uuid keys, a keyless table, json and an empty table", async function () {
    const r = await ref.check(undefined);
    for (const x of [r.manifest, r.live]) {
      expect(x.ok, x.summary).to.equal(true);
      expect(x.schema.differences).to.deep.equal([]);
      expect(x.tables.map((t) => t.verdict)).to.deep.equal(x.tables.map(() => "ok"));
      expect(tableOf(x, "public.orders").rows).to.equal(3050);
      expect(tableOf(x, "public.empty_table").rows).to.equal(0);
    }
  });

  const cases: Array<[string, string, string, (r: ValidationResult) => void]> = [
    [
      "one changed value",
      "UPDATE orders SET total_cents = total_cents + 1 WHERE id = 700",
      "public.orders",
      (r) => expect(tableOf(r, "public.orders").keys.changed).to.deep.equal(["700"]),
    ],
    [
      "a deleted row under a uuid key",
      "DELETE FROM users WHERE email = 'user42@example.com'",
      "public.users",
      (r) => expect(tableOf(r, "public.users").keys.missing).to.deep.equal([md5Uuid("u42")]),
    ],
    [
      "a duplicated row in a table without a key",
      "INSERT INTO events SELECT * FROM events ORDER BY at LIMIT 1",
      "public.events",
      (r) => expect(tableOf(r, "public.events").counts).to.deep.include({ unexpected: 1, missing: 0 }),
    ],
    [
      "a NULL ↔ empty-string swap",
      "UPDATE orders SET note = NULL WHERE id = 7",
      "public.orders",
      (r) => expect(tableOf(r, "public.orders").keys.changed).to.deep.equal(["7"]),
    ],
    [
      "a changed numeric value in a text-keyed table",
      "UPDATE tags SET weight = weight + 0.001 WHERE name = 'tag-17'",
      "public.tags",
      (r) => expect(tableOf(r, "public.tags").keys.changed).to.deep.equal(["tag-17"]),
    ],
  ];
  for (const [name, mutation, table, more] of cases) {
    it(`catches ${name} as damage, named by its key`, async function () {
      const r = await ref.check(mutation);
      for (const x of [r.manifest, r.live]) {
        expect(x.ok).to.equal(false);
        expect(tableOf(x, table).verdict, x.summary).to.equal("damaged");
        expect(x.summary).to.contain(table);
        more(x);
      }
    });
  }

  it("catches a changed column type and a dropped index in the schema fingerprint; the table is then uncomparable", async function () {
    const r = await ref.check(
      "ALTER TABLE orders ALTER COLUMN total_cents TYPE bigint; DROP INDEX orders_customer_idx;",
    );
    for (const x of [r.manifest, r.live]) {
      expect(x.ok).to.equal(false);
      expect(x.schema.differences.join("\n")).to.contain("total_cents bigint").and.contain("orders_customer_idx");
      expect(tableOf(x, "public.orders")).to.deep.include({
        verdict: "uncomparable",
        reason: "column total_cents is bigint, expected integer",
      });
    }
  });

  it("reports a row changed after the manifest as drift, not damage", async function () {
    const r = await ref.check(
      "UPDATE orders SET total_cents = 0, updated_at = '2026-01-01T13:00:00Z' WHERE id = 1000001",
      T_MANIFEST,
    );
    for (const x of [r.manifest, r.live]) {
      expect(tableOf(x, "public.orders")).to.deep.include({ verdict: "drift" });
      expect(tableOf(x, "public.orders").keys.drift).to.deep.equal(["1000001"]);
      expect(x.ok).to.equal(true);
      expect(x.summary).to.contain("drift");
    }
  });

  it("does not let a row changed after the manifest hide a lost row in the same chunk", async function () {
    const r = await ref.check(
      "UPDATE orders SET total_cents = 0, updated_at = '2026-01-01T13:00:00Z' WHERE id = 1000001; DELETE FROM orders WHERE id = 1000003",
      T_MANIFEST,
    );
    for (const x of [r.manifest, r.live]) {
      expect(tableOf(x, "public.orders").verdict).to.equal("damaged");
      expect(x.ok).to.equal(false);
    }
    // Live, both rows are named; a manifest holds sums only, and both rows share one cell.
    expect(tableOf(r.live, "public.orders")).to.deep.include({
      exact: true,
      keys: { changed: [], missing: ["1000003"], unexpected: [], drift: ["1000001"] },
    });
    expect(tableOf(r.manifest, "public.orders")).to.deep.include({ exact: false });
    expect(tableOf(r.manifest, "public.orders").counts.missing).to.be.at.least(1);
  });

  it("counts a row changed exactly at the manifest's time as drift (the boundary belongs to the manifest's past)", async function () {
    const r = await ref.check(
      "UPDATE orders SET total_cents = 1, updated_at = '2026-01-01T12:00:00Z' WHERE id = 1000002",
      T_MANIFEST,
    );
    for (const x of [r.manifest, r.live]) expect(tableOf(x, "public.orders").verdict).to.equal("drift");
  });

  it("reports a missing table", async function () {
    const r = await ref.check("DROP TABLE tags");
    for (const x of [r.manifest, r.live]) {
      expect(tableOf(x, "public.tags").verdict).to.equal("missing");
      expect(x.ok).to.equal(false);
    }
  });
});

/** The uuid PostgreSQL makes of `md5(text)::uuid`. */
function md5Uuid(text: string): string {
  const h = createHash("md5").update(text).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
