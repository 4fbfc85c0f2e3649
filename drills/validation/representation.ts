import type { ColumnInfo } from "./catalog";

/**
 * How a column enters a row's hash. `raw`: the value itself, hashed by its type's hash function —
 * only for types whose equal hashes mean equal printed values. `text`: the value as PostgreSQL
 * prints it (under the pinned settings), hashed as bytes — faithful for every type.
 */
export type ColumnRep = "raw" | "text";

/**
 * Built-in types whose hash function is faithful to their text: two values hash alike exactly when
 * they print alike (the type's equality is identity of its binary value, and its output function
 * is injective on that value). Worked out type by type, conservative on purpose (a type missing
 * here is only slower):
 * - bool, int2, int4, int8, uuid, bytea (`byteaeq` compares bytes), date, time, timestamp: the
 *   value is a fixed binary and prints one way;
 * - timestamptz: an instant, printed in the pinned `TimeZone` — one way;
 * - timetz: equal only when both time and offset are equal (`timetz_cmp_internal`), and both print;
 * - text, varchar: under a deterministic collation equality is byte equality;
 * - bpchar *with a length* (`char(n)`): equality ignores trailing blanks, but every stored value
 *   is padded to exactly n characters, so equal values are identical.
 * Not here, each for a reason the tests show: numeric (`1.0 = 1.00`), float4/float8 (`-0 = 0`),
 * interval (`'1 day' = '24 hours'`), arrays (bounds are not hashed: `'{1,2}'` vs `'[2:3]={1,2}'`),
 * jsonb (`1.0` vs `1.00` inside), bpchar without a length (`'a '` = `'a'`), enums (the hash is
 * the label's OID, which differs between databases), citext-like and nondeterministic
 * collations, ranges, domains and composite types (their parts), and every type with no hash
 * function at all (json, xml, point, …).
 */
export const HASH_FAITHFUL_TYPES: ReadonlySet<string> = new Set([
  "bool",
  "int2",
  "int4",
  "int8",
  "uuid",
  "bytea",
  "date",
  "time",
  "timestamp",
  "timestamptz",
  "timetz",
  "text",
  "varchar",
  "bpchar",
]);

/** The representation of a column (decided on the reference side, used on both). */
export function columnRep(c: Pick<ColumnInfo, "builtin" | "typmod" | "deterministic">): ColumnRep {
  if (c.builtin === undefined || !HASH_FAITHFUL_TYPES.has(c.builtin)) return "text";
  if ((c.builtin === "text" || c.builtin === "varchar" || c.builtin === "bpchar") && !c.deterministic) return "text";
  if (c.builtin === "bpchar" && c.typmod < 0) return "text";
  return "raw";
}

/**
 * How a key is summed in a manifest's cells so that a single differing row can be named from the
 * sums alone: integer and uuid columns as themselves (64-bit parts), any other key by its 64-bit
 * hash (then only rows present in the database under test can be named), a keyless table by the
 * row's hash.
 */
export type KeyEncoding = "columns" | "hash" | "row";

/** Integer types whose values are parts as they are. */
export const INTEGER_TYPES: ReadonlySet<string> = new Set(["int2", "int4", "int8"]);

/** The key encoding of a table's key columns. */
export function keyEncoding(key: Array<Pick<ColumnInfo, "builtin">>): KeyEncoding {
  if (key.length === 0) return "row";
  return key.every((c) => c.builtin !== undefined && (INTEGER_TYPES.has(c.builtin) || c.builtin === "uuid"))
    ? "columns"
    : "hash";
}
