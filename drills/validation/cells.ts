import type { SqlClient } from "../../automation/ports/sql";
import { queryPinned } from "./pinned";
import { RowSql } from "./row-sql";

/** A region of a table: a chunk, or one cell of a chunk at some resolution (bits). */
export interface Region {
  chunk: bigint;
  bits: number;
  cell: bigint;
}

/** Count and hash sum of a region. */
export interface RegionSum {
  rows: number;
  sum: bigint;
}

/** `chunk:bits:cell`, a map key. */
export const regionId = (r: Region) => `${r.chunk}:${r.bits}:${r.cell}`;

/**
 * Counts and hash sums of the cells at `bits` inside some chunks: the step that narrows a
 * differing chunk (a restricted scan: the chunk's key range through the index for range plans).
 */
export async function cellSums(
  sql: SqlClient,
  rs: RowSql,
  chunks: bigint[],
  bits: number,
): Promise<Map<string, RegionSum>> {
  const inner = rs.innerAll(rs.restrictTo(chunks));
  const mid = `SELECT ${rs.chunk()} AS c, ${rs.cell(bits)} AS cell, ${rs.mixed()} AS m FROM (${inner}) x OFFSET 0`;
  const rows = await queryPinned<{ c: string; cell: string; n: string; s: string }>(
    sql,
    `SELECT y.c::text AS c, y.cell::text AS cell, count(*)::text AS n, sum(y.m)::text AS s FROM (${mid}) y
      WHERE y.c = ANY('{${chunks.join(",")}}'::int8[]) GROUP BY y.c, y.cell`,
  );
  return new Map(
    rows.map((r) => [
      regionId({ chunk: BigInt(r.c), bits, cell: BigInt(r.cell) }),
      { rows: Number(r.n), sum: BigInt(r.s) },
    ]),
  );
}

/** One row group of a region as a stream yields it: a key (or, keyless, a row hash) with one row hash. */
export interface RegionRow {
  chunk: bigint;
  cell: bigint;
  /** Keyed: the key's text. Keyless: the row hash. */
  key: string;
  /** The mixed row hash. */
  hash: bigint;
  /** How many rows have this key and hash (more than one: duplicates). */
  copies: number;
  /** Newest `updatedAt` of those rows, epoch ms. */
  updatedAt?: number;
  /** Key parts (manifest encoding), to match decoded cells. */
  parts: bigint[];
  /** Keyless: the row's text (a label for reports). */
  label?: string;
}

/** Rows fetched per page: memory stays bounded whatever a region holds. */
export const PAGE_ROWS = 5000;

/**
 * The rows of some regions (all at the same `bits`), ordered by chunk, cell, key and hash,
 * fetched page by page with keyset pagination — grouped by (key, hash) so that a page boundary
 * never splits identical rows. Both sides produce the same order, so two streams merge.
 */
export async function* regionRows(
  sql: SqlClient,
  rs: RowSql,
  regions: Region[],
  bits: number,
  pageRows = PAGE_ROWS,
): AsyncGenerator<RegionRow> {
  if (regions.length === 0) return;
  const keyed = rs.keyed;
  const parts = rs.parts();
  const chunks = [...new Set(regions.map((r) => r.chunk))];
  const extra = [...rs.partColumns(), keyed ? `${rs.keyText()} AS k` : `${rs.rowText()} AS r`];
  const byChunk = rs.restrictTo(chunks);
  const byCell = rs.restrictToCells(regions, bits);
  const where = [byChunk, byCell].filter((w): w is string => w !== undefined).join(" AND ");
  const inner = rs.innerAll(where === "" ? undefined : where, extra);
  const u = rs.spec.updatedAt === undefined ? "NULL::int8" : `floor(extract(epoch FROM x.u) * 1000)::int8`;
  const partCols = parts.map((p, i) => `, ${p} AS p${i}`).join("");
  const mid =
    `SELECT ${rs.chunk()} AS c, ${rs.cell(bits)} AS cell, ${rs.mixed()} AS m, ${keyed ? "x.k" : "NULL::text"} AS k, ` +
    `${keyed ? "NULL::text" : "x.r"} AS r, ${u} AS u${partCols} FROM (${inner}) x OFFSET 0`;
  const partMins = parts.map((_, i) => `, min(y.p${i}) AS p${i}`).join("");
  const grouped = `SELECT y.c, y.cell, ${keyed ? "y.k" : "y.m::text"} AS k, y.m, count(*) AS n, max(y.u) AS u,
    min(y.r) AS r${partMins}
    FROM (${mid}) y WHERE (y.c, y.cell) IN (SELECT * FROM unnest($1::int8[], $2::int8[]))
    GROUP BY y.c, y.cell, ${keyed ? "y.k, " : ""}y.m`;
  const order = `g.c, g.cell, g.k COLLATE pg_catalog."C", g.m`;
  const partTexts = parts.map((_, i) => `, g.p${i}::text AS p${i}`).join("");
  let after: [string, string, string, string] | undefined;
  const cs = regions.map((r) => r.chunk.toString());
  const cells = regions.map((r) => r.cell.toString());
  for (;;) {
    const params: unknown[] = [cs, cells];
    let where = "";
    if (after !== undefined) {
      params.push(...after);
      const last = `($3::int8, $4::int8, $5::text COLLATE pg_catalog."C", $6::int8)`;
      where = ` WHERE (g.c, g.cell, g.k COLLATE pg_catalog."C", g.m) > ${last}`;
    }
    const page = await queryPinned<Record<string, string | null>>(
      sql,
      `SELECT g.c::text AS c, g.cell::text AS cell, g.k, g.m::text AS m, g.n::text AS n, g.u::text AS u,
         g.r${partTexts}
         FROM (${grouped}) g${where} ORDER BY ${order} LIMIT ${pageRows}`,
      params,
    );
    for (const r of page) {
      const row: RegionRow = {
        chunk: BigInt(r["c"]!),
        cell: BigInt(r["cell"]!),
        key: r["k"]!,
        hash: BigInt(r["m"]!),
        copies: Number(r["n"]),
        parts: parts.map((_, i) => BigInt(r[`p${i}`]!)),
      };
      if (r["u"] !== null && r["u"] !== undefined) row.updatedAt = Number(r["u"]);
      if (r["r"] !== null && r["r"] !== undefined) row.label = r["r"];
      yield row;
    }
    if (page.length < pageRows) return;
    const last = page[page.length - 1]!;
    after = [last["c"]!, last["cell"]!, last["k"]!, last["m"]!];
  }
}
