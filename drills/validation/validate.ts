import type { SqlClient } from "../../automation/store/sql";
import type { Expectation, Mismatch, RecordedManifest, RecordManifestOptions, ServerInfo, TableResult, ValidateOptions, ValidationResult, Validator } from "../../automation/ports/validator";
import { checksumTableSliced, differingChunks, planChunks, usableMethod, type ChunkPlan, type RowHashMethod, type TableChecksum } from "./checksum";
import { fingerprintSchema, inspectServer, listTables, schemaDifferences, type SchemaFingerprint, type TableInfo } from "./inspect";
import { chunkRange, localizeChunk } from "./localize";

/** A manifest recorded on the primary (`pilotlight manifest record`): what a restore must hold. */
export interface Manifest extends RecordedManifest {
  recordedAt: number;
  server: ServerInfo;
  schema: SchemaFingerprint;
  tables: TableChecksum[];
}

export type { Expectation, Mismatch, TableResult, ValidateOptions, ValidationResult };

/**
 * Block slices per connection of the pool: a big table is cut finer than the pool is wide, so
 * that a connection finishing a small table picks up the big one's remaining slices instead of
 * leaving a core idle (the bench measured a 0.3 s tail with one slice per connection).
 */
const SLICES_PER_CONNECTION = 4;

/** Largest tables first: the pool's tail is a small table, not a big one. */
const biggestFirst = (tables: TableInfo[]) => [...tables].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));

/** Lends at most `limit` connections at a time from `open`; connections are reused, closed at the end. */
function connections(open: () => Promise<SqlClient>, limit: number) {
  const idle: SqlClient[] = [];
  const all: SqlClient[] = [];
  const waiting: Array<() => void> = [];
  let busy = 0;
  const acquire = async (): Promise<SqlClient> => {
    while (busy >= limit) await new Promise<void>((r) => waiting.push(r));
    busy++;
    const c = idle.pop();
    if (c !== undefined) return c;
    try {
      const fresh = await open();
      all.push(fresh);
      return fresh;
    } catch (error) {
      busy--;
      waiting.shift()?.();
      throw error;
    }
  };
  const release = (c: SqlClient) => {
    idle.push(c);
    busy--;
    waiting.shift()?.();
  };
  return {
    async with<T>(fn: (sql: SqlClient) => Promise<T>): Promise<T> {
      const c = await acquire();
      try {
        return await fn(c);
      } finally {
        release(c);
      }
    },
    async close(): Promise<void> {
      await Promise.all(all.map((c) => c.close()));
    },
  };
}

/** Runs `fn` over `items` with at most `limit` at a time; constant memory per worker. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, worker: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async (_, worker) => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!, worker);
      }
    }),
  );
  return out;
}

/** Records a manifest of the database: server, schema fingerprint, every table's chunk checksums. */
export async function recordManifest(o: RecordManifestOptions): Promise<Manifest> {
  const started = o.now();
  const sql = await o.open();
  try {
    const server = await inspectServer(sql);
    const schema = await fingerprintSchema(sql);
    const tables = await listTables(sql, o.validation.tables);
    const limit = o.concurrency ?? 2;
    const conns = connections(o.open, limit);
    try {
      const sums = await pool(biggestFirst(tables), limit, async (info) => {
        const [plan, method] = await conns.with(async (c) => [await planChunks(c, info), await usableMethod(c, info, o.method ?? "hash")] as const);
        return checksumTableSliced((fn) => conns.with(fn), info, plan, method, o.now, limit * SLICES_PER_CONNECTION);
      });
      // The manifest's time is when its scans began: a row changed during or after them is drift.
      return { recordedAt: started, server, schema, tables: sums };
    } finally {
      await conns.close();
    }
  } finally {
    await sql.close();
  }
}

/**
 * Proves a (restored) database intact and fresh, inside PostgreSQL: connectivity and version,
 * schema fingerprint, per-table chunked checksums in one scan each (tables in parallel on a
 * bounded pool), comparison with a manifest or the live primary, localisation of differing chunks
 * (to keys when the primary is live), drift vs damage, freshness from the data, custom checks.
 */
export async function validateDatabase(o: ValidateOptions): Promise<ValidationResult> {
  const started = o.now();
  const emit = (message: string, data?: Record<string, never>) =>
    o.sink?.({ time: o.now(), level: "info", code: "step.progress", message, ...(data === undefined ? {} : { data }) });
  const sql = await o.open();
  const reference = o.expect.kind === "live" ? await o.expect.open() : undefined;
  try {
    const server = await inspectServer(sql);
    const schema = await fingerprintSchema(sql);
    // The heartbeat table's time column tells drift from damage like any updated_at.
    const hb = o.validation.heartbeat;
    const tables = await listTables(sql, hb === undefined ? o.validation.tables : [...o.validation.tables, { name: hb.table, updatedAt: hb.column }]);
    let expectedSchema: SchemaFingerprint | undefined;
    let expectedSums = new Map<string, TableChecksum>();
    let refServer: ServerInfo | undefined;
    if (o.expect.kind === "manifest") {
      // A manifest comes from recordManifest (possibly through the run store's JSON).
      const manifest = o.expect.manifest as Manifest;
      expectedSchema = manifest.schema;
      refServer = manifest.server;
      expectedSums = new Map(manifest.tables.map((t) => [t.table, t]));
    } else if (reference !== undefined) {
      refServer = await inspectServer(reference);
      expectedSchema = await fingerprintSchema(reference);
    }
    const differences = expectedSchema === undefined ? [] : schemaDifferences(expectedSchema, schema);
    // Internal hashes only when both sides run the same server version.
    const sameVersion = refServer === undefined || refServer.versionNum === server.versionNum;
    const wanted: RowHashMethod = o.method === "md5" || !sameVersion ? "md5" : "hash";
    const watermark = o.expect.kind === "none" ? undefined : o.expect.watermark;
    const names = new Set(tables.map((t) => t.name));
    const limit = o.concurrency ?? 2;
    const conns = connections(o.open, limit);
    const refConns = o.expect.kind === "live" ? connections(o.expect.open, limit) : undefined;
    const results: TableResult[] = await pool(biggestFirst(tables), limit, async (info) => {
      const c = await o.open();
      const ref = o.expect.kind === "live" ? await o.expect.open() : undefined;
      try {
        const manifestSum = expectedSums.get(info.name);
        const method: RowHashMethod = manifestSum?.method ?? (await usableMethod(ref ?? c, info, wanted));
        const plan: ChunkPlan = manifestSum?.plan ?? (await planChunks(ref ?? c, info));
        const [actual, expected] = await Promise.all([
          checksumTableSliced((fn) => conns.with(fn), info, plan, method, o.now, limit * SLICES_PER_CONNECTION),
          refConns === undefined ? Promise.resolve(manifestSum) : checksumTableSliced((fn) => refConns.with(fn), info, plan, method, o.now, limit * SLICES_PER_CONNECTION),
        ]);
        const mismatches: Mismatch[] = [];
        if (expected !== undefined) {
          for (const d of differingChunks(expected, actual)) {
            const m: Mismatch = { table: info.name, chunk: d.chunk, kind: "damage" };
            const range = chunkRange(plan, d.chunk);
            if (range !== undefined) m.range = range;
            if (d.expected !== undefined) m.expected = { rows: d.expected.rows, sum: d.expected.sum };
            if (d.actual !== undefined) m.actual = { rows: d.actual.rows, sum: d.actual.sum };
            if (ref !== undefined) {
              m.keys = await localizeChunk(ref, c, info, plan, method, d.chunk, watermark);
              const total = m.keys.counts.missing + m.keys.counts.extra + m.keys.counts.changed;
              if (watermark !== undefined && total > 0 && m.keys.counts.drifted === total) m.kind = "drift";
            } else if (watermark !== undefined && ((d.actual?.newest ?? 0) >= watermark || (d.expected?.newest ?? 0) >= watermark) && (d.actual?.rows ?? 0) >= (d.expected?.rows ?? 0)) {
              // Manifest mode: the chunk holds rows changed after the manifest/recovery point. Such
              // rows explain a different checksum and more rows (inserts), never fewer: a row that
              // vanished leaves no updated_at behind, so a shrunken chunk stays damage.
              m.kind = "drift";
            }
            mismatches.push(m);
          }
        }
        const seconds = Math.max(actual.ms, 1) / 1000;
        const verdict: TableResult["verdict"] = mismatches.some((m) => m.kind === "damage") ? "damaged" : mismatches.length > 0 ? "drift" : "ok";
        const r: TableResult = {
          table: info.name,
          rows: actual.rows,
          chunks: actual.chunks.length,
          method,
          ms: actual.ms,
          rowsPerSecond: Math.round(actual.rows / seconds),
          mbPerSecond: Math.round((info.bytes / 1e6 / seconds) * 10) / 10,
          verdict,
          mismatches,
        };
        if (actual.newestRowAt !== undefined) r.newestRowAt = actual.newestRowAt;
        emit(`validated ${info.name}: ${r.rows} rows in ${r.ms} ms, ${verdict}`);
        return r;
      } finally {
        await c.close();
        await ref?.close();
      }
    });
    await conns.close();
    await refConns?.close();
    // Tables the reference has and the restore lacks.
    for (const t of expectedSums.keys()) if (!names.has(t)) results.push({ table: t, rows: 0, chunks: 0, method: "md5", ms: 0, rowsPerSecond: 0, mbPerSecond: 0, verdict: "missing", mismatches: [] });
    let newestHeartbeatAt: number | undefined;
    if (o.validation.heartbeat !== undefined) {
      const h = o.validation.heartbeat;
      const { rows } = await sql.query<{ beat: string | Date | null }>(
        `SELECT max("${h.column}") AS beat FROM ${h.table.split(".").map((p) => `"${p}"`).join(".")}${o.asOf === undefined ? "" : ` WHERE "${h.column}" <= $1::timestamptz`}`,
        o.asOf === undefined ? [] : [new Date(o.asOf).toISOString()],
      );
      if (rows[0]?.beat !== null && rows[0]?.beat !== undefined) newestHeartbeatAt = new Date(rows[0].beat).getTime();
    }
    const ok = differences.length === 0 && results.every((t) => t.verdict === "ok" || t.verdict === "drift");
    const damaged = results.filter((t) => t.verdict === "damaged" || t.verdict === "missing");
    const summary = ok
      ? `data intact: ${results.length} tables, ${results.reduce((n, t) => n + t.rows, 0)} rows${results.some((t) => t.verdict === "drift") ? " (drift after the watermark reported)" : ""}`
      : [
          ...(differences.length > 0 ? [`schema differs (${differences.length}): ${differences.slice(0, 3).join("; ")}`] : []),
          ...damaged.map((t) => `${t.table} ${t.verdict}${t.mismatches.filter((m) => m.kind === "damage").map((m) => (m.range === undefined ? ` chunk ${m.chunk}` : ` keys ${m.range.from}..${m.range.to}`)).join(",")}`),
        ].join("; ");
    const result: ValidationResult = { ok, server, schema: { ok: differences.length === 0, differences }, tables: results, ms: o.now() - started, summary };
    if (newestHeartbeatAt !== undefined) result.newestHeartbeatAt = newestHeartbeatAt;
    return result;
  } finally {
    await sql.close();
    await reference?.close();
  }
}

export type { TableInfo };

/** The SQL validator the composition root injects into runbooks (`RunbookPorts.validator`). */
export const sqlValidator: Validator = { validate: validateDatabase, recordManifest };
