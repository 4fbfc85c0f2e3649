import fc from "fast-check";
import { COLUMN_TYPES, USER_TYPES_DDL, type ColumnType } from "./column-types";

/** Shapes of key the generator draws. */
export type KeyShape =
  "none" | "int" | "bigint" | "text" | "uuid" | "timestamptz" | "int,int" | "text,int" | "int,date";

/** A generated table. */
export interface TableCase {
  schema: string;
  name: string;
  key: KeyShape;
  columns: ColumnType[];
  rows: number;
  /** Range-partitioned on its leading integer key column (two leaves). */
  partitioned: boolean;
  /** Has an `updated_at` column, configured as the table's updatedAt. */
  updatedAt: boolean;
  /** Keyless: row 0 is present twice. */
  duplicates: boolean;
}

/** One defect applied to the copy, or none. */
export type Defect =
  | { kind: "none" }
  | { kind: "change"; table: number; row: number; column: number; tricky: boolean; choice: number }
  | { kind: "delete"; table: number; row: number }
  | { kind: "duplicate"; table: number; row: number }
  | { kind: "swap-duplicates"; table: number }
  | { kind: "extra-table" }
  | { kind: "drop-table"; table: number }
  | { kind: "drop-key"; table: number }
  | { kind: "session-settings" }
  | { kind: "late-update"; table: number; row: number };

/** A generated case: a schema with rows, and one defect. */
export interface Case {
  tables: TableCase[];
  defect: Defect;
}

/** Odd identifiers: quotes, dots, capitals, spaces, a keyword, non-ASCII. */
const NAMES = ["orders", "Order Lines", "a.b", 'we"ird', "ÜberTabelle", "select", "x y.z", "t"];
const SCHEMAS = ["public", "Sales Dept", "x.y"];
const KEYS: KeyShape[] = ["none", "int", "bigint", "text", "uuid", "timestamptz", "int,int", "text,int", "int,date"];

const tableArb: fc.Arbitrary<Omit<TableCase, "schema" | "name">> = fc
  .record({
    key: fc.constantFrom(...KEYS),
    // Types with equal values that print differently are drawn more often: they are where a hash
    // of the value would be wrong.
    columns: fc.array(
      fc.oneof(
        { arbitrary: fc.constantFrom(...COLUMN_TYPES.filter((t) => t.tricky !== undefined)), weight: 2 },
        { arbitrary: fc.constantFrom(...COLUMN_TYPES), weight: 3 },
      ),
      { minLength: 1, maxLength: 4 },
    ),
    rows: fc.integer({ min: 2, max: 12 }),
    partitioned: fc.boolean(),
    updatedAt: fc.boolean(),
    duplicates: fc.boolean(),
  })
  .map((t) => ({
    ...t,
    partitioned: t.partitioned && (t.key === "int" || t.key === "int,int" || t.key === "int,date"),
    duplicates: t.duplicates && t.key === "none",
    updatedAt: t.updatedAt && t.key !== "none",
  }));

/** The arbitrary of cases: 1–3 tables of distinct names, one defect that applies to them. */
export const caseArb: fc.Arbitrary<Case> = fc
  .uniqueArray(fc.tuple(fc.constantFrom(...SCHEMAS), fc.constantFrom(...NAMES)), {
    minLength: 1,
    maxLength: 3,
    selector: ([s, n]) => `${s}\u0000${n}`,
  })
  .chain((names) =>
    fc.tuple(fc.constant(names), fc.array(tableArb, { minLength: names.length, maxLength: names.length })),
  )
  .map(([names, shapes]) => shapes.map((s, i): TableCase => ({ ...s, schema: names[i]![0], name: names[i]![1] })))
  .chain((tables) => fc.tuple(fc.constant(tables), defectArb(tables)))
  .map(([tables, defect]) => ({ tables, defect }));

function defectArb(tables: TableCase[]): fc.Arbitrary<Defect> {
  const idx = fc.integer({ min: 0, max: tables.length - 1 });
  const options: Array<fc.Arbitrary<Defect>> = [
    fc.constant({ kind: "none" }),
    ...Array.from({ length: 3 }, () =>
      fc
        .record({ table: idx, row: fc.nat(), column: fc.nat(), tricky: fc.boolean(), choice: fc.nat() })
        .map((d) => ({ kind: "change" as const, ...d })),
    ),
    fc.record({ table: idx, row: fc.nat() }).map((d) => ({ kind: "delete" as const, ...d })),
    fc.constant({ kind: "extra-table" }),
    idx.map((table) => ({ kind: "drop-table" as const, table })),
    fc.constant({ kind: "session-settings" }),
  ];
  const keyless = tables.map((t, i) => [t, i] as const).filter(([t]) => t.key === "none");
  if (keyless.length > 0) {
    const k = fc.constantFrom(...keyless.map(([, i]) => i));
    options.push(fc.record({ table: k, row: fc.nat() }).map((d) => ({ kind: "duplicate" as const, ...d })));
    const dup = keyless.filter(([t]) => t.duplicates && t.rows >= 2).map(([, i]) => i);
    if (dup.length > 0)
      options.push(fc.constantFrom(...dup).map((table) => ({ kind: "swap-duplicates" as const, table })));
  }
  const keyed = tables.map((t, i) => [t, i] as const).filter(([t]) => t.key !== "none" && !t.partitioned);
  if (keyed.length > 0)
    options.push(fc.constantFrom(...keyed.map(([, i]) => i)).map((table) => ({ kind: "drop-key" as const, table })));
  const late = tables.map((t, i) => [t, i] as const).filter(([t]) => t.updatedAt);
  if (late.length > 0)
    options.push(
      fc
        .record({ table: fc.constantFrom(...late.map(([, i]) => i)), row: fc.nat() })
        .map((d) => ({ kind: "late-update" as const, ...d })),
    );
  return fc.oneof(...options);
}

export const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;
export const rel = (t: Pick<TableCase, "schema" | "name">) => `${qi(t.schema)}.${qi(t.name)}`;
const lit = (type: string, v: string) => `${v}::${type}`;

/** Key columns of a shape: name and type. */
export function keyColumns(shape: KeyShape): Array<[string, string]> {
  switch (shape) {
    case "none":
      return [];
    case "int":
      return [["Id", "integer"]];
    case "bigint":
      return [["id", "bigint"]];
    case "text":
      return [["code", "text"]];
    case "uuid":
      return [["id", "uuid"]];
    case "timestamptz":
      return [["at", "timestamptz"]];
    case "int,int":
      return [
        ["a", "integer"],
        ["b.c", "integer"],
      ];
    case "text,int":
      return [
        ["k", "text"],
        ["n", "integer"],
      ];
    case "int,date":
      return [
        ["n", "integer"],
        ["day", "date"],
      ];
  }
}

/** The key values of row `i` as SQL literals. */
function keyValues(shape: KeyShape, i: number): string[] {
  switch (shape) {
    case "none":
      return [];
    case "int":
    case "bigint":
      return [String(i * 3 - 5)];
    case "text":
      return [`'k ${i}'`];
    case "uuid":
      return [`md5('${i}')::uuid`];
    case "timestamptz":
      return [`'2026-01-01 00:00+00'::timestamptz + interval '${i * 90} minutes'`];
    case "int,int":
      return [String(Math.floor(i / 3)), String(i % 3)];
    case "text,int":
      return [`'k${i % 2}'`, String(i)];
    case "int,date":
      return [String(i * 3 - 5), `DATE '2026-01-01' + ${i}`];
  }
}

/** The watermark of drift cases and the `updated_at` of rows written before it. */
export const WATERMARK = Date.UTC(2026, 0, 1, 12);
const BEFORE = "'2026-01-01 10:00+00'";
const AFTER = "'2026-01-01 13:00+00'";

/** The column a change targets: for a tricky change, one of the table's columns that has tricky pairs. */
export function changedColumn(t: TableCase, d: { column: number; tricky: boolean }): number {
  const tricky = t.columns.map((c, i) => [c, i] as const).filter(([c]) => c.tricky !== undefined);
  if (d.tricky && tricky.length > 0) return tricky[d.column % tricky.length]![1];
  return d.column % t.columns.length;
}

/** Column `c` of row `i`: a sample (or, for the row a tricky change targets, its `before`), or NULL. */
function value(t: TableCase, c: number, i: number, defect: Defect, tables: TableCase[]): string {
  const type = t.columns[c]!;
  if (
    defect.kind === "change" &&
    defect.tricky &&
    tables[defect.table] === t &&
    defect.row % t.rows === i &&
    changedColumn(t, defect) === c &&
    type.tricky !== undefined
  ) {
    return lit(type.sql, type.tricky[defect.choice % type.tricky.length]![0]);
  }
  const k = (i * 7 + c * 3) % (type.samples.length + 1);
  return k === type.samples.length ? "NULL" : lit(type.sql, type.samples[k]!);
}

/** The DDL and rows of every table (the reference; the copy starts the same). */
export function setupSql(c: Case): string {
  const out = [USER_TYPES_DDL];
  for (const s of new Set(c.tables.map((t) => t.schema))) if (s !== "public") out.push(`CREATE SCHEMA ${qi(s)};`);
  for (const t of c.tables) {
    const keys = keyColumns(t.key);
    const cols = [
      ...keys.map(([n, ty]) => `${qi(n)} ${ty} NOT NULL`),
      ...t.columns.map((ty, i) => `${qi(`c${i} ${ty.sql}`)} ${ty.sql}`),
      `rid int NOT NULL`,
    ];
    if (t.updatedAt) cols.push("updated_at timestamptz NOT NULL");
    if (keys.length > 0) cols.push(`PRIMARY KEY (${keys.map(([n]) => qi(n)).join(", ")})`);
    out.push(
      `CREATE TABLE ${rel(t)} (${cols.join(", ")})${t.partitioned ? ` PARTITION BY RANGE (${qi(keys[0]![0])})` : ""};`,
    );
    if (t.partitioned) {
      out.push(
        `CREATE TABLE ${qi(t.schema)}.${qi(`${t.name} low`)} PARTITION OF ${rel(t)} FOR VALUES FROM (MINVALUE) TO (5);`,
      );
      out.push(
        `CREATE TABLE ${qi(t.schema)}.${qi(`${t.name} high`)} PARTITION OF ${rel(t)} FOR VALUES FROM (5) TO (MAXVALUE);`,
      );
    }
    for (let i = 0; i < t.rows; i++) out.push(insertRow(t, i, c));
    if (t.duplicates) out.push(insertRow(t, 0, c));
  }
  return out.join("\n");
}

function insertRow(t: TableCase, i: number, c: Case): string {
  const values = [
    ...keyValues(t.key, i),
    ...t.columns.map((_, col) => value(t, col, i, c.defect, c.tables)),
    String(i),
  ];
  if (t.updatedAt) values.push(BEFORE);
  return `INSERT INTO ${rel(t)} VALUES (${values.join(", ")});`;
}

/** One row's location, by its `rid` (for keyless duplicates: one physical copy). */
const oneRow = (t: TableCase, rid: number) => `ctid = (SELECT ctid FROM ${rel(t)} WHERE rid = ${rid} LIMIT 1)`;
/** Rows are addressed through their leaf: ctid is per relation. */
const rowWhere = (t: TableCase, rid: number) => (t.partitioned ? `rid = ${rid}` : oneRow(t, rid));

/** The SQL of the defect, run on the copy. */
export function defectSql(c: Case): string {
  const d = c.defect;
  switch (d.kind) {
    case "none":
      return "";
    case "change": {
      const t = c.tables[d.table]!;
      const col = changedColumn(t, d);
      const row = d.row % t.rows;
      const type = t.columns[col]!;
      const name = qi(`c${col} ${type.sql}`);
      let to: string;
      if (d.tricky && type.tricky !== undefined) to = lit(type.sql, type.tricky[d.choice % type.tricky.length]![1]);
      else {
        // Another sample than the row holds (NULL when the row holds the only sample).
        const held = value(t, col, row, { kind: "none" }, c.tables);
        const others = [...type.samples.map((s) => lit(type.sql, s)), "NULL"].filter((v) => v !== held);
        to = others[d.choice % others.length]!;
      }
      return `UPDATE ${rel(t)} SET ${name} = ${to} WHERE ${rowWhere(t, row)};`;
    }
    case "delete": {
      const t = c.tables[d.table]!;
      return `DELETE FROM ${rel(t)} WHERE ${rowWhere(t, d.row % t.rows)};`;
    }
    case "duplicate": {
      const t = c.tables[d.table]!;
      return `INSERT INTO ${rel(t)} SELECT * FROM ${rel(t)} WHERE rid = ${d.row % t.rows} LIMIT 1;`;
    }
    case "swap-duplicates": {
      // Row 0 is there twice: one copy becomes a copy of row 1.
      const t = c.tables[d.table]!;
      return `DELETE FROM ${rel(t)} WHERE ${oneRow(t, 0)}; INSERT INTO ${rel(t)} SELECT * FROM ${rel(t)} WHERE rid = 1 LIMIT 1;`;
    }
    case "extra-table":
      return `CREATE TABLE public."extra ""table""" (id int PRIMARY KEY); INSERT INTO public."extra ""table""" VALUES (1);`;
    case "drop-table":
      return `DROP TABLE ${rel(c.tables[d.table]!)};`;
    case "drop-key":
      return `ALTER TABLE ${rel(c.tables[d.table]!)} DROP CONSTRAINT ${qi(`${c.tables[d.table]!.name}_pkey`)};`;
    case "session-settings":
      return "SET TimeZone = 'Pacific/Chatham'; SET DateStyle = 'German, DMY'; SET IntervalStyle = 'iso_8601'; SET extra_float_digits = -15; SET bytea_output = 'escape'; SET lc_monetary = 'C';";
    case "late-update": {
      const t = c.tables[d.table]!;
      return `UPDATE ${rel(t)} SET rid = rid + 1000, updated_at = ${AFTER} WHERE rid = ${d.row % t.rows};`;
    }
  }
}

/** The validation settings of a case: `updated_at` of the tables that have one. */
export function validationOf(c: Case): {
  database: string;
  tables: Array<{ name: string; updatedAt?: string }>;
  checks: [];
} {
  return {
    database: "app",
    tables: c.tables
      .filter((t) => t.updatedAt)
      .map((t) => ({ name: `${t.schema}.${t.name}`, updatedAt: "updated_at" })),
    checks: [],
  };
}
