import { expect } from "chai";
import { PGlite } from "@electric-sql/pglite";
import { listTables } from "../../../drills/validation/catalog";
import { regionRows, type RegionRow } from "../../../drills/validation/cells";
import { RowSql } from "../../../drills/validation/row-sql";
import { planSpec } from "../../../drills/validation/spec";
import { opener } from "./pglite-pair";

/** The row stream that localisation merges: ordered, complete, page after page. */
describe("streaming a region's rows", function () {
  this.timeout(60_000);
  let db: PGlite;
  before(async function () {
    db = await PGlite.create();
    // Text keys whose C order differs from a locale's; a keyless table with duplicates.
    await db.exec(`CREATE TABLE k (code text PRIMARY KEY, v int); INSERT INTO k SELECT (ARRAY['a','B','_','é','Z'])[g % 5 + 1] || g, g FROM generate_series(1, 40) g;
                   CREATE TABLE bag (v int); INSERT INTO bag SELECT g % 7 FROM generate_series(1, 50) g;`);
  });
  after(async function () {
    await db.close();
  });

  async function all(table: string, pageRows: number): Promise<RegionRow[]> {
    const sql = await opener(db)();
    const info = (await listTables(sql)).find((t) => t.name === table)!;
    const spec = await planSpec(sql, info, undefined, "hash");
    if ("reason" in spec) throw new Error(spec.reason);
    const rs = new RowSql(spec, info);
    const chunks = Array.from({ length: 64 }, (_, c) => ({ chunk: BigInt(c), bits: 0, cell: 0n }));
    const out: RegionRow[] = [];
    for await (const r of regionRows(sql, rs, chunks, 0, pageRows)) out.push(r);
    return out;
  }

  for (const table of ["k", "bag"]) {
    it(`pages of 3 rows yield exactly what one page does, in order (${table})`, async function () {
      const whole = await all(table, 10_000);
      const paged = await all(table, 3);
      expect(paged).to.deep.equal(whole);
      expect(whole.reduce((n, r) => n + r.copies, 0)).to.equal(table === "k" ? 40 : 50);
      for (let i = 1; i < whole.length; i++) {
        const [a, b] = [whole[i - 1]!, whole[i]!];
        const order =
          a.chunk !== b.chunk
            ? a.chunk < b.chunk
              ? -1
              : 1
            : a.cell !== b.cell
              ? a.cell < b.cell
                ? -1
                : 1
              : Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
        expect(order, `${a.key} before ${b.key}`).to.be.at.most(0);
      }
    });
  }
});
