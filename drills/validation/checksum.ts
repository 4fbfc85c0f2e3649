import type { SqlClient } from "../../automation/ports/sql";
import type { ScanUnit } from "./catalog";
import { queryPinned } from "./pinned";
import { RowSql } from "./row-sql";

/**
 * Aggregate of one chunk: row count, sum of mixed 64-bit row hashes (exact, no wrap-around: a
 * row present twice adds twice, nothing cancels), newest `updatedAt`.
 */
export interface ChunkSum {
  chunk: bigint;
  rows: number;
  sum: bigint;
  newest?: number;
}

/**
 * Aggregate of one cell (a chunk cut finer by the key's hash): count and hash sum as for a chunk,
 * and per key part `k` the sums Σk and Σk·h — from which a cell that differs by one row names
 * that row's key (see `decode.ts`).
 */
export interface CellSum {
  chunk: bigint;
  cell: bigint;
  rows: number;
  sum: bigint;
  parts: bigint[];
  products: bigint[];
  /** Newest `updatedAt` of the cell's rows, epoch ms. */
  newest?: number;
}

/** A slice of a unit's blocks (a TID range scan), or the whole unit. */
export interface Slice {
  unit: ScanUnit;
  where?: string;
}

/**
 * Cuts each unit into block slices so that a pool of connections shares a big table (every page
 * read once); a unit smaller than two slices' worth is one slice.
 */
export function sliceUnits(units: ScanUnit[], slicesPerUnit: number, minPagesPerSlice = 1024): Slice[] {
  return units.flatMap((unit): Slice[] => {
    const n = Math.max(1, Math.min(slicesPerUnit, Math.floor(unit.pages / minPagesPerSlice)));
    if (n === 1) return [{ unit }];
    const step = Math.ceil(unit.pages / n);
    return Array.from({ length: n }, (_, i) => ({
      unit,
      where:
        i === n - 1
          ? `t.ctid >= '(${i * step},0)'::tid`
          : `t.ctid >= '(${i * step},0)'::tid AND t.ctid < '(${(i + 1) * step},0)'::tid`,
    }));
  });
}

/**
 * Every chunk's count, hash sum and newest update over one slice in one sequential scan: a hash
 * aggregate, no sort, no index. Memory on the client is one row per chunk.
 */
export async function checksumSlice(sql: SqlClient, rs: RowSql, slice: Slice): Promise<ChunkSum[]> {
  const u = rs.spec.updatedAt === undefined ? "NULL::text" : RowSql.epochMs("max(x.u)");
  const grouped =
    `SELECT ${rs.chunk()} AS c, count(*) AS n, sum(${rs.mixed()}) AS s, ${u} AS u ` +
    `FROM (${rs.inner(slice.unit, slice.where)}) x GROUP BY 1`;
  const rows = await queryPinned<{ c: string; n: string; s: string; u: string | null }>(
    sql,
    `SELECT g.c::text AS c, g.n::text AS n, g.s::text AS s, g.u FROM (${grouped}) g`,
  );
  return rows.map((r) => {
    const c: ChunkSum = { chunk: BigInt(r.c), rows: Number(r.n), sum: BigInt(r.s) };
    if (r.u !== null) c.newest = Number(r.u);
    return c;
  });
}

/** Adds chunk sums of disjoint slices (sums add: a table's chunks are the sums of its slices'). */
export function mergeChunks(parts: ChunkSum[][]): ChunkSum[] {
  const by = new Map<bigint, ChunkSum>();
  for (const list of parts) {
    for (const c of list) {
      const m = by.get(c.chunk);
      if (m === undefined) by.set(c.chunk, { ...c });
      else {
        m.rows += c.rows;
        m.sum += c.sum;
        if (c.newest !== undefined) m.newest = Math.max(m.newest ?? c.newest, c.newest);
      }
    }
  }
  return [...by.values()].sort((a, b) => (a.chunk < b.chunk ? -1 : a.chunk > b.chunk ? 1 : 0));
}

/**
 * Cell sums with key-part moments, of some chunks (all when `chunks` is undefined), over one slice
 * or over every unit of the table.
 */
export async function checksumCells(
  sql: SqlClient,
  rs: RowSql,
  chunks: bigint[] | undefined,
  slice?: Slice,
): Promise<CellSum[]> {
  const parts = rs.parts();
  const where = chunks === undefined ? slice?.where : rs.restrictTo(chunks);
  const inner =
    slice === undefined ? rs.innerAll(where, rs.partColumns()) : rs.inner(slice.unit, where, rs.partColumns());
  const u = rs.spec.updatedAt === undefined ? "" : ", x.u";
  const partCols = parts.map((p, i) => `, ${p} AS p${i}`).join("");
  const cell = rs.cell(rs.spec.cellBits);
  const mid = `SELECT ${rs.chunk()} AS c, ${cell} AS cell, ${rs.mixed()} AS m${u}${partCols} FROM (${inner}) x OFFSET 0`;
  const filter = chunks === undefined ? "" : ` WHERE y.c = ANY('{${chunks.join(",")}}'::int8[])`;
  const sums = parts
    .map((_, i) => `, sum(y.p${i})::text AS k${i}, sum(y.p${i}::numeric * y.m)::text AS q${i}`)
    .join("");
  const newest = rs.spec.updatedAt === undefined ? "NULL::text" : RowSql.epochMs("max(y.u)");
  const rows = await queryPinned<Record<string, string | null>>(
    sql,
    `SELECT y.c::text AS c, y.cell::text AS cell, count(*)::text AS n, sum(y.m)::text AS s, ${newest} AS u${sums}
       FROM (${mid}) y${filter} GROUP BY y.c, y.cell`,
  );
  return rows.map((r) => {
    const c: CellSum = {
      chunk: BigInt(r["c"]!),
      cell: BigInt(r["cell"]!),
      rows: Number(r["n"]),
      sum: BigInt(r["s"]!),
      parts: parts.map((_, i) => BigInt(r[`k${i}`]!)),
      products: parts.map((_, i) => BigInt(r[`q${i}`]!)),
    };
    if (r["u"] !== null && r["u"] !== undefined) c.newest = Number(r["u"]);
    return c;
  });
}

/** Adds the cell sums of disjoint slices. */
export function mergeCells(parts: CellSum[][]): CellSum[] {
  const by = new Map<string, CellSum>();
  for (const list of parts) {
    for (const c of list) {
      const id = `${c.chunk}:${c.cell}`;
      const m = by.get(id);
      if (m === undefined) by.set(id, { ...c, parts: [...c.parts], products: [...c.products] });
      else {
        m.rows += c.rows;
        m.sum += c.sum;
        m.parts = m.parts.map((p, i) => p + c.parts[i]!);
        m.products = m.products.map((p, i) => p + c.products[i]!);
        if (c.newest !== undefined) m.newest = Math.max(m.newest ?? c.newest, c.newest);
      }
    }
  }
  return [...by.values()].sort((a, b) =>
    a.chunk !== b.chunk ? (a.chunk < b.chunk ? -1 : 1) : a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : 0,
  );
}

/** Chunk sums derived from cell sums (a manifest keeps cells; validation compares chunks first). */
export function chunksOfCells(cells: CellSum[]): ChunkSum[] {
  return mergeChunks([
    cells.map((c) => {
      const s: ChunkSum = { chunk: c.chunk, rows: c.rows, sum: c.sum };
      if (c.newest !== undefined) s.newest = c.newest;
      return s;
    }),
  ]);
}

/** Chunks whose count or hash sum differ, present on either side, in order. */
export function differingChunks(expected: ChunkSum[], actual: ChunkSum[]): bigint[] {
  const e = new Map(expected.map((c) => [c.chunk, c]));
  const a = new Map(actual.map((c) => [c.chunk, c]));
  const out: bigint[] = [];
  for (const chunk of new Set([...e.keys(), ...a.keys()])) {
    const x = e.get(chunk);
    const y = a.get(chunk);
    if (x === undefined || y === undefined || x.rows !== y.rows || x.sum !== y.sum) out.push(chunk);
  }
  return out.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}
