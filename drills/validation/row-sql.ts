import { quoteIdent, quoteRel, type ScanUnit, type TableInfo } from "./catalog";
import type { TableSpec } from "./spec";

/**
 * The SQL of one side's reading of a table under a {@link TableSpec}: the row hash, the key's
 * hash and text, chunk and cell numbers, and the parts a manifest sums per cell. Every expression
 * is written against the alias `t` of one scanned relation (a table or a leaf partition), or
 * against `x`, the fenced subquery over it (`OFFSET 0` keeps the planner from inlining it, so a
 * row's hash is computed once even where it is used twice).
 */
export class RowSql {
  /** Whether `t.*` reads exactly the spec's columns in order (cheaper than building a ROW). */
  readonly wholeRow: boolean;

  constructor(
    readonly spec: TableSpec,
    readonly side: TableInfo,
  ) {
    const same =
      side.columns.length === spec.columns.length &&
      side.columns.every(
        (c, i) => c.name === spec.columns[i]!.name && c.type === spec.columns[i]!.type && c.generated !== "v",
      );
    this.wholeRow = same;
  }

  private col(name: string): string {
    return `t.${quoteIdent(name)}`;
  }

  /** The row as PostgreSQL prints it (record_out of the spec's columns). */
  rowText(): string {
    if (this.wholeRow) return "(t.*)::text";
    return `ROW(${this.spec.columns.map((c) => this.col(c.name)).join(", ")})::text`;
  }

  /** The key as PostgreSQL prints it: the value, or the record of a composite key. */
  keyText(): string {
    const k = this.spec.key;
    if (k.length === 1) return `${this.col(k[0]!)}::text`;
    return `ROW(${k.map((c) => this.col(c)).join(", ")})::text`;
  }

  /**
   * The values of some columns as `hash_record_extended` arguments: `raw` columns as they are, the
   * others together as the text of one record (`record_out` calls each type's output function — a
   * `::text` cast would not always: bpchar's trims trailing blanks), compared byte by byte.
   */
  private hashArgs(names: string[]): string {
    const cols = names.map((n) => this.spec.columns.find((c) => c.name === n)!);
    const raw = cols.filter((c) => c.rep === "raw").map((c) => this.col(c.name));
    const text = cols.filter((c) => c.rep === "text").map((c) => this.col(c.name));
    return [...raw, ...(text.length === 0 ? [] : [`(ROW(${text.join(", ")})::text COLLATE pg_catalog."C")`])].join(
      ", ",
    );
  }

  /** 64-bit hash of the row (`t`): raw values where faithful, printed text elsewhere; or md5 of the text. */
  rowHash(): string {
    if (this.spec.method === "md5") return md5Bigint(this.rowText());
    if (this.wholeRow && this.spec.columns.every((c) => c.rep === "raw")) return "hash_record_extended(t.*, 0)";
    return `hash_record_extended(ROW(${this.hashArgs(this.spec.columns.map((c) => c.name))}), 0)`;
  }

  /** 64-bit hash of the key (`t`); a function of the key's printed value. */
  keyHash(): string {
    if (this.spec.method === "md5") return md5Bigint(this.keyText());
    return `hash_record_extended(ROW(${this.hashArgs(this.spec.key)}), 0)`;
  }

  /**
   * The value summed per chunk, from the row hash `h` (a column of `x`). `hash_record_extended`
   * combines its columns' hashes linearly, so a plain sum would not see two rows swapping a value
   * (`(1,10),(2,20)` → `(1,20),(2,10)` sums alike): the hash is mixed non-linearly first. md5 is
   * not linear.
   */
  mixed(h = "x.h"): string {
    return this.spec.method === "md5" ? h : `(${h} # hashint8extended(${h}, 0))`;
  }

  /** Whether the scan must carry the key hash (`x.kh`). */
  get keyed(): boolean {
    return this.spec.key.length > 0;
  }

  /** The chunk number over `x` (the inner select provides `x.c` for range plans). */
  chunk(): string {
    const p = this.spec.plan;
    if (p.kind === "range") return "x.c";
    const mask = maskOf(p.bits);
    return this.keyed ? `(x.kh & ${mask})` : `(${this.mixed()} & ${mask})`;
  }

  /** The cell number within the chunk at `bits` of resolution, over `x`. */
  cell(bits: number): string {
    const base = this.spec.plan.kind === "hash" ? this.spec.plan.bits : 0;
    const k = this.keyed ? "x.kh" : this.mixed();
    return `((${k} >> ${base}) & ${maskOf(bits)})`;
  }

  /** The range chunk over `t` (range plans). */
  rangeChunk(): string {
    const p = this.spec.plan;
    if (p.kind !== "range") throw new Error("rangeChunk of a hash plan");
    return `(${this.col(this.spec.key[0]!)}::int8 >> ${p.shift})`;
  }

  /**
   * A restriction of the inner select to some cells (at `bits`) of keyed tables, computed from the
   * key alone: rows of other cells are skipped before their row hash and text are computed.
   */
  restrictToCells(regions: Array<{ chunk: bigint; cell: bigint }>, bits: number): string | undefined {
    if (!this.keyed) return undefined;
    const base = this.spec.plan.kind === "hash" ? this.spec.plan.bits : 0;
    const kh = this.keyHash();
    const chunk = this.spec.plan.kind === "range" ? this.rangeChunk() : `(${kh} & ${maskOf(this.spec.plan.bits)})`;
    const pairs = regions.map((r) => `(${r.chunk}::int8, ${r.cell}::int8)`).join(", ");
    return `(${chunk}, ((${kh} >> ${base}) & ${maskOf(bits)})) IN (VALUES ${pairs})`;
  }

  /** The relation of a scan unit with alias `t`. */
  from(unit: ScanUnit): string {
    return `ONLY ${quoteRel(unit.schema, unit.name)} t`;
  }

  /** The `updatedAt` column as epoch milliseconds (text), over `x.u`. */
  static epochMs(expr: string): string {
    return `floor(extract(epoch FROM ${expr}) * 1000)::int8::text`;
  }

  /**
   * The inner select over one unit: `h`, `kh` (keyed), `c` (range plans), `u` (updatedAt) and
   * the given extra columns.
   */
  inner(unit: ScanUnit, where: string | undefined, extra: string[] = []): string {
    const cols = [`${this.rowHash()} AS h`];
    if (this.keyed) cols.push(`${this.keyHash()} AS kh`);
    if (this.spec.plan.kind === "range") cols.push(`${this.rangeChunk()} AS c`);
    if (this.spec.updatedAt !== undefined) cols.push(`${this.col(this.spec.updatedAt)} AS u`);
    cols.push(...extra);
    return `SELECT ${cols.join(", ")} FROM ${this.from(unit)}${where === undefined ? "" : ` WHERE ${where}`} OFFSET 0`;
  }

  /** The inner selects of every unit, as one UNION ALL (restricted queries). */
  innerAll(where: string | undefined, extra: string[] = []): string {
    if (this.side.units.length === 0)
      return `${this.inner({ schema: this.side.schema, name: this.side.name, kind: "p", pages: 0 }, "false", extra)}`;
    return this.side.units.map((u) => `(${this.inner(u, where, extra)})`).join(" UNION ALL ");
  }

  /**
   * The parts a manifest sums per cell, over `x` (the inner select must carry `k<i>` for
   * `columns` encoding: see {@link partColumns}).
   */
  parts(): string[] {
    switch (this.spec.keyEncoding) {
      case "row":
        return [this.mixed()];
      case "hash":
        return ["x.kh"];
      case "columns":
        return this.spec.key.flatMap((name, i) => {
          const c = this.spec.columns.find((x) => x.name === name)!;
          if (c.builtin !== "uuid") return [`x.k${i}::int8`];
          const hex = `replace(x.k${i}::text, '-', '')`;
          return [`('x' || substr(${hex}, 1, 16))::bit(64)::int8`, `('x' || substr(${hex}, 17, 16))::bit(64)::int8`];
        });
    }
  }

  /** Extra inner columns the parts need (`columns` encoding: the key columns as `k<i>`). */
  partColumns(): string[] {
    return this.spec.keyEncoding === "columns" ? this.spec.key.map((name, i) => `${this.col(name)} AS k${i}`) : [];
  }

  /**
   * A restriction of the inner select to some chunks, when one is cheap: an index range per chunk
   * for range plans, the key hash for hash plans (no row hash for other chunks' rows). Keyless
   * tables and many ranges: none (the outer filter does it).
   */
  restrictTo(chunks: bigint[]): string | undefined {
    const p = this.spec.plan;
    if (chunks.length === 0) return "false";
    if (p.kind === "range") {
      if (chunks.length > 32) return undefined;
      const k = `${this.col(this.spec.key[0]!)}`;
      const shift = BigInt(p.shift);
      return `(${chunks.map((c) => `${k} BETWEEN ${c << shift} AND ${((c + 1n) << shift) - 1n}`).join(" OR ")})`;
    }
    if (!this.keyed) return undefined;
    return `(${this.keyHash()} & ${maskOf(p.bits)}) = ANY('{${chunks.join(",")}}'::int8[])`;
  }
}

/** First 64 bits of md5 of a text, as a signed bigint. */
export function md5Bigint(text: string): string {
  return `('x' || substr(md5(${text}), 1, 16))::bit(64)::int8`;
}

/** `2^bits - 1` as SQL (bits ≤ 62). */
export function maskOf(bits: number): string {
  return ((1n << BigInt(bits)) - 1n).toString();
}
