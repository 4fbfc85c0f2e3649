import type { DifferenceCounts, FirstKeys } from "../../automation/ports/validator";

/** Kinds of difference a row can have. */
export type DifferenceKind = "changed" | "missing" | "unexpected";

/** Keys kept per kind: a report names the first ones, never a wall. */
export const FIRST_KEYS = 10;

/** Orders keys as a reader expects: integers numerically, anything else by its UTF-8 bytes. */
export function compareKeys(a: string, b: string): number {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * The differences of one table as they are found, in bounded memory: counts per kind and the
 * first {@link FIRST_KEYS} keys of each in key order. A difference explained by the watermark
 * (a row written after it) counts as drift, whatever its kind.
 */
export class Findings {
  readonly counts: DifferenceCounts = { changed: 0, missing: 0, unexpected: 0, drift: 0 };
  readonly keys: FirstKeys = { changed: [], missing: [], unexpected: [], drift: [] };
  readonly driftByKind = { changed: 0, missing: 0, unexpected: 0 };
  /** False when some differences could not be narrowed to keys (counts are then lower bounds). */
  exact = true;
  readonly notes: string[] = [];
  /** Where differences that could not be named are (the first few key ranges or chunks). */
  readonly unnamedIn: string[] = [];

  /** One key's difference (`copies` rows of it for keyless tables and duplicated keys). */
  add(kind: DifferenceKind, key: string, drift: boolean, copies = 1): void {
    const bucket = drift ? "drift" : kind;
    this.counts[bucket] += copies;
    if (drift) this.driftByKind[kind] += copies;
    const list = this.keys[bucket];
    if (list.length < FIRST_KEYS || compareKeys(key, list[list.length - 1]!) < 0) {
      if (list.includes(key)) return;
      list.push(key);
      list.sort(compareKeys);
      if (list.length > FIRST_KEYS) list.length = FIRST_KEYS;
    }
  }

  /** Differences that could not be named: counted (at least `rows`), the result marked inexact. */
  unresolved(kind: DifferenceKind, rows: number, note: string): void {
    this.counts[kind] += Math.max(1, rows);
    this.exact = false;
    if (!this.notes.includes(note)) this.notes.push(note);
  }

  /** Records where unnamed differences are: the first three places, then "…". */
  unnamed(where: string): void {
    if (this.unnamedIn.includes(where) || this.unnamedIn.includes("…")) return;
    this.unnamedIn.push(this.unnamedIn.length < 3 ? where : "…");
  }

  /** Marks the result inexact without counting anything (the note says why). */
  inexact(note: string): void {
    this.exact = false;
    if (!this.notes.includes(note)) this.notes.push(note);
  }

  /** Whether any difference is damage (not explained as drift). */
  get damaged(): boolean {
    return this.counts.changed + this.counts.missing + this.counts.unexpected > 0;
  }

  /** Whether anything differs. */
  get any(): boolean {
    return this.damaged || this.counts.drift > 0;
  }
}
