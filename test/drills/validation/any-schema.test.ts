import { expect } from "chai";
import { Workbench, tableOf } from "./pglite-pair";

/** Shapes of tables beyond the generated suite: none may crash the validator or be read twice. */
describe("validation of any schema", function () {
  this.timeout(120_000);
  let bench: Workbench;
  before(async function () {
    bench = await Workbench.create();
  });
  after(async function () {
    await bench.close();
  });

  const wide = Array.from({ length: 300 }, (_, i) => `c${i} int`).join(", ");
  const SETUP = `
    CREATE TABLE nothing ();
    INSERT INTO nothing DEFAULT VALUES; INSERT INTO nothing DEFAULT VALUES;
    CREATE TABLE gen (id int PRIMARY KEY, a int, twice int GENERATED ALWAYS AS (a * 2) STORED);
    INSERT INTO gen (id, a) SELECT g, g FROM generate_series(1, 50) g;
    CREATE TABLE big_values (id int PRIMARY KEY, body text);
    INSERT INTO big_values SELECT g, repeat(md5(g::text), 4000) FROM generate_series(1, 20) g;
    CREATE TABLE wide (id int PRIMARY KEY, ${wide});
    INSERT INTO wide (id, c0, c299) SELECT g, g, -g FROM generate_series(1, 30) g;
    CREATE TABLE parent (id int PRIMARY KEY, v text);
    CREATE TABLE child (extra int) INHERITS (parent);
    INSERT INTO parent VALUES (1, 'p'); INSERT INTO child VALUES (2, 'c', 7);
    CREATE VIEW gen_view AS SELECT id FROM gen;
    CREATE MATERIALIZED VIEW gen_mat AS SELECT id FROM gen;`;

  it("compares keyless tables without columns, generated columns, TOASTed and 300-column rows, inheritance; ignores views' rows", async function () {
    const ref = await bench.reference(SETUP);
    const clean = await ref.check(undefined);
    for (const r of Object.values(clean)) {
      expect(r.ok, r.summary).to.equal(true);
      expect(r.tables.map((t) => t.table)).to.deep.equal([
        "public.big_values",
        "public.child",
        "public.gen",
        "public.nothing",
        "public.parent",
        "public.wide",
      ]);
      expect(tableOf(r, "public.parent").rows).to.equal(1);
      expect(tableOf(r, "public.nothing").rows).to.equal(2);
    }
    const damaged = await ref.check(
      "DELETE FROM nothing WHERE ctid = (SELECT min(ctid) FROM nothing); UPDATE big_values SET body = body || 'x' WHERE id = 13; UPDATE wide SET c299 = 0 WHERE id = 4; UPDATE child SET extra = 8;",
    );
    for (const r of Object.values(damaged)) {
      expect(tableOf(r, "public.nothing").counts).to.deep.include({ missing: 1 });
      expect(tableOf(r, "public.big_values").keys.changed).to.deep.equal(["13"]);
      expect(tableOf(r, "public.wide").keys.changed).to.deep.equal(["4"]);
      // A child inherits columns, not the primary key: it is keyless.
      expect(tableOf(r, "public.child").counts).to.deep.include({ missing: 1, unexpected: 1 });
      expect(tableOf(r, "public.parent").verdict).to.equal("ok");
      expect(tableOf(r, "public.gen").verdict).to.equal("ok");
    }
  });
});
