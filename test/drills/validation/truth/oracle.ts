import { expect } from "chai";
import type { TableResult, ValidationResult } from "../../../../automation/ports/validator";
import type { Workbench } from "../pglite-pair";
import { defectSql, keyColumns, qi, rel, setupSql, validationOf, WATERMARK, type Case, type TableCase } from "./cases";

const display = (t: Pick<TableCase, "schema" | "name">) => `${t.schema}.${t.name}`;

/** The key of row `rid` as PostgreSQL prints it under the pinned settings (how reports name keys). */
async function keyText(bench: Workbench, t: TableCase, rid: number): Promise<string> {
  const cols = keyColumns(t.key).map(([n]) => `t.${qi(n)}`);
  const expr = cols.length === 1 ? `${cols[0]}::text` : `ROW(${cols.join(", ")})::text`;
  return bench.a.transaction(async (tx) => {
    await tx.exec("SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'");
    const r = await tx.query<{ k: string }>(`SELECT ${expr} AS k FROM ${rel(t)} t WHERE rid = ${rid}`);
    return r.rows[0]!.k;
  });
}

/** Whether a manifest names this shape's missing keys (integers and uuids; others by hash). */
const manifestNamesMissing = (t: TableCase) => ["int", "bigint", "uuid", "int,int"].includes(t.key);

/**
 * Runs one generated case on real SQL: the reference and its manifest, the copy with the defect,
 * validation against the manifest and against the live reference; asserts that the verdict names
 * exactly the defect (and nothing else), and that an untouched copy is equal.
 */
export async function runCase(bench: Workbench, c: Case): Promise<void> {
  const ref = await bench.reference(setupSql(c), validationOf(c), WATERMARK);
  const watermark = c.defect.kind === "late-update" ? WATERMARK : undefined;
  // The untouched copy first.
  const clean = await ref.check(undefined, watermark);
  for (const [mode, r] of Object.entries(clean)) {
    expect(r.ok, `untouched copy, ${mode}: ${r.summary}`).to.equal(true);
    expect(r.tables.map((t) => t.table).sort(), mode).to.deep.equal(c.tables.map(display).sort());
  }
  const sql = defectSql(c);
  const results = await ref.check(sql, watermark);
  for (const [mode, r] of Object.entries(results)) {
    await expectDefect(bench, c, mode as "manifest" | "live", r);
  }
}

async function expectDefect(bench: Workbench, c: Case, mode: "manifest" | "live", r: ValidationResult): Promise<void> {
  const d = c.defect;
  const why = `${mode}, ${d.kind}: ${r.summary}`;
  const target = "table" in d ? c.tables[d.table]! : undefined;
  const others = r.tables.filter((t) => target === undefined || t.table !== display(target));
  const table = (t: TableCase) => r.tables.find((x) => x.table === display(t));
  const exactly = (t: TableResult | undefined, verdict: string, counts: Partial<TableResult["counts"]>) => {
    expect(t, why).to.not.equal(undefined);
    expect(t!.verdict, why).to.equal(verdict);
    // Against a manifest, a difference of several rows in one cell is counted as at least that,
    // and said to be inexact; live, every difference is named.
    if (mode === "manifest" && !t!.exact) return false;
    expect(t!.exact, why).to.equal(true);
    expect(t!.counts, why).to.deep.equal({ changed: 0, missing: 0, unexpected: 0, drift: 0, ...counts });
    return true;
  };
  switch (d.kind) {
    case "none":
    case "session-settings":
      expect(r.ok, why).to.equal(true);
      expect(
        r.tables.every((t) => t.verdict === "ok"),
        why,
      ).to.equal(true);
      return;
    case "extra-table":
      expect(r.ok, why).to.equal(false);
      expect(r.schema.ok, why).to.equal(false);
      expect(r.tables.find((t) => t.table === 'public.extra "table"')?.verdict, why).to.equal("unexpected");
      expect(
        r.tables.filter((t) => t.table !== 'public.extra "table"').every((t) => t.verdict === "ok"),
        why,
      ).to.equal(true);
      return;
    case "drop-table":
      expect(r.ok, why).to.equal(false);
      expect(table(target!)?.verdict, why).to.equal("missing");
      break;
    case "drop-key":
      expect(r.ok, why).to.equal(false);
      expect(r.schema.differences.join("\n"), why).to.contain("PRIMARY KEY");
      expect(table(target!)?.verdict, why).to.equal("ok");
      break;
    case "change": {
      expect(r.ok, why).to.equal(false);
      expect(r.schema.ok, why).to.equal(true);
      if (target!.key === "none") exactly(table(target!), "damaged", { missing: 1, unexpected: 1 });
      else if (exactly(table(target!), "damaged", { changed: 1 }))
        expect(table(target!)!.keys.changed, why).to.deep.equal([await keyText(bench, target!, d.row % target!.rows)]);
      break;
    }
    case "delete": {
      expect(r.ok, why).to.equal(false);
      if (
        exactly(table(target!), "damaged", { missing: 1 }) &&
        target!.key !== "none" &&
        (mode === "live" || manifestNamesMissing(target!))
      ) {
        expect(table(target!)!.keys.missing, why).to.deep.equal([await keyText(bench, target!, d.row % target!.rows)]);
      }
      break;
    }
    case "duplicate":
      expect(r.ok, why).to.equal(false);
      exactly(table(target!), "damaged", { unexpected: 1 });
      break;
    case "swap-duplicates":
      expect(r.ok, why).to.equal(false);
      exactly(table(target!), "damaged", { missing: 1, unexpected: 1 });
      break;
    case "late-update":
      expect(r.ok, why).to.equal(true);
      if (exactly(table(target!), "drift", { drift: 1 }))
        expect(table(target!)!.keys.drift, why).to.deep.equal([await keyText(bench, target!, d.row % target!.rows)]);
      break;
  }
  for (const t of others) expect(t.verdict, `${why} (${t.table})`).to.equal("ok");
}
