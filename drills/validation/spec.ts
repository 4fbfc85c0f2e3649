import type { RowHashMethod } from "../../automation/ports/validator";
import type { SqlClient } from "../../automation/ports/sql";
import { plannedRows, quoteIdent, quoteRel, type ColumnInfo, type TableInfo } from "./catalog";
import { queryPinned } from "./pinned";
import { columnRep, INTEGER_TYPES, keyEncoding, type ColumnRep, type KeyEncoding } from "./representation";

/**
 * How a table is cut into chunks; both sides use the reference's plan. `range`: integer leading
 * key column shifted right (a chunk is a key range — restricted scans use the index); `hash`: low
 * bits of the key's hash (text, uuid, composite keys) or of the row's hash (keyless tables).
 */
export type ChunkPlan = { kind: "range"; shift: number } | { kind: "hash"; bits: number };

/** A column as both sides read it. */
export interface SpecColumn {
  name: string;
  type: string;
  builtin?: string;
  rep: ColumnRep;
}

/**
 * How a table is compared, fixed by the reference (the manifest, or the live reference's catalog)
 * and applied to both sides: columns and their representation, key, chunking, hash method.
 */
export interface TableSpec {
  schema: string;
  name: string;
  display: string;
  columns: SpecColumn[];
  /** Key columns in key order; empty for a keyless table (rows are then compared as a multiset). */
  key: string[];
  keyEncoding: KeyEncoding;
  updatedAt?: string;
  method: RowHashMethod;
  plan: ChunkPlan;
  /** Cells per chunk are 2^cellBits: the resolution a manifest keeps for naming keys. */
  cellBits: number;
}

/** What the configuration says of a table (`validation.tables[]`). */
export interface TableConfig {
  key?: string;
  updatedAt?: string;
}

/** Rows a manifest cell holds on average: small enough that most cells hold at most one difference. */
const ROWS_PER_CELL = 512;

/**
 * The spec of a table from the reference side's catalog and configuration, or why the table
 * cannot be compared. The plan is sized from the reference (min/max of an integer key come from
 * its index: no scan).
 */
export async function planSpec(
  sql: SqlClient,
  info: TableInfo,
  conf: TableConfig | undefined,
  method: RowHashMethod,
): Promise<TableSpec | { reason: string }> {
  const byName = new Map(info.columns.map((c) => [c.name, c]));
  if (conf?.key !== undefined && !byName.has(conf.key))
    return { reason: `configured key column ${conf.key} does not exist` };
  if (conf?.updatedAt !== undefined && !byName.has(conf.updatedAt))
    return { reason: `configured updatedAt column ${conf.updatedAt} does not exist` };
  const key = conf?.key !== undefined ? [conf.key] : info.key;
  const keyCols = key.map((k) => byName.get(k)!);
  const rows = plannedRows(info);
  // At least 64 chunks keep a differing chunk small, at most 4096 keep the manifest small.
  const chunks = Math.min(4096, Math.max(64, Math.ceil(rows / 100_000)));
  const cellBits = Math.min(12, Math.max(0, Math.ceil(Math.log2(rows / chunks / ROWS_PER_CELL))));
  let plan: ChunkPlan = { kind: "hash", bits: Math.ceil(Math.log2(chunks)) };
  const lead = keyCols[0];
  if (lead?.builtin !== undefined && INTEGER_TYPES.has(lead.builtin)) {
    const k = quoteIdent(lead.name);
    const r = await queryPinned<{ lo: string | null; hi: string | null }>(
      sql,
      `SELECT min(${k})::text AS lo, max(${k})::text AS hi FROM ${quoteRel(info.schema, info.name)}`,
    );
    const lo = r[0]?.lo ?? null;
    const hi = r[0]?.hi ?? null;
    const span = lo === null || hi === null ? 1 : Number(BigInt(hi) - BigInt(lo)) + 1;
    plan = { kind: "range", shift: Math.min(62, Math.max(0, Math.ceil(Math.log2(Math.max(1, span / chunks))))) };
  }
  const spec: TableSpec = {
    schema: info.schema,
    name: info.name,
    display: info.display,
    columns: info.columns.map((c) => specColumn(c)),
    key,
    keyEncoding: keyEncoding(keyCols),
    method,
    plan,
    cellBits,
  };
  if (conf?.updatedAt !== undefined) spec.updatedAt = conf.updatedAt;
  return spec;
}

function specColumn(c: ColumnInfo): SpecColumn {
  const s: SpecColumn = { name: c.name, type: c.type, rep: columnRep(c) };
  if (c.builtin !== undefined) s.builtin = c.builtin;
  return s;
}

/**
 * Why the side's table cannot be read with the spec, or undefined: every spec column must exist
 * with the same type (the representation of a value depends on its type), and the side must not
 * hold columns the spec lacks (its rows could not be equal).
 */
export function columnMismatch(spec: TableSpec, side: TableInfo): string | undefined {
  const have = new Map(side.columns.map((c) => [c.name, c]));
  const problems: string[] = [];
  for (const c of spec.columns) {
    const h = have.get(c.name);
    if (h === undefined) problems.push(`column ${c.name} is missing`);
    else if (h.type !== c.type) problems.push(`column ${c.name} is ${h.type}, expected ${c.type}`);
  }
  const known = new Set(spec.columns.map((c) => c.name));
  for (const c of side.columns) if (!known.has(c.name)) problems.push(`unexpected column ${c.name} ${c.type}`);
  if (side.units.some((u) => u.kind !== "r"))
    problems.push(
      `partitions that are not tables here: ${side.units
        .filter((u) => u.kind !== "r")
        .map((u) => `${u.schema}.${u.name}`)
        .join(", ")}`,
    );
  return problems.length === 0 ? undefined : problems.join("; ");
}

/** The config entry of a table: `validation.tables[].name` is `table` (public) or `schema.table`. */
export function configFor(
  configured: ReadonlyArray<{ name: string; key?: string; updatedAt?: string }>,
  info: { schema: string; name: string },
): TableConfig | undefined {
  const c = configured.find(
    (t) => t.name === `${info.schema}.${info.name}` || (info.schema === "public" && t.name === info.name),
  );
  if (c === undefined) return undefined;
  const out: TableConfig = {};
  if (c.key !== undefined) out.key = c.key;
  if (c.updatedAt !== undefined) out.updatedAt = c.updatedAt;
  return out;
}
