import type { CellSum } from "./checksum";

/**
 * What the difference of two cells' sums says when it is made by a single row (or copies of one
 * row): sums of counts, hashes h, key parts k and products k·h are exact (no wrap-around), so
 * - one changed row: Δcount = 0, Δk = 0, Δh ≠ 0 and Δ(k·h) = k·Δh, hence k = Δ(k·h) / Δh;
 * - c copies of one row missing (c < 0) or unexpected (c > 0): Δcount = c, Δk = c·k, Δh = c·h and
 *   Δ(k·h) = k·Δh.
 * Anything else — several rows differ in the cell — is `unknown`. The checks on every part make a
 * wrong decode of a several-row difference as unlikely as a 64-bit hash collision.
 */
export type Decoded =
  | { kind: "equal" }
  | { kind: "changed"; parts: bigint[] }
  | { kind: "copies"; count: number; parts: bigint[]; hash: bigint }
  | { kind: "unknown"; rows: number };

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;
const inInt64 = (v: bigint) => v >= MIN && v <= MAX;

const ZERO: Omit<CellSum, "chunk" | "cell"> = { rows: 0, sum: 0n, parts: [], products: [] };

/** Decodes the difference `actual − expected` of one cell (either may be absent: no rows). */
export function decodeCell(
  expected: Omit<CellSum, "chunk" | "cell"> | undefined,
  actual: Omit<CellSum, "chunk" | "cell"> | undefined,
  nParts: number,
): Decoded {
  const e = expected ?? ZERO;
  const a = actual ?? ZERO;
  const dn = a.rows - e.rows;
  const dh = a.sum - e.sum;
  const dk = Array.from({ length: nParts }, (_, i) => (a.parts[i] ?? 0n) - (e.parts[i] ?? 0n));
  const dp = Array.from({ length: nParts }, (_, i) => (a.products[i] ?? 0n) - (e.products[i] ?? 0n));
  if (dn === 0 && dh === 0n && dk.every((x) => x === 0n) && dp.every((x) => x === 0n)) return { kind: "equal" };
  if (dn === 0 && dh !== 0n && dk.every((x) => x === 0n)) {
    if (dp.every((p) => p % dh === 0n && inInt64(p / dh))) return { kind: "changed", parts: dp.map((p) => p / dh) };
    return { kind: "unknown", rows: 0 };
  }
  if (dn !== 0) {
    const c = BigInt(dn);
    if (dh % c === 0n && dk.every((k) => k % c === 0n)) {
      const parts = dk.map((k) => k / c);
      if (parts.every(inInt64) && parts.every((k, i) => dp[i] === k * dh))
        return { kind: "copies", count: dn, parts, hash: dh / c };
    }
  }
  return { kind: "unknown", rows: dn };
}

/** The key's printed text from decoded parts (`columns` encoding: integers and uuids). */
export function keyTextOfParts(types: Array<string | undefined>, parts: bigint[]): string {
  const values: string[] = [];
  let i = 0;
  for (const t of types) {
    if (t === "uuid") {
      const hex = hex64(parts[i]!) + hex64(parts[i + 1]!);
      values.push(`${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
      i += 2;
    } else {
      values.push(parts[i]!.toString());
      i += 1;
    }
  }
  // A composite key prints as a record; integers and uuids never need quotes inside one.
  return values.length === 1 ? values[0]! : `(${values.join(",")})`;
}

/** A 64-bit two's complement value as 16 hex digits. */
export function hex64(v: bigint): string {
  return BigInt.asUintN(64, v).toString(16).padStart(16, "0");
}
