import type { SqlClient } from "../../automation/store/sql";
import type { KeyDifferences } from "../../automation/ports/validator";
import { PINNED_TEXT_SETTINGS, chunkSql, rowHashSql, type ChunkPlan, type RowHashMethod } from "./checksum";
import { quoteIdent, type TableInfo } from "./inspect";

/** Keys that differ inside a chunk (only keys and row hashes ever cross the network). */
export type { KeyDifferences };

/** The key range of a range chunk, for reports. */
export function chunkRange(plan: ChunkPlan, chunk: number): { from: string; to: string } | undefined {
  if (plan.kind !== "range") return undefined;
  const lo = BigInt(chunk) << BigInt(plan.shift);
  const hi = ((BigInt(chunk) + 1n) << BigInt(plan.shift)) - 1n;
  return { from: lo.toString(), to: hi.toString() };
}

async function keyHashes(sql: SqlClient, info: TableInfo, plan: ChunkPlan, method: RowHashMethod, chunk: number, limit: number): Promise<Map<string, string>> {
  const key = info.keyKind === "none" ? `${rowHashSql(method)}::text` : `${quoteIdent(info.key!)}::text`;
  const filter = info.keyKind === "none" ? `(${chunkSql(info, plan, method).replace(/\bh\b/, rowHashSql(method))}) = ${chunk}` : `${chunkSql(info, plan, method)} = ${chunk}`;
  // For keyless tables the "key" is the row hash and the value its multiplicity.
  const q =
    info.keyKind === "none"
      ? `SELECT ${key} AS k, count(*)::text AS h FROM ${quoteIdent(info.name)} t WHERE ${filter} GROUP BY 1 LIMIT ${limit}`
      : `SELECT ${key} AS k, ${rowHashSql(method)}::text AS h FROM ${quoteIdent(info.name)} t WHERE ${filter} LIMIT ${limit}`;
  const res = await sql.transaction(async (tx) => {
    if (method === "md5") for (const s of PINNED_TEXT_SETTINGS) await tx.query(s);
    return tx.query<{ k: string; h: string }>(q);
  });
  return new Map(res.rows.map((r) => [r.k, r.h]));
}

async function updatedAfter(sql: SqlClient, info: TableInfo, keys: string[], watermark: number): Promise<Set<string>> {
  if (info.updatedAt === undefined || info.keyKind === "none" || keys.length === 0) return new Set();
  const { rows } = await sql.query<{ k: string }>(
    `SELECT ${quoteIdent(info.key!)}::text AS k FROM ${quoteIdent(info.name)} WHERE ${quoteIdent(info.key!)}::text = ANY($1::text[]) AND ${quoteIdent(info.updatedAt)} >= $2::timestamptz`,
    [keys, new Date(watermark).toISOString()],
  );
  return new Set(rows.map((r) => r.k));
}

/**
 * Localises a differing chunk down to keys by comparing `(key, row hash)` pairs of both sides —
 * never whole rows — and classifies each difference: a row updated after `watermark` on either
 * side is explained drift, anything else is damage.
 */
export async function localizeChunk(
  expected: SqlClient,
  actual: SqlClient,
  info: TableInfo,
  plan: ChunkPlan,
  method: RowHashMethod,
  chunk: number,
  watermark: number | undefined,
  limit = 50_000,
): Promise<KeyDifferences> {
  const [e, a] = await Promise.all([keyHashes(expected, info, plan, method, chunk, limit + 1), keyHashes(actual, info, plan, method, chunk, limit + 1)]);
  const missing: string[] = [];
  const extra: string[] = [];
  const changed: string[] = [];
  for (const [k, h] of e) {
    const other = a.get(k);
    if (other === undefined) missing.push(k);
    else if (other !== h) changed.push(k);
  }
  for (const k of a.keys()) if (!e.has(k)) extra.push(k);
  const truncated = e.size > limit || a.size > limit;
  let drifted: string[] = [];
  if (watermark !== undefined) {
    const all = [...missing, ...extra, ...changed].slice(0, 10_000);
    const [x, y] = await Promise.all([updatedAfter(expected, info, all, watermark), updatedAfter(actual, info, all, watermark)]);
    drifted = all.filter((k) => x.has(k) || y.has(k));
  }
  const sample = (l: string[]) => l.slice(0, 100);
  return {
    missing: sample(missing),
    extra: sample(extra),
    changed: sample(changed),
    drifted: sample(drifted),
    truncated,
    counts: { missing: missing.length, extra: extra.length, changed: changed.length, drifted: drifted.length },
  };
}
