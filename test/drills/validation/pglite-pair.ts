import { PGlite } from "@electric-sql/pglite";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import type { SqlClient } from "../../../automation/ports/sql";
import type { EnvironmentConfig } from "../../../automation/config/schema";
import type { TableResult, ValidationResult } from "../../../automation/ports/validator";
import { recordManifest, validateDatabase, type Manifest } from "../../../drills/validation/validate";

/** A connection factory over one PGlite (it serialises queries itself); closing is a no-op. */
export const opener = (db: PGlite) => async (): Promise<SqlClient> => {
  const sql = new PgliteSql(db);
  return { query: (t, p) => sql.query(t, p), transaction: (fn) => sql.transaction(fn), close: async () => undefined };
};

let clock = 0;
/** A clock for timings only (validation results never depend on it). */
export const now = () => (clock += 5);

/** Validation settings of the tests: no configured tables unless a test says so. */
export const NO_CONFIG: EnvironmentConfig["validation"] = { database: "app", tables: [], checks: [] };

/** Drops every user schema and session setting: a database as new, without the cost of creating one. */
const RESET = `RESET ALL;
  DO $$ DECLARE s text; BEGIN
    FOR s IN SELECT nspname FROM pg_namespace WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%' LOOP
      EXECUTE format('DROP SCHEMA %I CASCADE', s);
    END LOOP;
  END $$;
  CREATE SCHEMA public;`;

/**
 * Two real PostgreSQL databases (PGlite) reused across tests: creating one takes about a second,
 * resetting one a few milliseconds.
 */
export class Workbench {
  private constructor(
    readonly a: PGlite,
    readonly b: PGlite,
  ) {}

  static async create(): Promise<Workbench> {
    return new Workbench(await PGlite.create(), await PGlite.create());
  }

  /**
   * A reference built by `setup` (and its manifest); its copies are built by the same SQL (the same
   * rows) and then changed.
   */
  async reference(
    setup: string,
    validation: EnvironmentConfig["validation"] = NO_CONFIG,
    recordedAt?: number,
  ): Promise<Reference> {
    await this.a.exec(RESET);
    await this.a.exec(setup);
    const manifest = await recordManifest({ open: opener(this.a), validation, now });
    if (recordedAt !== undefined) manifest.recordedAt = recordedAt;
    return new Reference(this.a, manifest, validation, async (mutation) => {
      await this.b.exec(RESET);
      await this.b.exec(setup);
      if (mutation !== undefined) await this.b.exec(mutation);
      return { db: this.b, close: async () => undefined };
    });
  }

  async close(): Promise<void> {
    await this.a.close();
    await this.b.close();
  }
}

/** A copy of a reference; closing it releases it. */
export interface Copy {
  db: PGlite;
  close(): Promise<void>;
}

/** A reference database, its manifest, and a way to make changed copies of it. */
export class Reference {
  constructor(
    readonly db: PGlite,
    readonly manifest: Manifest,
    readonly validation: EnvironmentConfig["validation"],
    private readonly makeCopy: (mutation?: string) => Promise<Copy>,
    private readonly owned = false,
  ) {}

  /**
   * A reference in a database of its own: `setup` runs on it, its data directory is dumped, and
   * each copy loads that dump, as a snapshot restore would.
   */
  static async create(
    setup: string,
    validation: EnvironmentConfig["validation"] = NO_CONFIG,
    recordedAt?: number,
  ): Promise<Reference> {
    const db = await PGlite.create();
    await db.exec(setup);
    const blob = await db.dumpDataDir("none");
    const manifest = await recordManifest({ open: opener(db), validation, now });
    if (recordedAt !== undefined) manifest.recordedAt = recordedAt;
    const makeCopy = async (mutation?: string): Promise<Copy> => {
      const copy = await PGlite.create({ loadDataDir: blob });
      if (mutation !== undefined) await copy.exec(mutation);
      return { db: copy, close: () => copy.close() };
    };
    return new Reference(db, manifest, validation, makeCopy, true);
  }

  /** A copy of the reference, changed by `mutation`. */
  copy(mutation?: string): Promise<Copy> {
    return this.makeCopy(mutation);
  }

  /** Validates `copy` against the manifest. */
  async againstManifest(copy: Copy, watermark?: number): Promise<ValidationResult> {
    return validateDatabase({
      open: opener(copy.db),
      expect: { kind: "manifest", manifest: this.manifest, ...(watermark === undefined ? {} : { watermark }) },
      validation: this.validation,
      now,
    });
  }

  /** Validates `copy` against the live reference. */
  async againstLive(copy: Copy, watermark?: number): Promise<ValidationResult> {
    return validateDatabase({
      open: opener(copy.db),
      expect: { kind: "live", open: opener(this.db), ...(watermark === undefined ? {} : { watermark }) },
      validation: this.validation,
      now,
    });
  }

  /** A copy changed by `mutation`, validated both ways, released. */
  async check(
    mutation: string | undefined,
    watermark?: number,
  ): Promise<{ manifest: ValidationResult; live: ValidationResult }> {
    const copy = await this.copy(mutation);
    try {
      return { manifest: await this.againstManifest(copy, watermark), live: await this.againstLive(copy, watermark) };
    } finally {
      await copy.close();
    }
  }

  async close(): Promise<void> {
    if (this.owned) await this.db.close();
  }
}

/** The result of one table, by `schema.table`. */
export function tableOf(r: ValidationResult, name: string): TableResult {
  const t = r.tables.find((x) => x.table === name);
  if (t === undefined) throw new Error(`no table ${name} in the result: ${r.tables.map((x) => x.table).join(", ")}`);
  return t;
}
