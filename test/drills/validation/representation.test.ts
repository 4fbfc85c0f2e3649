import { expect } from "chai";
import { PGlite } from "@electric-sql/pglite";
import { columnRep, HASH_FAITHFUL_TYPES } from "../../../drills/validation/representation";
import { COLUMN_TYPES } from "./truth/column-types";

/**
 * The allow-list of the fast path, checked on real SQL: for a type on it, two values hash alike
 * exactly when they print alike; for a type left off it, the pairs that made us leave it off
 * hash alike and print differently.
 */
describe("which column types may be hashed raw", function () {
  this.timeout(60_000);
  let db: PGlite;
  before(async function () {
    db = await PGlite.create();
    await db.exec(
      "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); CREATE TYPE pair AS (a int, b text); CREATE DOMAIN positive AS int CHECK (VALUE > 0);",
    );
  });
  after(async function () {
    await db.close();
  });

  /** Whether two literals of a type hash alike and whether they print alike (pinned settings). */
  async function compare(type: string, x: string, y: string): Promise<{ sameHash: boolean; sameText: boolean }> {
    return db.transaction(async (tx) => {
      await tx.exec(
        "SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres'; SET LOCAL extra_float_digits = 3",
      );
      const r = await tx.query<{ h: boolean; t: boolean }>(
        `SELECT hash_record_extended(ROW(${x}::${type}), 0) = hash_record_extended(ROW(${y}::${type}), 0) AS h, ROW(${x}::${type})::text = ROW(${y}::${type})::text AS t`,
      );
      return { sameHash: r.rows[0]!.h, sameText: r.rows[0]!.t };
    });
  }

  const builtin = (sql: string) =>
    ({
      boolean: "bool",
      smallint: "int2",
      integer: "int4",
      bigint: "int8",
      timestamp: "timestamp",
      timestamptz: "timestamptz",
      "varchar(20)": "varchar",
      "char(5)": "bpchar",
    })[sql] ?? sql;

  it("hashes raw only the listed types (bpchar only with a length, text-like only under a deterministic collation)", function () {
    expect([...HASH_FAITHFUL_TYPES].sort()).to.deep.equal([
      "bool",
      "bpchar",
      "bytea",
      "date",
      "int2",
      "int4",
      "int8",
      "text",
      "time",
      "timestamp",
      "timestamptz",
      "timetz",
      "uuid",
      "varchar",
    ]);
    expect(columnRep({ builtin: "bpchar", typmod: 9, deterministic: true })).to.equal("raw");
    expect(columnRep({ builtin: "bpchar", typmod: -1, deterministic: true })).to.equal("text");
    expect(columnRep({ builtin: "text", typmod: -1, deterministic: false })).to.equal("text");
    expect(columnRep({ builtin: "numeric", typmod: -1, deterministic: true })).to.equal("text");
    expect(columnRep({ typmod: -1, deterministic: true })).to.equal("text");
  });

  it("for every listed type, equal hashes mean equal printed values (all pairs of the catalogue's samples)", async function () {
    let pairs = 0;
    for (const t of COLUMN_TYPES.filter((c) => HASH_FAITHFUL_TYPES.has(builtin(c.sql)) && c.sql !== "bpchar")) {
      for (const x of t.samples) {
        for (const y of t.samples) {
          const r = await compare(t.sql, x, y);
          expect(r.sameHash, `${t.sql}: ${x} vs ${y}`).to.equal(r.sameText);
          pairs++;
        }
      }
    }
    expect(pairs).to.be.greaterThan(100);
  });

  it("for the types left off, equal values that print differently hash alike: the reason they are off", async function () {
    for (const [type, x, y] of [
      ["numeric", "1.5", "1.50"],
      ["double precision", "'0'", "'-0'"],
      ["interval", "'1 day'", "'24 hours'"],
      ["integer[]", "'{1,2}'", "'[2:3]={1,2}'"],
      ["integer[]", "'{{1,2},{3,4}}'", "'{1,2,3,4}'"],
      ["jsonb", `'{"a":1.0}'`, `'{"a":1.00}'`],
      ["bpchar", "'a'", "'a '"],
      ["numrange", "'[1.5,2.5)'", "'[1.50,2.5)'"],
    ]) {
      expect(await compare(type!, x!, y!), `${type}: ${x} vs ${y}`).to.deep.equal({ sameHash: true, sameText: false });
    }
  });
});
