import type { SqlClient } from "../../automation/ports/sql";
import { queryPinned } from "./pinned";

/** A column of a user table, as the catalog describes it. */
export interface ColumnInfo {
  name: string;
  /** `format_type` (with typmod), as the schema fingerprint shows it. */
  type: string;
  /** The type's name when it is one of PostgreSQL's own (`pg_catalog`), else undefined. */
  builtin?: string;
  /** `atttypmod` (-1 when none): `char(n)` has one. */
  typmod: number;
  /** False under a nondeterministic collation (equal values may differ in bytes). */
  deterministic: boolean;
  /** `s` stored or `v` virtual generated column, else empty. */
  generated: string;
}

/** A relation that holds rows of a table: the table itself, or each leaf of a partitioned one. */
export interface ScanUnit {
  schema: string;
  name: string;
  /** `r` table, `f` foreign table (cannot be read as data of this database). */
  kind: string;
  /** Heap pages (for block slices). */
  pages: number;
}

/** A user table: a plain table or the root of a partition tree (its leaves are its rows). */
export interface TableInfo {
  schema: string;
  name: string;
  /** `schema.table`, unquoted: how reports name it (a name may itself hold dots or quotes). */
  display: string;
  partitioned: boolean;
  /** Estimated rows (`reltuples` of the table or its leaves; -1 when never analysed). */
  estimatedRows: number;
  /** Bytes with indexes and TOAST (for MB/s). */
  bytes: number;
  columns: ColumnInfo[];
  /** Key columns in key order: the primary key, else a unique index over NOT NULL columns. */
  key: string[];
  keySource: "primary key" | "unique index" | "none";
  units: ScanUnit[];
}

/** Quotes one identifier (any spelling: quotes, dots, capitals, spaces). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes `schema`.`name`. */
export function quoteRel(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Schemas that hold no user data. */
export const USER_SCHEMAS =
  "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' " +
  "AND n.nspname NOT LIKE 'pg_temp%'";

/**
 * Every user table with its columns, key and the relations its rows live in. Views, materialized
 * views and foreign tables hold no data of this database and are not listed; partitions are
 * listed once, under their root; inheritance children are tables of their own (read with ONLY).
 */
export async function listTables(sql: SqlClient): Promise<TableInfo[]> {
  // Catalog columns newer than some supported servers are read through to_jsonb so that the query
  // works on all of them (collisdeterministic: 12, attgenerated: 12).
  const tables = await queryPinned<{
    oid: string;
    schema: string;
    name: string;
    kind: string;
    est: string;
    bytes: string;
  }>(
    sql,
    `SELECT c.oid::int8::text AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
            c.reltuples::float8::text AS est, pg_total_relation_size(c.oid)::text AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND ${USER_SCHEMAS}
      ORDER BY n.nspname, c.relname`,
  );
  if (tables.length === 0) return [];
  const oids = tables.map((t) => t.oid);
  const columns = await queryPinned<{
    oid: string;
    name: string;
    type: string;
    builtin: string | null;
    typmod: string;
    det: boolean | string | null;
    gen: string | null;
  }>(
    sql,
    `SELECT a.attrelid::int8::text AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            CASE WHEN ty.typnamespace = 'pg_catalog'::regnamespace THEN ty.typname::text END AS builtin,
            a.atttypmod::text AS typmod, (to_jsonb(co) ->> 'collisdeterministic') AS det,
            (to_jsonb(a) ->> 'attgenerated') AS gen
       FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
       LEFT JOIN pg_collation co ON co.oid = a.attcollation
      WHERE a.attrelid = ANY($1::int8[]::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attrelid, a.attnum`,
    [oids],
  );
  const keys = await queryPinned<{ oid: string; cols: string; pk: boolean | string }>(
    sql,
    `SELECT i.indrelid::int8::text AS oid, json_agg(a.attname ORDER BY k.ord)::text AS cols, i.indisprimary AS pk
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = ANY($1::int8[]::oid[]) AND k.ord <= i.indnkeyatts
        AND (i.indisprimary OR (i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL))
      GROUP BY i.indrelid, i.indexrelid, ic.relname, i.indisprimary
     HAVING bool_and(a.attnotnull) AND bool_and(k.attnum > 0)
      ORDER BY i.indrelid, i.indisprimary DESC, count(*), ic.relname`,
    [oids],
  );
  const partitioned = tables.filter((t) => t.kind === "p").map((t) => t.oid);
  const leaves =
    partitioned.length === 0
      ? []
      : await queryPinned<{ root: string; schema: string; name: string; kind: string; pages: string }>(
          sql,
          `SELECT r.root::int8::text AS root, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
                  (pg_relation_size(c.oid) / current_setting('block_size')::int)::text AS pages
             FROM unnest($1::int8[]::oid[]) AS r(root)
             CROSS JOIN LATERAL pg_partition_tree(r.root) p
             JOIN pg_class c ON c.oid = p.relid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE p.isleaf
            ORDER BY n.nspname, c.relname`,
          [partitioned],
        );
  const pages = await queryPinned<{ oid: string; pages: string }>(
    sql,
    `SELECT c.oid::int8::text AS oid, (pg_relation_size(c.oid) / current_setting('block_size')::int)::text AS pages
       FROM pg_class c WHERE c.oid = ANY($1::int8[]::oid[])`,
    [oids],
  );
  const pagesOf = new Map(pages.map((p) => [p.oid, Number(p.pages)]));
  return tables.map((t) => {
    const own = columns.filter((c) => c.oid === t.oid);
    const key = keys.find((k) => k.oid === t.oid);
    const units: ScanUnit[] =
      t.kind === "p"
        ? leaves
            .filter((l) => l.root === t.oid)
            .map((l) => ({ schema: l.schema, name: l.name, kind: l.kind, pages: Number(l.pages) }))
        : [{ schema: t.schema, name: t.name, kind: "r", pages: pagesOf.get(t.oid) ?? 0 }];
    const info: TableInfo = {
      schema: t.schema,
      name: t.name,
      display: `${t.schema}.${t.name}`,
      partitioned: t.kind === "p",
      estimatedRows: Number(t.est),
      bytes: Number(t.bytes),
      columns: own.map((c) => {
        const col: ColumnInfo = {
          name: c.name,
          type: c.type,
          typmod: Number(c.typmod),
          deterministic: c.det === null || c.det === true || c.det === "true",
          generated: c.gen ?? "",
        };
        if (c.builtin !== null) col.builtin = c.builtin;
        return col;
      }),
      key: key === undefined ? [] : (JSON.parse(key.cols) as string[]),
      keySource: key === undefined ? "none" : key.pk === true || key.pk === "true" ? "primary key" : "unique index",
      units,
    };
    return info;
  });
}

/**
 * Rows to plan chunks for: `reltuples` when the table was analysed, else a guess from its pages
 * (a table never vacuumed or analysed reports -1; PGlite's tables usually are such).
 */
export function plannedRows(info: TableInfo): number {
  const pages = info.units.reduce((n, u) => n + u.pages, 0);
  return Math.max(info.estimatedRows, pages * 30, 1);
}
