import { PilotlightError } from "../../automation/domain/errors";
import type {
  RecordedManifest,
  RecordManifestOptions,
  RowHashMethod,
  ServerInfo,
} from "../../automation/ports/validator";
import { checksumCells, mergeCells, sliceUnits, type CellSum } from "./checksum";
import { listTables, type TableInfo } from "./catalog";
import { connectionPool, mapPooled } from "./connections";
import { fingerprintSchema, inspectServer, type SchemaFingerprint } from "./inspect";
import { RowSql } from "./row-sql";
import { configFor, planSpec, type TableSpec } from "./spec";
import { isUnreachable, reasonOf } from "./sql-errors";

/** The format of manifests this code writes and reads. */
export const MANIFEST_FORMAT = "pilotlight-manifest/2";

/** A table of a manifest: how it was read and its cell sums (as strings: JSON has no bigint). */
export interface ManifestTable {
  table: string;
  schema: string;
  name: string;
  rows: number;
  /** Absent when the table could not be read: then `uncomparable` says why. */
  spec?: TableSpec;
  uncomparable?: string;
  /** `[chunk, cell, rows, sum, newest|"", ...part sums, ...product sums]` per cell. */
  cells: string[][];
}

/** A manifest recorded on the primary (`pilotlight manifest record`): what a restore must hold. */
export interface Manifest extends RecordedManifest {
  format: typeof MANIFEST_FORMAT;
  recordedAt: number;
  server: ServerInfo;
  schema: SchemaFingerprint;
  tables: ManifestTable[];
}

/** Block slices per connection: a big table is cut finer than the pool is wide (no idle core at the tail). */
export const SLICES_PER_CONNECTION = 4;

/** Largest tables first: the pool's tail is a small table, not a big one. */
export const biggestFirst = (tables: TableInfo[]) =>
  [...tables].sort((a, b) => b.bytes - a.bytes || a.display.localeCompare(b.display));

/** The row hash a server allows: internal hashes need `hash_record_extended` (PostgreSQL 14). */
export const defaultMethod = (server: ServerInfo, wanted?: RowHashMethod): RowHashMethod =>
  wanted === "md5" || server.versionNum < 140000 ? "md5" : "hash";

/**
 * Records a manifest of the database: server, schema fingerprint, and per table its spec and the
 * sums of every cell (count, hash, key parts and products) — enough to name the key of a row
 * that later differs alone in its cell, in a few hundred bytes per thousand rows.
 */
export async function recordManifest(o: RecordManifestOptions): Promise<Manifest> {
  const started = o.now();
  const sql = await o.open();
  const limit = o.concurrency ?? 2;
  const pool = connectionPool(o.open, limit);
  try {
    const server = await inspectServer(sql);
    const schema = await fingerprintSchema(sql);
    const tables = await listTables(sql);
    const method = defaultMethod(server, o.method);
    const hb = o.validation.heartbeat;
    const configured =
      hb === undefined ? o.validation.tables : [...o.validation.tables, { name: hb.table, updatedAt: hb.column }];
    const entries = await mapPooled(biggestFirst(tables), limit, async (info): Promise<ManifestTable> => {
      const base = { table: info.display, schema: info.schema, name: info.name };
      try {
        const spec = await pool.with((c) => planSpec(c, info, configFor(configured, info), method));
        if ("reason" in spec) return { ...base, rows: 0, uncomparable: spec.reason, cells: [] };
        const rs = new RowSql(spec, info);
        const parts = await mapPooled(sliceUnits(info.units, limit * SLICES_PER_CONNECTION), limit, (slice) =>
          pool.with((c) => checksumCells(c, rs, undefined, slice)),
        );
        const cells = mergeCells(parts);
        return { ...base, rows: cells.reduce((n, c) => n + c.rows, 0), spec, cells: cells.map(encodeCell) };
      } catch (error) {
        if (isUnreachable(error)) throw error;
        return { ...base, rows: 0, uncomparable: reasonOf(error), cells: [] };
      }
    });
    entries.sort((a, b) => a.table.localeCompare(b.table));
    // The manifest's time is when its scans began: a row changed during or after them is drift.
    return { format: MANIFEST_FORMAT, recordedAt: started, server, schema, tables: entries };
  } finally {
    await pool.close();
    await sql.close();
  }
}

function encodeCell(c: CellSum): string[] {
  return [
    c.chunk.toString(),
    c.cell.toString(),
    String(c.rows),
    c.sum.toString(),
    c.newest === undefined ? "" : String(c.newest),
    ...c.parts.map(String),
    ...c.products.map(String),
  ];
}

/** Cell sums of a manifest table. */
export function decodeCells(t: ManifestTable): CellSum[] {
  return t.cells.map((r) => {
    const n = (r.length - 5) / 2;
    const c: CellSum = {
      chunk: BigInt(r[0]!),
      cell: BigInt(r[1]!),
      rows: Number(r[2]),
      sum: BigInt(r[3]!),
      parts: r.slice(5, 5 + n).map(BigInt),
      products: r.slice(5 + n).map(BigInt),
    };
    if (r[4] !== "") c.newest = Number(r[4]);
    return c;
  });
}

/**
 * Checks that a value is a manifest of this format (it may come from a file or the run store's
 * JSON); throws `config.invalid` naming what is wrong.
 */
export function parseManifest(value: unknown, source = "the manifest"): Manifest {
  const m = value as Partial<Manifest> | null;
  const bad = (what: string) =>
    new PilotlightError("config.invalid", `${source} is not a pilotlight manifest: ${what}`, {
      source: "user",
      hint: "record one with `pilotlight manifest record` (manifests of older pilotlight versions are recorded again)",
    });
  if (typeof m !== "object" || m === null) throw bad("not a JSON object");
  if (m.format !== MANIFEST_FORMAT)
    throw bad(`format ${JSON.stringify(m.format ?? null)}, expected ${MANIFEST_FORMAT}`);
  if (
    typeof m.recordedAt !== "number" ||
    typeof m.server?.versionNum !== "number" ||
    !Array.isArray(m.schema?.items) ||
    !Array.isArray(m.tables)
  )
    throw bad("recordedAt, server, schema or tables missing");
  for (const t of m.tables) {
    if (typeof t.schema !== "string" || typeof t.name !== "string" || !Array.isArray(t.cells))
      throw bad(`table ${JSON.stringify(t.table)} is malformed`);
  }
  return m as Manifest;
}
