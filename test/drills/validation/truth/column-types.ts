/**
 * Column types of the truth suite: every type PostgreSQL ships that PGlite supports (xml is not
 * built into it), arrays, and user-defined enum, composite and domain types. Each has sample
 * values that all print differently under the pinned settings, and — where the type has them —
 * pairs of values that are *equal* to the type yet print differently: the changes a hash of the
 * value would miss.
 */
export interface ColumnType {
  /** The type as written in DDL. */
  sql: string;
  /** Literals, each printing differently (NULL is added by the generator). */
  samples: string[];
  /** Equal to the type, printed differently: `[before, after]`. */
  tricky?: Array<[string, string]>;
}

/** DDL for the user-defined types (created once per schema set-up, in `public`). */
export const USER_TYPES_DDL = `
  CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
  CREATE TYPE pair AS (a int, b text);
  CREATE DOMAIN positive AS int CHECK (VALUE > 0);`;

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The catalogue. */
export const COLUMN_TYPES: ColumnType[] = [
  { sql: "boolean", samples: ["true", "false"] },
  { sql: "smallint", samples: ["1", "-2", "300"] },
  { sql: "integer", samples: ["1", "-7", "2147483647"] },
  { sql: "bigint", samples: ["1", "'-9223372036854775808'", "42"] },
  {
    sql: "numeric",
    samples: ["1.5", "-0.001", "1e10", "'NaN'"],
    tricky: [
      ["1.5", "1.50"],
      ["0", "0.000"],
    ],
  },
  { sql: "numeric(10,2)", samples: ["1.50", "2", "-3.25"] },
  { sql: "real", samples: ["1.5", "3.25", "'NaN'", "'Infinity'"], tricky: [["'0'", "'-0'"]] },
  { sql: "double precision", samples: ["0.1", "1e300", "-2.5"], tricky: [["'0'", "'-0'"]] },
  { sql: "money", samples: ["'1.50'", "'-2'", "'1000'"] },
  { sql: "text", samples: [q("a"), q("A"), q(""), q("x y"), q("ünï"), q('"q", (r)')] },
  { sql: "varchar(20)", samples: [q("a"), q("b c"), q("")] },
  { sql: "char(5)", samples: [q("a"), q("ab"), q("")] },
  { sql: "bpchar", samples: [q("a"), q("b")], tricky: [[q("a"), q("a ")]] },
  { sql: '"char"', samples: [q("a"), q("b")] },
  { sql: "name", samples: [q("n1"), q("N 2")] },
  { sql: "bytea", samples: ["'\\x00'", "'\\xff01'", "''"] },
  { sql: "date", samples: [q("2026-01-01"), q("infinity"), q("1999-12-31")] },
  { sql: "time", samples: [q("12:00"), q("23:59:59.5")] },
  { sql: "timetz", samples: [q("12:00+02"), q("10:00+00")] },
  { sql: "timestamp", samples: [q("2026-01-01 10:00"), q("2026-01-01 10:00:00.000001")] },
  { sql: "timestamptz", samples: [q("2026-01-01 10:00+00"), q("2026-06-01 10:00+00"), q("-infinity")] },
  {
    sql: "interval",
    samples: [q("1 day"), q("1 mon"), q("-3 hours")],
    tricky: [
      [q("1 day"), q("24 hours")],
      [q("1 mon"), q("30 days")],
    ],
  },
  { sql: "uuid", samples: [q("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), q("00000000-0000-0000-0000-000000000000")] },
  { sql: "json", samples: [q('{"a":1}'), q("[1,2]"), q("null")], tricky: [[q('{"a":1}'), q('{"a": 1}')]] },
  { sql: "jsonb", samples: [q('{"a":1}'), q("[1,2]"), q('"s"')], tricky: [[q('{"a":1.0}'), q('{"a":1.00}')]] },
  { sql: "inet", samples: [q("10.0.0.1"), q("10.0.0.1/8"), q("::1")] },
  { sql: "cidr", samples: [q("10.0.0.0/8"), q("192.168.0.0/24")] },
  { sql: "macaddr", samples: [q("08:00:2b:01:02:03"), q("08:00:2b:01:02:04")] },
  { sql: "macaddr8", samples: [q("08:00:2b:01:02:03:04:05")] },
  { sql: "bit(3)", samples: ["B'101'", "B'000'"] },
  { sql: "varbit", samples: ["B'1'", "B'10'", "B''"] },
  { sql: "point", samples: [q("(1,2)"), q("(1.5,-2)")] },
  { sql: "line", samples: [q("{1,2,3}"), q("{1,-1,0}")] },
  { sql: "lseg", samples: [q("[(0,0),(1,1)]"), q("[(0,0),(2,2)]")] },
  { sql: "box", samples: [q("(1,1),(0,0)"), q("(2,2),(0,0)")] },
  { sql: "path", samples: [q("[(0,0),(1,1)]"), q("((0,0),(1,1))")] },
  { sql: "polygon", samples: [q("((0,0),(1,1),(1,0))"), q("((0,0),(2,2),(2,0))")] },
  { sql: "circle", samples: [q("<(0,0),1>"), q("<(0,0),2>")] },
  { sql: "tsvector", samples: [q("a b"), q("a:1 b:2")] },
  { sql: "tsquery", samples: [q("a & b"), q("a | b")] },
  { sql: "int4range", samples: [q("[1,3)"), q("empty"), q("[2,)")] },
  { sql: "int8range", samples: [q("[1,3)"), q("(,5)")] },
  { sql: "numrange", samples: [q("[1.5,2.5)"), q("[1,2]")], tricky: [[q("[1.5,2.5)"), q("[1.50,2.5)")]] },
  { sql: "daterange", samples: [q("[2026-01-01,2026-02-01)"), q("empty")] },
  { sql: "tsrange", samples: [q("[2026-01-01 10:00,2026-01-01 11:00)")] },
  { sql: "tstzrange", samples: [q("[2026-01-01 10:00+00,2026-01-01 11:00+00)"), q("(,)")] },
  { sql: "int4multirange", samples: [q("{[1,3),[5,7)}"), q("{}")] },
  { sql: "pg_lsn", samples: [q("0/1"), q("16/B374D848")] },
  {
    sql: "integer[]",
    samples: [q("{1,2}"), q("{}"), q("{NULL,3}")],
    tricky: [
      [q("{1,2}"), q("[2:3]={1,2}")],
      [q("{{1,2},{3,4}}"), q("{1,2,3,4}")],
    ],
  },
  { sql: "text[]", samples: [q("{a,b}"), q('{"x y",NULL}')] },
  { sql: "numeric[]", samples: [q("{1.5}"), q("{2}")], tricky: [[q("{1.5}"), q("{1.50}")]] },
  { sql: "mood", samples: [q("sad"), q("happy")] },
  { sql: "pair", samples: [q("(1,x)"), q("(2,)")] },
  { sql: "positive", samples: ["1", "99"] },
];
