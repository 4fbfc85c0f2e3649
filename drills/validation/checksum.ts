import type { RowHashMethod } from "../../automation/ports/validator";
import type { SqlClient } from "../../automation/store/sql";
import { quoteIdent, type TableInfo } from "./inspect";

/**
 * How a row is hashed. `hash`: `hash_record_extended(t.*, 0)` — the fastest, but internal and
 * version-dependent (use it only when both sides report the same `server_version_num`) and
 * undefined for types without a hash function (json). `md5`: the first 64 bits of md5 over the
 * row's text with pinned text settings — stable across versions, for manifests meant to last.
 */
export type { RowHashMethod };

/** How a table is cut into chunks; both sides must use the same plan. */
export type ChunkPlan = { kind: "range"; shift: number } | { kind: "hash"; bits: number };

/** Aggregate of one chunk: row count, order-independent XOR of row hashes, newest update. */
export interface ChunkSum {
  chunk: number;
  rows: number;
  sum: string;
  newest?: number;
}

/** A table's checksums. */
export interface TableChecksum {
  table: string;
  method: RowHashMethod;
  plan: ChunkPlan;
  rows: number;
  chunks: ChunkSum[];
  newestRowAt?: number;
  ms: number;
}

/** Settings pinned while text is hashed, so that both sides print values identically. */
export const PINNED_TEXT_SETTINGS = ["SET LOCAL TimeZone = 'UTC'", "SET LOCAL DateStyle = 'ISO, YMD'", "SET LOCAL IntervalStyle = 'postgres'", "SET LOCAL extra_float_digits = 1", "SET LOCAL bytea_output = 'hex'"];

/** Plan settings of the checksum scan: hash aggregate, no JIT. */
export const AGGREGATE_SETTINGS = ["SET LOCAL enable_sort = off", "SET LOCAL jit = off"];

/** SQL of a row's 64-bit hash. */
export function rowHashSql(method: RowHashMethod): string {
  return method === "hash" ? "hash_record_extended(t.*, 0)" : "('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint";
}

/** SQL of a row's chunk number under a plan. */
export function chunkSql(info: TableInfo, plan: ChunkPlan, method: RowHashMethod): string {
  if (plan.kind === "range") return `(${quoteIdent(info.key!)}::bigint >> ${plan.shift})`;
  const mask = 2 ** plan.bits - 1;
  if (info.keyKind === "none") return `(h & ${mask})`;
  const k = `${quoteIdent(info.key!)}::text`;
  return method === "hash" ? `(hashtextextended(${k}, 0) & ${mask})` : `(('x' || substr(md5(${k}), 1, 8))::bit(32)::int & ${mask})`;
}

/** The chunk plan for a table, from its key range and size (computed on the reference side). */
export async function planChunks(sql: SqlClient, info: TableInfo, targetRowsPerChunk = 100_000): Promise<ChunkPlan> {
  const { rows } = await sql.query<{ est: number }>(`SELECT greatest(reltuples, 0)::float8 AS est FROM pg_class WHERE oid = $1::regclass`, [quoteIdent(info.name)]);
  const est = Math.max(1, Number(rows[0]?.est ?? 1));
  // At least 64 chunks: a chunk that holds recent writes is classified as drift as a whole, so
  // small chunks keep damage from hiding behind unrelated recent writes.
  const chunks = Math.min(4096, Math.max(64, Math.ceil(est / targetRowsPerChunk)));
  if (info.keyKind === "integer") {
    // min/max of a primary key come from its index: no scan.
    const r = await sql.query<{ lo: string | null; hi: string | null }>(`SELECT min(${quoteIdent(info.key!)})::text AS lo, max(${quoteIdent(info.key!)})::text AS hi FROM ${quoteIdent(info.name)}`);
    const span = r.rows[0]?.lo === null ? 1 : Number(BigInt(r.rows[0]!.hi!) - BigInt(r.rows[0]!.lo!)) + 1;
    return { kind: "range", shift: Math.max(0, Math.ceil(Math.log2(Math.max(1, span / chunks)))) };
  }
  return { kind: "hash", bits: Math.max(0, Math.ceil(Math.log2(chunks))) };
}

/** The method a table can use: `hash` unless asked for md5 or a column type has no hash function. */
export async function usableMethod(sql: SqlClient, info: TableInfo, wanted: RowHashMethod): Promise<RowHashMethod> {
  if (wanted === "md5") return "md5";
  try {
    await sql.query(`SELECT hash_record_extended(t.*, 0) FROM ${quoteIdent(info.name)} t LIMIT 1`);
    return "hash";
  } catch {
    return "md5";
  }
}

/**
 * Every chunk's count, hash sum and newest update of a table in one sequential scan: a hash
 * aggregate, no sort, no index. Memory on the client is one row per chunk.
 */
export async function checksumTable(sql: SqlClient, info: TableInfo, plan: ChunkPlan, method: RowHashMethod, now: () => number, where?: string): Promise<TableChecksum> {
  const started = now();
  // Without an updated_at column there is nothing to aggregate for it (one transition less per row).
  const updated = info.updatedAt === undefined ? "" : `, ${quoteIdent(info.updatedAt)} AS u`;
  const inner = `SELECT ${rowHashSql(method)} AS h${updated}${info.keyKind === "none" ? "" : `, ${chunkSql(info, plan, method)} AS c`} FROM ${quoteIdent(info.name)} t${where === undefined ? "" : ` WHERE ${where}`}`;
  const chunkCol = info.keyKind === "none" ? chunkSql(info, plan, method) : "c";
  // count(*) with bit_xor of 64-bit row hashes: order-independent and cheaper than a numeric sum;
  // the count catches what XOR alone would cancel (a row present twice).
  const query = `SELECT ${chunkCol} AS chunk, count(*) AS n, bit_xor(h)::text AS s, ${updated === "" ? "NULL::timestamptz" : "max(u)"} AS newest FROM (${inner}) x GROUP BY 1`;
  const result = await sql.transaction(async (tx) => {
    if (method === "md5") for (const s of PINNED_TEXT_SETTINGS) await tx.query(s);
    // The planner cannot know that a chunk expression has few distinct values and would sort
    // every row for a GroupAggregate; a hash aggregate needs one entry per chunk. JIT compiling
    // the expensive-looking plan costs more than it saves on a single scan.
    for (const s of AGGREGATE_SETTINGS) await tx.query(s);
    return tx.query<{ chunk: string | number; n: string | number; s: string; newest: string | Date | null }>(query);
  });
  const chunks: ChunkSum[] = result.rows
    .map((r) => {
      const c: ChunkSum = { chunk: Number(r.chunk), rows: Number(r.n), sum: r.s };
      if (r.newest !== null) c.newest = new Date(r.newest).getTime();
      return c;
    })
    .sort((a, b) => a.chunk - b.chunk);
  const out: TableChecksum = { table: info.name, method, plan, rows: chunks.reduce((n, c) => n + c.rows, 0), chunks, ms: now() - started };
  const newest = Math.max(...chunks.map((c) => c.newest ?? Number.NEGATIVE_INFINITY));
  if (Number.isFinite(newest)) out.newestRowAt = newest;
  return out;
}

/** Chunks whose count or hash differ (present on either side). */
export function differingChunks(expected: TableChecksum, actual: TableChecksum): Array<{ chunk: number; expected?: ChunkSum; actual?: ChunkSum }> {
  const e = new Map(expected.chunks.map((c) => [c.chunk, c]));
  const a = new Map(actual.chunks.map((c) => [c.chunk, c]));
  const out: Array<{ chunk: number; expected?: ChunkSum; actual?: ChunkSum }> = [];
  for (const chunk of [...new Set([...e.keys(), ...a.keys()])].sort((x, y) => x - y)) {
    const x = e.get(chunk);
    const y = a.get(chunk);
    if (x === undefined || y === undefined || x.rows !== y.rows || x.sum !== y.sum) out.push({ chunk, ...(x === undefined ? {} : { expected: x }), ...(y === undefined ? {} : { actual: y }) });
  }
  return out;
}

/** Block ranges (`ctid` ranges) that cut a table into `slices` disjoint parts; the last is open-ended. */
export async function blockSlices(sql: SqlClient, info: TableInfo, slices: number, minPagesPerSlice = 1024): Promise<string[]> {
  const { rows } = await sql.query<{ pages: string | number }>(`SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int) AS pages`, [quoteIdent(info.name)]);
  const pages = Number(rows[0]?.pages ?? 0);
  const n = Math.max(1, Math.min(slices, Math.floor(pages / minPagesPerSlice)));
  if (n === 1) return [];
  const step = Math.ceil(pages / n);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? `t.ctid >= '(${i * step},0)'::tid` : `t.ctid >= '(${i * step},0)'::tid AND t.ctid < '(${(i + 1) * step},0)'::tid`));
}

/** Merges the checksums of disjoint slices of one table (XOR of the slices' XORs). */
export function mergeChecksums(parts: TableChecksum[], ms: number): TableChecksum {
  const byChunk = new Map<number, { rows: number; sum: bigint; newest?: number }>();
  for (const p of parts) {
    for (const c of p.chunks) {
      const m = byChunk.get(c.chunk) ?? { rows: 0, sum: 0n };
      m.rows += c.rows;
      m.sum ^= BigInt(c.sum);
      if (c.newest !== undefined) m.newest = Math.max(m.newest ?? c.newest, c.newest);
      byChunk.set(c.chunk, m);
    }
  }
  const chunks: ChunkSum[] = [...byChunk.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([chunk, m]) => ({ chunk, rows: m.rows, sum: m.sum.toString(), ...(m.newest === undefined ? {} : { newest: m.newest }) }));
  const first = parts[0]!;
  const out: TableChecksum = { table: first.table, method: first.method, plan: first.plan, rows: chunks.reduce((n, c) => n + c.rows, 0), chunks, ms };
  const newest = Math.max(...chunks.map((c) => c.newest ?? Number.NEGATIVE_INFINITY));
  if (Number.isFinite(newest)) out.newestRowAt = newest;
  return out;
}

/**
 * A table's checksums with its blocks split across the pool (a TID range scan per slice, so every
 * page is read once), merged on the client: both cores work, memory stays one row per chunk.
 */
export async function checksumTableSliced(
  withConnection: <T>(fn: (sql: SqlClient) => Promise<T>) => Promise<T>,
  info: TableInfo,
  plan: ChunkPlan,
  method: RowHashMethod,
  now: () => number,
  slices: number,
): Promise<TableChecksum> {
  const started = now();
  const ranges = await withConnection((sql) => blockSlices(sql, info, slices));
  if (ranges.length === 0) return withConnection((sql) => checksumTable(sql, info, plan, method, now));
  const parts = await Promise.all(ranges.map((where) => withConnection((sql) => checksumTable(sql, info, plan, method, now, where))));
  return mergeChecksums(parts, now() - started);
}
