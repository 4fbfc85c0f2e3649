import type { EnvironmentConfig } from "../config/schema";
import type { EventSink } from "../domain/events";
import type { SqlClient } from "../store/sql";

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

/** Keys of a differing chunk, fetched as key + row hash only. */
export interface KeyDifferences {
  missing: string[];
  extra: string[];
  changed: string[];
  /** Of the keys above, those whose rows were updated after the watermark on either side. */
  drifted: string[];
  /** More differences than fetched. */
  truncated: boolean;
  /** Full counts (the lists above are samples of at most 100). */
  counts: { missing: number; extra: number; changed: number; drifted: number };
}

/** One differing chunk, localised and classified. */
export interface Mismatch {
  table: string;
  chunk: number;
  /** Key range of the chunk (integer keys). */
  range?: { from: string; to: string };
  expected?: { rows: number; sum: string };
  actual?: { rows: number; sum: string };
  /** `damage`: rows from before the watermark differ. `drift`: only rows changed after it. */
  kind: "damage" | "drift";
  keys?: KeyDifferences;
}

/** Per-table outcome. */
export interface TableResult {
  table: string;
  rows: number;
  chunks: number;
  method: RowHashMethod;
  ms: number;
  rowsPerSecond: number;
  mbPerSecond: number;
  newestRowAt?: number;
  verdict: "ok" | "drift" | "damaged" | "missing" | "unexpected";
  mismatches: Mismatch[];
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
