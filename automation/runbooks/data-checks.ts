import type { EnvironmentConfig } from "../config/schema";
import type { JsonObject } from "../domain/json";
import type { SqlClient } from "../ports/sql";

/** What a quick data check saw in one database. */
export interface DataSummary {
  tables: Array<{ name: string; rows: number; checksum: string; newestRowAt?: number }>;
  newestHeartbeatAt?: number;
  problems: string[];
}

const quote = (ident: string) =>
  ident
    .split(".")
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join(".");

/**
 * Connectivity, per-table row counts with an order-independent content checksum, newest
 * `updated_at` and heartbeat — computed inside PostgreSQL (the data never crosses the network).
 * The full validation engine (chunked checksums, manifests, localisation) refines this.
 */
export async function summarizeData(
  sql: SqlClient,
  validation: EnvironmentConfig["validation"],
  opts: { asOf?: number } = {},
): Promise<DataSummary> {
  const summary: DataSummary = { tables: [], problems: [] };
  await sql.query("SELECT 1");
  for (const t of validation.tables) {
    try {
      const newest = t.updatedAt === undefined ? "NULL::timestamptz" : `max(${quote(t.updatedAt)})`;
      const { rows } = await sql.query<{ n: string | number; checksum: string | null; newest: string | Date | null }>(
        `SELECT count(*) AS n, sum(hashtextextended(t::text, 0))::text AS checksum, ${newest} AS newest FROM ${quote(t.name)} t`,
      );
      const r = rows[0]!;
      const entry: DataSummary["tables"][number] = { name: t.name, rows: Number(r.n), checksum: r.checksum ?? "0" };
      if (r.newest !== null) entry.newestRowAt = new Date(r.newest).getTime();
      summary.tables.push(entry);
      if (entry.rows === 0) summary.problems.push(`table ${t.name} is empty`);
    } catch (error) {
      summary.problems.push(`table ${t.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (validation.heartbeat !== undefined) {
    try {
      // `asOf`: only beats from before the failure count (writes in DR after the switch are not
      // restored data).
      const col = quote(validation.heartbeat.column);
      const { rows } = await sql.query<{ beat: string | Date | null }>(
        `SELECT max(${col}) AS beat FROM ${quote(validation.heartbeat.table)}${opts.asOf === undefined ? "" : ` WHERE ${col} <= $1::timestamptz`}`,
        opts.asOf === undefined ? [] : [new Date(opts.asOf).toISOString()],
      );
      if (rows[0]?.beat !== null && rows[0]?.beat !== undefined)
        summary.newestHeartbeatAt = new Date(rows[0].beat).getTime();
      else summary.problems.push(`heartbeat table ${validation.heartbeat.table} is empty`);
    } catch (error) {
      summary.problems.push(
        `heartbeat ${validation.heartbeat.table}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  for (const check of validation.checks) {
    try {
      const { rows } = await sql.query(check.sql);
      const e = check.expect;
      if ("empty" in e && rows.length > 0)
        summary.problems.push(`check "${check.name}" returned ${rows.length} row(s), expected none`);
      if (
        "rows" in e &&
        ((e.rows.min !== undefined && rows.length < e.rows.min) ||
          (e.rows.max !== undefined && rows.length > e.rows.max))
      ) {
        summary.problems.push(
          `check "${check.name}" returned ${rows.length} row(s), expected ${e.rows.min ?? 0}..${e.rows.max ?? "∞"}`,
        );
      }
      if ("value" in e) {
        const got = rows[0] === undefined ? undefined : Object.values(rows[0])[0];
        if (String(got) !== String(e.value))
          summary.problems.push(`check "${check.name}" returned ${String(got)}, expected ${String(e.value)}`);
      }
    } catch (error) {
      summary.problems.push(`check "${check.name}": ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return summary;
}

/** JSON form of a summary for step outputs and reports. */
export function summaryJson(s: DataSummary): JsonObject {
  return JSON.parse(JSON.stringify(s)) as JsonObject;
}

/** Writes a database accepted after a time, per table: how many, their key range, the newest. */
export interface WritesAfter {
  since: number;
  total: number;
  tables: Array<{
    table: string;
    rows: number;
    firstKey: string | null;
    lastKey: string | null;
    newestAt: number | null;
  }>;
}

/**
 * Rows changed after `since` in the configured tables (by their `updatedAt` column) and heartbeat
 * rows after it: what a database accepted after traffic left it. Computed inside PostgreSQL.
 */
export async function writesAfter(
  sql: SqlClient,
  validation: EnvironmentConfig["validation"],
  since: number,
): Promise<WritesAfter> {
  const out: WritesAfter = { since, total: 0, tables: [] };
  const at = new Date(since).toISOString();
  const probe = async (table: string, column: string, key?: string) => {
    const keys =
      key === undefined
        ? "NULL::text AS first, NULL::text AS last"
        : `min(${quote(key)})::text AS first, max(${quote(key)})::text AS last`;
    const { rows } = await sql.query<{
      n: string | number;
      first: string | null;
      last: string | null;
      newest: string | null;
    }>(
      `SELECT count(*) AS n, ${keys}, max(${quote(column)})::text AS newest FROM ${quote(table)} WHERE ${quote(column)} > $1::timestamptz`,
      [at],
    );
    const r = rows[0]!;
    const n = Number(r.n);
    out.total += n;
    out.tables.push({
      table,
      rows: n,
      firstKey: r.first,
      lastKey: r.last,
      newestAt: r.newest === null ? null : new Date(r.newest).getTime(),
    });
  };
  for (const t of validation.tables) if (t.updatedAt !== undefined) await probe(t.name, t.updatedAt, t.key);
  if (validation.heartbeat !== undefined) await probe(validation.heartbeat.table, validation.heartbeat.column);
  return out;
}
