import { createHash } from "node:crypto";
import type { SqlClient } from "../../automation/store/sql";
import type { ServerInfo } from "../../automation/ports/validator";

/** What a table's key is, which decides how it is chunked. */
export type KeyKind = "integer" | "other" | "none";

/** A user table and how it will be read. */
export interface TableInfo {
  /** `schema.table`, quoted when used. */
  name: string;
  key?: string;
  keyKind: KeyKind;
  updatedAt?: string;
  /** Estimated size in bytes (for MB/s). */
  bytes: number;
}

/** Server facts. */
export type { ServerInfo };

/** The schema's canonical description and its fingerprint. */
export interface SchemaFingerprint {
  hash: string;
  /** One line per column, index and constraint, sorted: what is compared. */
  items: string[];
}

/** Quotes a possibly schema-qualified identifier. */
export function quoteIdent(name: string): string {
  return name
    .split(".")
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join(".");
}

/** Connectivity, version and extensions. */
export async function inspectServer(sql: SqlClient): Promise<ServerInfo> {
  const { rows } = await sql.query<{ v: string; n: string | number }>("SELECT version() AS v, current_setting('server_version_num') AS n");
  const ext = await sql.query<{ extname: string }>("SELECT extname FROM pg_extension ORDER BY extname");
  return { version: rows[0]!.v, versionNum: Number(rows[0]!.n), extensions: ext.rows.map((r) => r.extname) };
}

const USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

/**
 * Fingerprint of the schema: tables, columns with types, nullability and defaults, indexes and
 * constraints — from the catalog, sorted, hashed with SHA-256 (md5 is unavailable on FIPS hosts).
 */
export async function fingerprintSchema(sql: SqlClient): Promise<SchemaFingerprint> {
  const cols = await sql.query<{ line: string }>(
    `SELECT format('column %s.%s.%s %s%s%s', n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
              CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
              CASE WHEN d.adbin IS NULL THEN '' ELSE ' default ' || pg_get_expr(d.adbin, d.adrelid) END) AS line
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ${USER_SCHEMAS}`,
  );
  const idx = await sql.query<{ line: string }>(
    `SELECT 'index ' || regexp_replace(pg_get_indexdef(i.indexrelid), ' USING ', ' using ') AS line
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_SCHEMAS}`,
  );
  const cons = await sql.query<{ line: string }>(
    `SELECT format('constraint %s.%s %s %s', n.nspname, c.relname, co.conname, pg_get_constraintdef(co.oid)) AS line
       FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${USER_SCHEMAS}`,
  );
  const items = [...cols.rows, ...idx.rows, ...cons.rows].map((r) => r.line).sort();
  return { hash: createHash("sha256").update(items.join("\n")).digest("hex"), items };
}

/** Differences between two fingerprints, as readable lines. */
export function schemaDifferences(expected: SchemaFingerprint, actual: SchemaFingerprint): string[] {
  if (expected.hash === actual.hash) return [];
  const a = new Set(actual.items);
  const e = new Set(expected.items);
  return [...expected.items.filter((i) => !a.has(i)).map((i) => `missing or changed: ${i}`), ...actual.items.filter((i) => !e.has(i)).map((i) => `unexpected: ${i}`)];
}

/**
 * User tables with their primary key (a single column) and its kind. Tables named in `only`
 * are described even without a key; `updatedAt` columns come from the configuration.
 */
export async function listTables(sql: SqlClient, configured: Array<{ name: string; key?: string; updatedAt?: string }>): Promise<TableInfo[]> {
  const { rows } = await sql.query<{ schema: string; table: string; key: string | null; keytype: string | null; bytes: string | number }>(
    `SELECT n.nspname AS schema, c.relname AS table, pk.attname AS key, pk.typname AS keytype, pg_total_relation_size(c.oid) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN LATERAL (
         SELECT a.attname, t.typname FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
           JOIN pg_type t ON t.oid = a.atttypid
          WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnkeyatts = 1) pk ON true
      WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMAS}
      ORDER BY 1, 2`,
  );
  const byName = new Map(configured.map((t) => [t.name.includes(".") ? t.name : `public.${t.name}`, t]));
  return rows.map((r) => {
    const name = `${r.schema}.${r.table}`;
    const conf = byName.get(name);
    const key = conf?.key ?? r.key ?? undefined;
    const keyType = conf?.key !== undefined && conf.key !== r.key ? null : r.keytype;
    const keyKind: KeyKind = key === undefined ? "none" : keyType !== null && ["int2", "int4", "int8"].includes(keyType) ? "integer" : "other";
    const info: TableInfo = { name, keyKind, bytes: Number(r.bytes) };
    if (key !== undefined) info.key = key;
    if (conf?.updatedAt !== undefined) info.updatedAt = conf.updatedAt;
    return info;
  });
}
