import type { ConnectionPool } from "./connections";
import { cellSums, regionId, regionRows, type Region, type RegionRow, type RegionSum } from "./cells";
import type { CellSum } from "./checksum";
import { decodeCell, hex64, keyTextOfParts, type Decoded } from "./decode";
import type { Findings } from "./findings";
import type { RowSql } from "./row-sql";

/** A region is compared row by row once it holds at most this many rows on either side. */
const LEAF_ROWS = 2048;
/** Cell bits added per narrowing step (64 sub-cells). */
const STEP_BITS = 6;
/** Against a manifest, at most this many differing cells are named row by row; the rest are counted. */
const MAX_CELLS = 1000;
/** A keyless row is shown by its text, cut to this length. */
const LABEL_CHARS = 120;

const cellMask = (bits: number) => (1n << BigInt(bits)) - 1n;
const written = (u: number | undefined, watermark: number | undefined) =>
  watermark !== undefined && u !== undefined && u >= watermark;
const labelOf = (row: RegionRow) =>
  row.label === undefined
    ? row.key
    : row.label.length > LABEL_CHARS
      ? `${row.label.slice(0, LABEL_CHARS)}…`
      : row.label;

/**
 * Narrows differing chunks to exact keys against a live reference, deterministically: each
 * differing region is cut into 64 sub-cells by its key's hash and both sides aggregate them
 * (restricted scans), until a differing region holds at most {@link LEAF_ROWS} rows; then both
 * sides stream that region's `(key, row hash)` pairs in the same order, page by page, and a merge
 * names every differing key. Memory: one page per side.
 */
export async function localizeLive(
  ref: ConnectionPool,
  act: ConnectionPool,
  rsRef: RowSql,
  rsAct: RowSql,
  chunks: bigint[],
  watermark: number | undefined,
  findings: Findings,
): Promise<void> {
  const spec = rsRef.spec;
  const base = spec.plan.kind === "hash" ? spec.plan.bits : 0;
  const maxBits = 62 - base;
  let parents: Region[] = chunks.map((chunk) => ({ chunk, bits: 0, cell: 0n }));
  let bits = Math.min(maxBits, Math.max(spec.cellBits, 1));
  const leaves = new Map<number, Region[]>();
  while (parents.length > 0) {
    const parentBits = parents[0]!.bits;
    const ids = new Set(parents.map(regionId));
    const list = [...new Set(parents.map((p) => p.chunk))];
    const [e, a] = await Promise.all([
      ref.with((s) => cellSums(s, rsRef, list, bits)),
      act.with((s) => cellSums(s, rsAct, list, bits)),
    ]);
    const next: Region[] = [];
    for (const id of [...new Set([...e.keys(), ...a.keys()])].sort()) {
      const [c, , cell] = id.split(":");
      const r: Region = { chunk: BigInt(c!), bits, cell: BigInt(cell!) };
      if (!ids.has(regionId({ chunk: r.chunk, bits: parentBits, cell: r.cell & cellMask(parentBits) }))) continue;
      const x: RegionSum | undefined = e.get(id);
      const y: RegionSum | undefined = a.get(id);
      if (x !== undefined && y !== undefined && x.rows === y.rows && x.sum === y.sum) continue;
      const rows = Math.max(x?.rows ?? 0, y?.rows ?? 0);
      if (rows <= LEAF_ROWS || bits >= maxBits) leaves.set(bits, [...(leaves.get(bits) ?? []), r]);
      else next.push(r);
    }
    parents = next;
    bits = Math.min(maxBits, bits + STEP_BITS);
  }
  for (const [b, regions] of leaves) {
    await ref.with((rsql) =>
      act.with((asql) =>
        mergeRegions(
          regionRows(rsql, rsRef, regions, b),
          regionRows(asql, rsAct, regions, b),
          rsRef.keyed,
          watermark,
          findings,
        ),
      ),
    );
  }
}

/** Orders stream rows as SQL does: chunk, cell, key bytes (C collation), row hash. */
function compareRows(x: RegionRow, y: RegionRow): number {
  if (x.chunk !== y.chunk) return x.chunk < y.chunk ? -1 : 1;
  if (x.cell !== y.cell) return x.cell < y.cell ? -1 : 1;
  const k = Buffer.compare(Buffer.from(x.key, "utf8"), Buffer.from(y.key, "utf8"));
  if (k !== 0) return k;
  return x.hash === y.hash ? 0 : x.hash < y.hash ? -1 : 1;
}

const sameKey = (x: RegionRow, y: RegionRow) => x.chunk === y.chunk && x.cell === y.cell && x.key === y.key;

/** Merges two ordered streams (reference, database under test) and records every differing key. */
async function mergeRegions(
  expected: AsyncGenerator<RegionRow>,
  actual: AsyncGenerator<RegionRow>,
  keyed: boolean,
  watermark: number | undefined,
  findings: Findings,
): Promise<void> {
  let e = await expected.next();
  let a = await actual.next();
  while (!e.done || !a.done) {
    // Gather the run of one key on both sides.
    const head = e.done ? a.value! : a.done ? e.value : compareRows(e.value, a.value) <= 0 ? e.value : a.value;
    const runE: RegionRow[] = [];
    const runA: RegionRow[] = [];
    while (!e.done && sameKey(e.value, head)) {
      runE.push(e.value);
      e = await expected.next();
    }
    while (!a.done && sameKey(a.value, head)) {
      runA.push(a.value);
      a = await actual.next();
    }
    classifyRun(runE, runA, keyed, watermark, findings);
  }
}

/** One key's rows on both sides (several only for duplicated keys or, keyless, one row hash). */
function classifyRun(
  runE: RegionRow[],
  runA: RegionRow[],
  keyed: boolean,
  watermark: number | undefined,
  findings: Findings,
): void {
  const byHash = new Map<bigint, { e: number; a: number; drift: boolean }>();
  for (const [run, side] of [
    [runE, "e"],
    [runA, "a"],
  ] as const) {
    for (const r of run) {
      const m = byHash.get(r.hash) ?? { e: 0, a: 0, drift: false };
      m[side] += r.copies;
      m.drift ||= written(r.updatedAt, watermark);
      byHash.set(r.hash, m);
    }
  }
  let eOnly = 0;
  let aOnly = 0;
  let drift = false;
  for (const m of byHash.values()) {
    if (m.e === m.a) continue;
    eOnly += Math.max(0, m.e - m.a);
    aOnly += Math.max(0, m.a - m.e);
    drift ||= m.drift;
  }
  if (eOnly === 0 && aOnly === 0) return;
  const row = runA[0] ?? runE[0]!;
  const key = keyed ? row.key : labelOf(row);
  if (keyed && eOnly > 0 && aOnly > 0) findings.add("changed", key, drift);
  else {
    if (eOnly > 0) findings.add("missing", key, drift, eOnly);
    if (aOnly > 0) findings.add("unexpected", key, drift, aOnly);
  }
}

/** The cell sums a manifest keeps, by `chunk:bits:cell`. */
export type ManifestCells = Map<string, CellSum>;

/**
 * Narrows differing chunks to keys against a manifest, which holds no rows but per cell the sums
 * of counts, hashes, key parts and key×hash products: the database under test aggregates the
 * same cells of the differing chunks (a restricted scan), each differing cell's difference is
 * decoded (one changed, missing or unexpected row names its key — see `decode.ts`), and the key
 * of a row present here is read from the cell's rows. A cell where several rows differ cannot be
 * named from sums: rows written after the watermark are taken out and the rest decoded again;
 * what still cannot be named is counted, and the result marked inexact (live mode names it).
 */
export async function localizeManifest(
  act: ConnectionPool,
  rs: RowSql,
  expected: ManifestCells,
  chunks: bigint[],
  watermark: number | undefined,
  findings: Findings,
): Promise<void> {
  const spec = rs.spec;
  const nParts = rs.parts().length;
  // Counts and hash sums find the differing cells (no key moments: the rows of those cells give them).
  const actual: Map<string, RegionSum> = await act.with((s) => cellSums(s, rs, chunks, spec.cellBits));
  const inChunks = new Set(chunks);
  const ids = [
    ...new Set([...[...expected.keys()].filter((id) => inChunks.has(BigInt(id.split(":")[0]!))), ...actual.keys()]),
  ];
  const differing = ids
    .filter((id) => {
      const x = expected.get(id);
      const y = actual.get(id);
      return x === undefined || y === undefined || x.rows !== y.rows || x.sum !== y.sum;
    })
    .map((id) => {
      const [c, , cell] = id.split(":");
      return { chunk: BigInt(c!), bits: spec.cellBits, cell: BigInt(cell!) };
    })
    .sort((x, y) =>
      x.chunk !== y.chunk ? (x.chunk < y.chunk ? -1 : 1) : x.cell < y.cell ? -1 : x.cell > y.cell ? 1 : 0,
    );
  const where = (chunk: bigint) => {
    if (spec.plan.kind !== "range") return `chunk ${chunk} of the key's hash`;
    const shift = BigInt(spec.plan.shift);
    return `keys ${chunk << shift}..${((chunk + 1n) << shift) - 1n}`;
  };
  const named = differing.slice(0, MAX_CELLS);
  for (const r of differing.slice(MAX_CELLS)) {
    const id = regionId(r);
    const dn = (actual.get(id)?.rows ?? 0) - (expected.get(id)?.rows ?? 0);
    findings.unresolved(
      dn < 0 ? "missing" : dn > 0 ? "unexpected" : "changed",
      Math.abs(dn),
      `more than ${MAX_CELLS} cells differ: the rest are counted, not named`,
    );
    findings.unnamed(where(r.chunk));
  }
  const types = spec.key.map((k) => spec.columns.find((c) => c.name === k)?.builtin);
  // The rows of the differing cells, one cell at a time (the stream is ordered by chunk and cell).
  let rows: RegionRow[] = [];
  let current: string | undefined;
  const flush = () => {
    if (current === undefined) return;
    resolveCell(
      where(BigInt(current.split(":")[0]!)),
      expected.get(current),
      sumRows(rows, nParts),
      rows,
      nParts,
      spec.keyEncoding,
      types,
      watermark,
      findings,
    );
  };
  const seen = new Set<string>();
  await act.with(async (s) => {
    for await (const row of regionRows(s, rs, named, spec.cellBits)) {
      const id = regionId({ chunk: row.chunk, bits: spec.cellBits, cell: row.cell });
      if (id !== current) {
        flush();
        current = id;
        rows = [];
        seen.add(id);
      }
      rows.push(row);
    }
  });
  flush();
  // Cells with no row left here (every row of them is missing).
  for (const r of named) {
    const id = regionId(r);
    if (seen.has(id)) continue;
    const e = expected.get(id);
    resolveCell(where(r.chunk), e, undefined, [], nParts, spec.keyEncoding, types, watermark, findings);
  }
}

type Encoding = RowSql["spec"]["keyEncoding"];

/** A cell's sums from its rows (what a manifest keeps, computed here only for differing cells). */
function sumRows(rows: RegionRow[], nParts: number): CellSums {
  const zeros = () => new Array<bigint>(nParts).fill(0n);
  const out: CellSums = { rows: 0, sum: 0n, parts: zeros(), products: zeros() };
  for (const r of rows) {
    const n = BigInt(r.copies);
    out.rows += r.copies;
    out.sum += r.hash * n;
    for (let i = 0; i < nParts; i++) {
      out.parts[i] = out.parts[i]! + r.parts[i]! * n;
      out.products[i] = out.products[i]! + r.parts[i]! * r.hash * n;
    }
  }
  return out;
}

type CellSums = Omit<CellSum, "chunk" | "cell">;

function resolveCell(
  where: string,
  e: CellSum | undefined,
  a: CellSums | undefined,
  rows: RegionRow[],
  nParts: number,
  encoding: Encoding,
  types: Array<string | undefined>,
  watermark: number | undefined,
  findings: Findings,
): void {
  const decoded = decodeCell(e, a, nParts);
  if (applyDecoded(decoded, rows, encoding, types, watermark, findings, false)) return;
  // Several rows differ. Take out the rows written after the watermark (drift) and decode again:
  // an update leaves its old version as the one "missing" row, an insert leaves nothing.
  const late = rows.filter((r) => written(r.updatedAt, watermark));
  const rest = subtract(a, late, nParts);
  const again = decodeCell(e, rest, nParts);
  for (const r of late) findings.add("changed", labelKey(r, encoding), true, r.copies);
  if (late.length > 0) {
    if (again.kind === "equal") return;
    if (again.kind === "copies" && again.count < 0 && late.some((r) => r.parts.every((p, i) => p === again.parts[i])))
      return;
    if (
      applyDecoded(
        again,
        rows.filter((r) => !late.includes(r)),
        encoding,
        types,
        watermark,
        findings,
        true,
      )
    )
      return;
  }
  const dn = again.kind === "unknown" ? again.rows : (rest?.rows ?? 0) - (e?.rows ?? 0);
  if (late.length > 0 && dn <= 0 && -dn <= late.reduce((n, r) => n + r.copies, 0)) {
    // As far as sums can tell, the cell's differences are its late rows' old versions.
    findings.inexact(
      "some cells hold several rows written after the watermark: a manifest cannot tell damage among them " +
        "from drift (validate against the live reference to tell)",
    );
    return;
  }
  findings.unresolved(
    dn < 0 ? "missing" : dn > 0 ? "unexpected" : "changed",
    Math.abs(dn),
    "some cells hold several differing rows: a manifest names a cell's key only when one row differs " +
      "(validate against the live reference for every key)",
  );
  findings.unnamed(where);
}

const labelKey = (r: RegionRow, encoding: Encoding) => (encoding === "row" ? labelOf(r) : r.key);

/** Records a decoded difference when the rows confirm it; false when it cannot be applied. */
function applyDecoded(
  d: Decoded,
  rows: RegionRow[],
  encoding: Encoding,
  types: Array<string | undefined>,
  watermark: number | undefined,
  findings: Findings,
  damageOnly: boolean,
): boolean {
  const match = (parts: bigint[]) => rows.find((r) => r.parts.every((p, i) => p === parts[i]));
  switch (d.kind) {
    case "equal":
      return true;
    case "changed": {
      const r = match(d.parts);
      if (r === undefined) return false;
      findings.add("changed", labelKey(r, encoding), !damageOnly && written(r.updatedAt, watermark));
      return true;
    }
    case "copies": {
      if (d.count > 0) {
        const r = match(d.parts);
        if (r === undefined || r.copies < d.count) return false;
        findings.add("unexpected", labelKey(r, encoding), !damageOnly && written(r.updatedAt, watermark), d.count);
        return true;
      }
      // A missing row is in the manifest only: its key is known when it is made of integers and
      // uuids; otherwise only its hash is.
      const key =
        encoding === "columns"
          ? keyTextOfParts(types, d.parts)
          : encoding === "hash"
            ? `key hash ${hex64(d.parts[0]!)}`
            : `row hash ${hex64(d.parts[0]!)}`;
      findings.add("missing", key, false, -d.count);
      return true;
    }
    case "unknown":
      return false;
  }
}

function subtract(a: CellSums | undefined, rows: RegionRow[], nParts: number): CellSums | undefined {
  if (a === undefined) return undefined;
  const out = { rows: a.rows, sum: a.sum, parts: [...a.parts], products: [...a.products] };
  for (const r of rows) {
    const n = BigInt(r.copies);
    out.rows -= r.copies;
    out.sum -= r.hash * n;
    for (let i = 0; i < nParts; i++) {
      out.parts[i] = out.parts[i]! - r.parts[i]! * n;
      out.products[i] = out.products[i]! - r.parts[i]! * r.hash * n;
    }
  }
  return out;
}
