import type { EnvironmentConfig } from "../config/schema";
import type { EventSink } from "../domain/events";
import type { SqlClient } from "./sql";

/**
 * Data validation as the runbooks use it: prove a restored database intact and fresh against a
 * manifest recorded on the primary or against a live reference. The implementation is in
 * `drills/validation/` (SQL); runbooks reach it only through this port, injected by the composition
 * root, so that `automation/` never imports `drills/`.
 */
export interface Validator {
  validate(o: ValidateOptions): Promise<ValidationResult>;
  /** Records a manifest of a database (the primary, after each backup). */
  recordManifest(o: RecordManifestOptions): Promise<RecordedManifest>;
}

/** How a row is hashed: `hash_record_extended` (same server version) or md5 over its text. */
export type RowHashMethod = "hash" | "md5";

/** PostgreSQL server facts. */
export interface ServerInfo {
  version: string;
  versionNum: number;
  extensions: string[];
}

/** A manifest as the run store keeps it; its content belongs to the validator. */
export interface RecordedManifest {
  recordedAt: number;
  tables: Array<{ table: string; rows: number }>;
}

/** Differences of a table by kind; `drift` counts rows written after the watermark, of any kind. */
export interface DifferenceCounts {
  changed: number;
  missing: number;
  unexpected: number;
  drift: number;
}

/** The first keys of each kind of difference, in key order (at most ten each). */
export interface FirstKeys {
  changed: string[];
  missing: string[];
  unexpected: string[];
  drift: string[];
}

/**
 * A table's verdict. `damaged`: rows differ that the watermark does not explain. `drift`: every
 * difference is a row written after the watermark. `missing` / `unexpected`: the table exists
 * only in the reference / only in the database under test. `uncomparable`: the table cannot be
 * compared (see `reason`) — it fails the validation like damage.
 */
export type TableVerdict = "ok" | "drift" | "damaged" | "missing" | "unexpected" | "uncomparable";

/** Per-table outcome. */
export interface TableResult {
  /** `schema.table` as the catalog spells it (unquoted). */
  table: string;
  verdict: TableVerdict;
  /** Why a table is uncomparable, or why its differences are not all named. */
  reason?: string;
  /** Rows in the database under test. */
  rows: number;
  counts: DifferenceCounts;
  /** The drift by kind of difference (their sum is `counts.drift`). */
  driftByKind: Omit<DifferenceCounts, "drift">;
  keys: FirstKeys;
  /** False when some differences could not be narrowed to keys: counts are then lower bounds. */
  exact: boolean;
  method: RowHashMethod;
  ms: number;
  rowsPerSecond: number;
  mbPerSecond: number;
  newestRowAt?: number;
}

/** The whole validation. */
export interface ValidationResult {
  ok: boolean;
  server: ServerInfo;
  schema: { ok: boolean; differences: string[] };
  tables: TableResult[];
  newestHeartbeatAt?: number;
  ms: number;
  summary: string;
}

/** What the restored database is compared with. */
export type Expectation =
  | { kind: "manifest"; manifest: RecordedManifest; watermark?: number }
  | { kind: "live"; open: () => Promise<SqlClient>; watermark?: number }
  | { kind: "none" };

/** Options of {@link Validator.validate}. */
export interface ValidateOptions {
  /** Opens a connection to the database under test (a pool's worth may be opened). */
  open: () => Promise<SqlClient>;
  expect: Expectation;
  validation: EnvironmentConfig["validation"];
  /** Connections used at once (tables in parallel). */
  concurrency?: number;
  /** Row hash wanted; `hash` falls back to md5 per table when needed or when versions differ. */
  method?: RowHashMethod;
  now: () => number;
  sink?: EventSink;
  /** Heartbeats after this time do not count (writes after a switch). */
  asOf?: number;
}

/** Options of {@link Validator.recordManifest}. */
export interface RecordManifestOptions {
  open: () => Promise<SqlClient>;
  validation: EnvironmentConfig["validation"];
  method?: RowHashMethod;
  concurrency?: number;
  now: () => number;
}

/**
 * Validation of databases named by URL, outside any run and without a configuration
 * (`pilotlight validate`, `pilotlight manifest record --database`). URLs are `postgres://…` or,
 * for tests and the sandbox, `pglite://<folder>`. Throws `database.unreachable` when a database
 * does not answer and `config.invalid` for bad input (a URL of another scheme, an unreadable
 * manifest); never for what a database holds.
 */
export interface DatabaseValidation {
  recordManifestFile(o: {
    database: string;
    out: string;
    cwd: string;
    now: () => number;
  }): Promise<{ recordedAt: number; tables: number; rows: number; file: string }>;
  validateDatabases(o: {
    database: string;
    manifestFile?: string;
    reference?: string;
    watermark?: number;
    cwd: string;
    now: () => number;
    sink?: EventSink;
  }): Promise<ValidationResult>;
}
