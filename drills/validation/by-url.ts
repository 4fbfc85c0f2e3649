import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { isPilotlightError, PilotlightError } from "../../automation/domain/errors";
import type { DatabaseValidation, ValidationResult } from "../../automation/ports/validator";
import { PgPoolSql } from "../../automation/store/pg-sql";
import { PgliteSql } from "../../automation/store/pglite-sql";
import type { SqlClient } from "../../automation/ports/sql";
import { parseManifest, recordManifest } from "./manifest";
import { isUnreachable, reasonOf } from "./sql-errors";
import { validateDatabase } from "./validate";

/** A database named by URL: connections to lend, and the whole to close. */
interface UrlDatabase {
  open: () => Promise<SqlClient>;
  close(): Promise<void>;
}

/** Connections per database: both cores of a small machine, the validator's default. */
const CONNECTIONS = 2;

/** A URL as it may be shown: no password, neither `user:password@` nor `?password=`. */
export function redactDatabaseUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@?#]*):[^@/?#]*@/i, "$1:***@")
    .replace(/([?&]password=)[^&#]*/gi, "$1***");
}

const unreachable = (url: string, error: unknown) =>
  new PilotlightError(
    "database.unreachable",
    `cannot reach the database at ${redactDatabaseUrl(url)}: ${reasonOf(error)}`,
    {
      // The remote side did not answer: for the CLI the same class of failure as an AWS endpoint.
      source: "aws",
      hint: "check the URL, the network path and the credentials (a password may come from PGPASSWORD or ~/.pgpass)",
      cause: error,
    },
  );

/**
 * Opens `postgres://…` (a `pg` pool, checked with one query) or `pglite://<folder>` (an existing
 * PGlite data directory, relative to `cwd`). Any other scheme is bad input.
 */
export async function openDatabaseUrl(url: string, cwd: string): Promise<UrlDatabase> {
  if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    const pool = await PgPoolSql.open(url, CONNECTIONS + 1);
    try {
      await pool.query("SELECT 1");
    } catch (error) {
      await pool.close().catch(() => undefined);
      throw unreachable(url, error);
    }
    // Each "connection" borrows from the pool per query or transaction; closing it leaves the pool.
    return {
      open: async () => ({
        query: (t, p) => pool.query(t, p),
        transaction: (fn) => pool.transaction(fn),
        close: async () => undefined,
      }),
      close: () => pool.close(),
    };
  }
  if (url.startsWith("pglite://")) {
    const dir = resolve(cwd, url.slice("pglite://".length));
    // PGlite would create an empty database in a folder that holds none: that is not the one named.
    if (!existsSync(join(dir, "PG_VERSION"))) throw unreachable(url, new Error(`no PGlite database in ${dir}`));
    let db: PgliteSql;
    try {
      db = await PgliteSql.open(dir);
    } catch (error) {
      throw unreachable(url, error);
    }
    return {
      open: async () => ({
        query: (t, p) => db.query(t, p),
        transaction: (fn) => db.transaction(fn),
        close: async () => undefined,
      }),
      close: () => db.close(),
    };
  }
  throw new PilotlightError("config.invalid", `database URL ${redactDatabaseUrl(url)} has an unknown scheme`, {
    source: "user",
    hint: "use postgres://user@host:5432/db or pglite://<folder>",
  });
}

/** The validation settings of a database named by URL: every table, no configured columns. */
const NO_CONFIG = { database: "", tables: [], checks: [] };

/** `pilotlight manifest record --database URL --out FILE` and `pilotlight validate`: databases named by URL. */
export const databaseValidation: DatabaseValidation = {
  async recordManifestFile(o) {
    const db = await openDatabaseUrl(o.database, o.cwd);
    try {
      const manifest = await recordManifest({ open: db.open, validation: NO_CONFIG, now: o.now });
      const file = resolve(o.cwd, o.out);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(manifest) + "\n");
      return {
        recordedAt: manifest.recordedAt,
        tables: manifest.tables.length,
        rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
        file,
      };
    } finally {
      await db.close();
    }
  },

  async validateDatabases(o): Promise<ValidationResult> {
    if ((o.manifestFile === undefined) === (o.reference === undefined)) {
      throw new PilotlightError("config.invalid", "name exactly one of --manifest FILE and --reference URL", {
        source: "user",
      });
    }
    const watermark = o.watermark === undefined ? {} : { watermark: o.watermark };
    let manifest: ReturnType<typeof parseManifest> | undefined;
    if (o.manifestFile !== undefined) {
      const file = resolve(o.cwd, o.manifestFile);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (error) {
        throw new PilotlightError("config.invalid", `cannot read the manifest ${file}: ${reasonOf(error)}`, {
          source: "user",
          hint: "record one with `pilotlight manifest record --database URL --out FILE`",
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        throw new PilotlightError("config.invalid", `the manifest ${file} is not JSON: ${reasonOf(error)}`, {
          source: "user",
        });
      }
      manifest = parseManifest(json, `the manifest ${file}`);
    }
    const db = await openDatabaseUrl(o.database, o.cwd);
    // A connection lost halfway is as unreachable as one never made.
    const named = (url: string) => (error: unknown) =>
      Promise.reject(isUnreachable(error) && !isPilotlightError(error) ? unreachable(url, error) : error);
    try {
      const sink = o.sink === undefined ? {} : { sink: o.sink };
      if (manifest !== undefined)
        return await validateDatabase({
          open: db.open,
          expect: { kind: "manifest", manifest, ...watermark },
          validation: NO_CONFIG,
          now: o.now,
          ...sink,
        }).catch(named(o.database));
      const reference = await openDatabaseUrl(o.reference!, o.cwd);
      try {
        return await validateDatabase({
          open: db.open,
          expect: { kind: "live", open: reference.open, ...watermark },
          validation: NO_CONFIG,
          now: o.now,
          ...sink,
        }).catch(named(`${o.database} or ${o.reference!}`));
      } finally {
        await reference.close();
      }
    } finally {
      await db.close();
    }
  },
};
