import type {
  RowHashMethod,
  ServerInfo,
  TableResult,
  ValidateOptions,
  ValidationResult,
  Validator,
} from "../../automation/ports/validator";
import type { SqlClient } from "../../automation/ports/sql";
import { listTables, quoteIdent, quoteRel, type TableInfo } from "./catalog";
import { regionId } from "./cells";
import { checksumSlice, chunksOfCells, differingChunks, mergeChunks, sliceUnits, type ChunkSum } from "./checksum";
import { connectionPool, mapPooled, type ConnectionPool } from "./connections";
import { Findings } from "./findings";
import { fingerprintSchema, inspectServer, majorOf, schemaDifferences, type SchemaFingerprint } from "./inspect";
import { localizeLive, localizeManifest, type ManifestCells } from "./localize";
import {
  decodeCells,
  defaultMethod,
  parseManifest,
  recordManifest,
  SLICES_PER_CONNECTION,
  type Manifest,
  type ManifestTable,
} from "./manifest";
import { queryPinned } from "./pinned";
import { RowSql } from "./row-sql";
import { columnMismatch, configFor, planSpec, type TableConfig, type TableSpec } from "./spec";
import { isUnreachable, reasonOf } from "./sql-errors";

export type { Manifest };
export { recordManifest };

/** What a table is compared with. */
type Reference = { kind: "manifest"; table: ManifestTable } | { kind: "live"; info: TableInfo } | { kind: "none" };

/** Everything one table's comparison needs. */
interface Job {
  display: string;
  actual?: TableInfo;
  /** Absent: the table exists only in the database under test. */
  reference?: Reference;
}

const noDifferences = () => ({ changed: 0, missing: 0, unexpected: 0, drift: 0 });
const noKeys = () => ({ changed: [], missing: [], unexpected: [], drift: [] });

function emptyResult(
  table: string,
  verdict: TableResult["verdict"],
  method: RowHashMethod,
  reason?: string,
  rows = 0,
): TableResult {
  const r: TableResult = {
    table,
    verdict,
    rows,
    counts: noDifferences(),
    driftByKind: { changed: 0, missing: 0, unexpected: 0 },
    keys: noKeys(),
    exact: verdict !== "uncomparable",
    method,
    ms: 0,
    rowsPerSecond: 0,
    mbPerSecond: 0,
  };
  if (reason !== undefined) r.reason = reason;
  return r;
}

/** Pass 1 of one side: every chunk's count and hash sum, block slices spread over the pool. */
async function checksumSide(pool: ConnectionPool, rs: RowSql, limit: number): Promise<ChunkSum[]> {
  const slices = sliceUnits(rs.side.units, limit * SLICES_PER_CONNECTION);
  return mergeChunks(await mapPooled(slices, limit, (slice) => pool.with((c) => checksumSlice(c, rs, slice))));
}

/**
 * Proves a (restored) database intact and fresh, inside PostgreSQL: schema fingerprint; per table
 * one scan of count and sum of mixed row hashes per chunk (tables in parallel, big tables cut in
 * block slices over a bounded pool); comparison with a manifest or the live reference under the
 * reference's spec (columns, key, chunking); differing chunks narrowed to exact keys; each
 * difference drift (written after the watermark) or damage. Never throws on what a database holds
 * — a table that cannot be compared is `uncomparable`, failing the result — only when a database
 * does not answer.
 */
export async function validateDatabase(o: ValidateOptions): Promise<ValidationResult> {
  const started = o.now();
  const limit = o.concurrency ?? 2;
  const emit = (message: string) => o.sink?.({ time: o.now(), level: "info", code: "step.progress", message });
  const sql = await o.open();
  const refSql =
    o.expect.kind === "live"
      ? await o.expect.open().catch(async (error: unknown) => {
          await sql.close();
          throw error;
        })
      : undefined;
  const act = connectionPool(o.open, limit);
  const ref = o.expect.kind === "live" ? connectionPool(o.expect.open, limit) : undefined;
  try {
    const server = await inspectServer(sql);
    const schema = await fingerprintSchema(sql);
    const actualTables = await listTables(sql);
    const hb = o.validation.heartbeat;
    const configured =
      hb === undefined ? o.validation.tables : [...o.validation.tables, { name: hb.table, updatedAt: hb.column }];
    let expectedSchema: SchemaFingerprint | undefined;
    let refServer: ServerInfo | undefined;
    const jobs = new Map<string, Job>();
    const id = (t: { schema: string; name: string }) => JSON.stringify([t.schema, t.name]);
    let manifest: Manifest | undefined;
    if (o.expect.kind === "manifest") {
      manifest = parseManifest(o.expect.manifest);
      expectedSchema = manifest.schema;
      refServer = manifest.server;
      for (const t of manifest.tables) jobs.set(id(t), { display: t.table, reference: { kind: "manifest", table: t } });
    } else if (refSql !== undefined) {
      refServer = await inspectServer(refSql);
      expectedSchema = await fingerprintSchema(refSql);
      for (const t of await listTables(refSql))
        jobs.set(id(t), { display: t.display, reference: { kind: "live", info: t } });
    }
    for (const t of actualTables) {
      const j = jobs.get(id(t));
      if (j !== undefined) j.actual = t;
      else
        jobs.set(
          id(t),
          o.expect.kind === "none"
            ? { display: t.display, actual: t, reference: { kind: "none" } }
            : { display: t.display, actual: t },
        );
    }
    const differences = expectedSchema === undefined ? [] : schemaDifferences(expectedSchema, schema);
    // Internal hashes only when both sides run the same major version (they may change between majors).
    const sameMajor = refServer === undefined || majorOf(refServer.versionNum) === majorOf(server.versionNum);
    const liveMethod: RowHashMethod =
      !sameMajor || o.method === "md5"
        ? "md5"
        : defaultMethod(server, refServer === undefined ? o.method : defaultMethod(refServer, o.method));
    const watermark = o.expect.kind === "none" ? undefined : o.expect.watermark;
    const ordered = [...jobs.values()].sort(
      (a, b) => (b.actual?.bytes ?? 0) - (a.actual?.bytes ?? 0) || a.display.localeCompare(b.display),
    );
    const results = await mapPooled(ordered, limit, async (job): Promise<TableResult> => {
      const t0 = o.now();
      const r = await compareTable(job);
      r.ms = o.now() - t0;
      const seconds = Math.max(r.ms, 1) / 1000;
      r.rowsPerSecond = Math.round(r.rows / seconds);
      r.mbPerSecond = Math.round(((job.actual?.bytes ?? 0) / 1e6 / seconds) * 10) / 10;
      emit(`validated ${r.table}: ${r.rows} rows in ${r.ms} ms, ${r.verdict}`);
      return r;
    });

    async function compareTable(job: Job): Promise<TableResult> {
      if (job.actual === undefined) return emptyResult(job.display, "missing", liveMethod);
      if (job.reference === undefined)
        return emptyResult(job.display, "unexpected", liveMethod, undefined, await countRows(job.actual));
      const actual = job.actual;
      const reference = job.reference;
      let spec: TableSpec;
      let expectedCells: ManifestCells | undefined;
      let expected: ChunkSum[] | undefined;
      try {
        if (reference.kind === "manifest") {
          const m = reference.table;
          if (m.spec === undefined)
            return emptyResult(
              job.display,
              "uncomparable",
              liveMethod,
              `the manifest could not read it: ${m.uncomparable ?? "no spec"}`,
            );
          spec = m.spec;
          if (spec.method === "hash" && !sameMajor) {
            return emptyResult(
              job.display,
              "uncomparable",
              spec.method,
              `the manifest hashed it with PostgreSQL ${majorOf(refServer!.versionNum)}'s internal hashes; ` +
                `this server is PostgreSQL ${majorOf(server.versionNum)}: record a manifest with the portable md5 method`,
            );
          }
          const cells = decodeCells(m);
          expectedCells = new Map(
            cells.map((c) => [regionId({ chunk: c.chunk, bits: spec.cellBits, cell: c.cell }), c]),
          );
          expected = chunksOfCells(cells);
        } else {
          const conf: TableConfig | undefined = configFor(configured, actual);
          const refInfo = reference.kind === "live" ? reference.info : actual;
          const planned = await (ref ?? act).with((c) => planSpec(c, refInfo, conf, liveMethod));
          if ("reason" in planned) return emptyResult(job.display, "uncomparable", liveMethod, planned.reason);
          spec = planned;
        }
        const mismatch = columnMismatch(spec, actual);
        if (mismatch !== undefined) return emptyResult(job.display, "uncomparable", spec.method, mismatch);
        const rsAct = new RowSql(spec, actual);
        const rsRef = reference.kind === "live" && ref !== undefined ? new RowSql(spec, reference.info) : undefined;
        const [actualSums, refSums] = await Promise.all([
          checksumSide(act, rsAct, limit),
          rsRef === undefined || ref === undefined ? Promise.resolve(expected) : checksumSide(ref, rsRef, limit),
        ]);
        const findings = new Findings();
        if (refSums !== undefined) {
          const chunks = differingChunks(refSums, actualSums);
          if (chunks.length > 0) {
            if (rsRef !== undefined && ref !== undefined)
              await localizeLive(ref, act, rsRef, rsAct, chunks, watermark, findings);
            else if (expectedCells !== undefined)
              await localizeManifest(act, rsAct, expectedCells, chunks, watermark, findings);
            // Sums differed but no key did: a hash sum is exact, so this cannot be equal.
            if (!findings.any) findings.unresolved("changed", 0, "chunk sums differ but no differing row was found");
          }
        }
        const rows = actualSums.reduce((n, c) => n + c.rows, 0);
        const verdict: TableResult["verdict"] = findings.damaged ? "damaged" : findings.any ? "drift" : "ok";
        const result: TableResult = {
          table: job.display,
          verdict,
          rows,
          counts: findings.counts,
          driftByKind: findings.driftByKind,
          keys: findings.keys,
          exact: findings.exact,
          method: spec.method,
          ms: 0,
          rowsPerSecond: 0,
          mbPerSecond: 0,
        };
        const unnamed = findings.unnamedIn.length === 0 ? [] : [`not named: ${findings.unnamedIn.join(", ")}`];
        if (findings.notes.length > 0) result.reason = [...findings.notes, ...unnamed].join("; ");
        const newest = Math.max(...actualSums.map((c) => c.newest ?? Number.NEGATIVE_INFINITY));
        if (Number.isFinite(newest)) result.newestRowAt = newest;
        return result;
      } catch (error) {
        if (isUnreachable(error)) throw error;
        return emptyResult(job.display, "uncomparable", liveMethod, reasonOf(error));
      }
    }

    async function countRows(info: TableInfo): Promise<number> {
      try {
        const rows = await act.with((c) =>
          queryPinned<{ n: string }>(c, `SELECT count(*)::text AS n FROM ${quoteRel(info.schema, info.name)}`),
        );
        return Number(rows[0]?.n ?? 0);
      } catch (error) {
        if (isUnreachable(error)) throw error;
        return 0;
      }
    }

    results.sort((a, b) => a.table.localeCompare(b.table));
    const newestHeartbeatAt = await heartbeat(sql, o);
    const failing = results.filter((t) => t.verdict !== "ok" && t.verdict !== "drift");
    const ok = differences.length === 0 && failing.length === 0;
    const result: ValidationResult = {
      ok,
      server,
      schema: { ok: differences.length === 0, differences },
      tables: results,
      ms: o.now() - started,
      summary: summarize(ok, results, differences),
    };
    if (newestHeartbeatAt !== undefined) result.newestHeartbeatAt = newestHeartbeatAt;
    return result;
  } finally {
    await act.close();
    await ref?.close();
    await sql.close();
    await refSql?.close();
  }
}

/** Newest heartbeat (before `asOf`), or undefined when there is none or it cannot be read. */
async function heartbeat(sql: SqlClient, o: ValidateOptions): Promise<number | undefined> {
  const h = o.validation.heartbeat;
  if (h === undefined) return undefined;
  const [schema, table] = h.table.includes(".") ? (h.table.split(".", 2) as [string, string]) : ["public", h.table];
  try {
    const rows = await queryPinned<{ beat: string | null }>(
      sql,
      `SELECT ${RowSql.epochMs(`max(${quoteIdent(h.column)})`)} AS beat FROM ${quoteRel(schema, table)}` +
        (o.asOf === undefined ? "" : ` WHERE ${quoteIdent(h.column)} <= to_timestamp($1::float8 / 1000)`),
      o.asOf === undefined ? [] : [o.asOf],
    );
    return rows[0]?.beat === null || rows[0]?.beat === undefined ? undefined : Number(rows[0].beat);
  } catch (error) {
    if (isUnreachable(error)) throw error;
    return undefined;
  }
}

/** A one-line summary: the counts and first keys per failing table, never a wall of ranges. */
function summarize(ok: boolean, results: TableResult[], differences: string[]): string {
  if (ok) {
    const drift = results.filter((t) => t.verdict === "drift");
    const late = drift.length > 0 ? ` (drift after the watermark in ${drift.map((t) => t.table).join(", ")})` : "";
    return `data intact: ${results.length} tables, ${results.reduce((n, t) => n + t.rows, 0)} rows${late}`;
  }
  const parts: string[] = [];
  if (differences.length > 0)
    parts.push(`schema differs (${differences.length}): ${differences.slice(0, 3).join("; ")}`);
  for (const t of results) {
    if (t.verdict === "ok" || t.verdict === "drift") continue;
    if (t.verdict !== "damaged") {
      parts.push(`${t.table} ${t.verdict}${t.reason === undefined ? "" : ` (${t.reason})`}`);
      continue;
    }
    const kinds = (["changed", "missing", "unexpected"] as const)
      .filter((k) => t.counts[k] > 0)
      .map((k) => {
        const first = t.keys[k].slice(0, 3).join(", ");
        return `${t.counts[k]} ${k}${first === "" ? "" : ` (${first}${t.counts[k] > 3 ? ", …" : ""})`}`;
      });
    const where = t.exact ? "" : (t.reason?.match(/not named: (.*)$/)?.[1] ?? "");
    const at = where === "" ? "" : ` in ${where}`;
    parts.push(`${t.table} damaged: ${t.exact ? "" : "at least "}${kinds.join(", ")}${at}`);
  }
  return parts.join("; ");
}

/** The SQL validator the composition root injects into runbooks (`RunbookPorts.validator`). */
export const sqlValidator: Validator = { validate: validateDatabase, recordManifest };
