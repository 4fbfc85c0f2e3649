import { mkdirSync } from "node:fs";
import { resolveStoreUrl } from "../config/locations";
import { PilotlightError } from "../domain/errors";
import { redactText, redactUrl, secretsOfUrl } from "../domain/redact";
import { PgRunStore } from "./pg-run-store";
import { PgPoolSql, type PgTimeouts } from "./pg-sql";
import { PgliteSql } from "./pglite-sql";
import type { SqlClient } from "../ports/sql";

/**
 * Opens a SQL client from a store URL:
 * - `pglite://<dir>` (relative to `baseDir`) or `pglite:///abs/dir`: embedded PGlite on disk;
 * - `memory://`: embedded PGlite in memory (tests, dry runs);
 * - `postgres://…` / `postgresql://…`: a PostgreSQL server (shared; carries leases across hosts).
 */
export async function openSql(
  url: string,
  baseDir = process.cwd(),
  timeouts?: Partial<PgTimeouts>,
): Promise<SqlClient> {
  try {
    if (url === "memory://") {
      return await PgliteSql.open();
    }
    if (url.startsWith("pglite://")) {
      const dir = resolveStoreUrl(url, baseDir).slice("pglite://".length);
      mkdirSync(dir, { recursive: true });
      return await PgliteSql.open(dir);
    }
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
      const sql = await PgPoolSql.open(url, timeouts === undefined ? {} : { timeouts });
      try {
        await sql.query("SELECT 1");
      } catch (error) {
        await sql.close().catch(() => undefined);
        throw error;
      }
      return sql;
    }
  } catch (error) {
    // No `cause`: a driver's error may hold the URL itself (an invalid URL's `input`).
    // A driver's message may also name a secret parameter's value (the file of `sslkey=…`).
    const reason = redactText(error instanceof Error ? error.message : String(error), secretsOfUrl(url));
    throw new PilotlightError("store.unavailable", `cannot open the run store at ${redactUrl(url)}: ${reason}`, {
      source: "system",
      hint: "check `store.url` in the configuration (or PILOTLIGHT_STORE_URL) and that the database is reachable",
      details: { store: redactUrl(url), reason },
    });
  }
  throw new PilotlightError("config.invalid", `store URL ${redactUrl(url)} has an unknown scheme`, {
    source: "user",
    hint: "use pglite://<folder>, memory:// or postgres://user@host/db",
  });
}

/**
 * Opens and migrates the run store at `url`. `timeouts` bound a PostgreSQL server's connections
 * and statements (defaults: `DEFAULT_PG_TIMEOUTS` of pg-sql.ts).
 */
export async function openRunStore(url: string, baseDir?: string, timeouts?: Partial<PgTimeouts>): Promise<PgRunStore> {
  const sql = await openSql(url, baseDir, timeouts);
  try {
    return await PgRunStore.open(sql);
  } catch (error) {
    await sql.close().catch(() => undefined);
    throw error;
  }
}
