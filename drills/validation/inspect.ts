import { createHash } from "node:crypto";
import type { ServerInfo } from "../../automation/ports/validator";
import type { SqlClient } from "../../automation/ports/sql";
import { USER_SCHEMAS } from "./catalog";
import { queryPinned } from "./pinned";

/** Server facts. */
export type { ServerInfo };

/** The schema's canonical description and its fingerprint. */
export interface SchemaFingerprint {
  hash: string;
  /** One line per table, column, index, constraint and view, sorted: what is compared. */
  items: string[];
}

/** Connectivity, version and extensions. */
export async function inspectServer(sql: SqlClient): Promise<ServerInfo> {
  const rows = await queryPinned<{ v: string; n: string }>(
    sql,
    "SELECT version() AS v, current_setting('server_version_num') AS n",
  );
  const ext = await queryPinned<{ extname: string }>(
    sql,
    "SELECT extname::text AS extname FROM pg_extension ORDER BY extname",
  );
  return { version: rows[0]!.v, versionNum: Number(rows[0]!.n), extensions: ext.map((r) => r.extname) };
}

/** The major version of a `server_version_num` (150004 → 15; 90624 → 9). */
export const majorOf = (versionNum: number) =>
  versionNum >= 100000 ? Math.floor(versionNum / 10000) : Math.floor(versionNum / 100);

/**
 * Fingerprint of the schema, from the catalog under the pinned settings (so expressions deparse
 * alike on both sides): tables (plain or partitioned, partition bounds), columns with position,
 * type, nullability, default and generation, indexes, constraints, views; the database encoding
 * (text hashes are of server-encoded bytes). Sorted, hashed with SHA-256 (md5 is unavailable on
 * FIPS hosts). Identifiers are quoted where needed, so no two objects print alike.
 */
export async function fingerprintSchema(sql: SqlClient): Promise<SchemaFingerprint> {
  const lines = await queryPinned<{ line: string }>(
    sql,
    `SELECT format('table %I.%I %s%s', n.nspname, c.relname,
                   CASE c.relkind WHEN 'p' THEN 'partitioned' ELSE 'plain' END,
                   CASE WHEN c.relispartition THEN ' partition ' || pg_get_expr(c.relpartbound, c.oid) ELSE '' END)
              AS line
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND ${USER_SCHEMAS}
     UNION ALL
     SELECT format('column %I.%I #%s %I %s%s%s%s', n.nspname, c.relname,
                   row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum), a.attname,
                   format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
                   CASE WHEN d.adbin IS NULL THEN ''
                        WHEN coalesce(to_jsonb(a) ->> 'attgenerated', '') <> ''
                        THEN ' generated ' || (to_jsonb(a) ->> 'attgenerated') || ' ' || pg_get_expr(d.adbin, d.adrelid)
                        ELSE ' default ' || pg_get_expr(d.adbin, d.adrelid) END,
                   CASE WHEN a.attcollation <> 0 AND a.attcollation <> ty.typcollation
                        THEN ' collate ' || a.attcollation::regcollation::text ELSE '' END)
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type ty ON ty.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped AND ${USER_SCHEMAS}
     UNION ALL
     SELECT 'index ' || pg_get_indexdef(i.indexrelid)
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE ${USER_SCHEMAS}
     UNION ALL
     SELECT format('constraint %I.%I %I %s', n.nspname, c.relname, co.conname, pg_get_constraintdef(co.oid))
       FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      -- NOT NULL is a column's property above; PostgreSQL 18 also lists it as a constraint.
      WHERE co.contype <> 'n' AND ${USER_SCHEMAS}
     UNION ALL
     SELECT format('view %I.%I %s', n.nspname, c.relname, regexp_replace(pg_get_viewdef(c.oid), '\\s+', ' ', 'g'))
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('v', 'm') AND ${USER_SCHEMAS}
     UNION ALL
     SELECT 'database encoding ' || pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()`,
  );
  const items = lines.map((r) => r.line).sort();
  return { hash: createHash("sha256").update(items.join("\n")).digest("hex"), items };
}

/** Differences between two fingerprints, as readable lines. */
export function schemaDifferences(expected: SchemaFingerprint, actual: SchemaFingerprint): string[] {
  if (expected.hash === actual.hash) return [];
  const a = new Set(actual.items);
  const e = new Set(expected.items);
  return [
    ...expected.items.filter((i) => !a.has(i)).map((i) => `missing or changed: ${i}`),
    ...actual.items.filter((i) => !e.has(i)).map((i) => `unexpected: ${i}`),
  ];
}
