import { PilotlightError } from "../../domain/errors";
import type { DatabaseValidation, TableResult, ValidationResult } from "../../ports/validator";
import type { CliContext, CommandModule } from "../context";
import { EXIT } from "../exit-codes";

/** The database validation the composition root wired in, or a refusal saying how to get it. */
export function databaseValidation(ctx: CliContext): DatabaseValidation {
  if (ctx.io.validation === undefined) {
    throw new PilotlightError(
      "kit.missing",
      "validating databases by URL needs the drills kit, and this CLI was started without it",
      { source: "system", hint: "run the package's executable (drills/main.ts)" },
    );
  }
  return ctx.io.validation;
}

/** `--watermark`: an ISO time or epoch milliseconds. */
export function parseTime(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new PilotlightError(
      "config.invalid",
      `${flag} ${text} is not a time (use ISO 8601 such as 2026-01-01T12:00:00Z, or epoch milliseconds)`,
      { source: "user" },
    );
  return ms;
}

/** One table of the JSON answer (the contract of `pilotlight validate --json`). */
export interface TableReport {
  name: string;
  verdict: TableResult["verdict"];
  rows: number;
  changed: number;
  missing: number;
  unexpected: number;
  drift: number;
  /** First keys: damage (changed, missing, unexpected) before drift, each in key order. */
  keys: string[];
  keysByKind: TableResult["keys"];
  exact: boolean;
  reason?: string;
}

/** The JSON answer of `pilotlight validate`. */
export interface ValidateReport {
  ok: boolean;
  schema: { ok: boolean; differences: string[] };
  tables: TableReport[];
}

/** The JSON answer from a validation result. */
export function toReport(r: ValidationResult): ValidateReport {
  return {
    ok: r.ok,
    schema: r.schema,
    tables: r.tables.map((t) => {
      const out: TableReport = {
        name: t.table,
        verdict: t.verdict,
        rows: t.rows,
        ...t.counts,
        keys: [...t.keys.changed, ...t.keys.missing, ...t.keys.unexpected, ...t.keys.drift].slice(0, 10),
        keysByKind: t.keys,
        exact: t.exact,
      };
      if (t.reason !== undefined) out.reason = t.reason;
      return out;
    }),
  };
}

/** The human answer: one line per table that is not ok, then the verdict. */
export function describeReport(r: ValidateReport, against: string): string {
  const lines = [
    `${r.tables.length} tables, ${r.tables.reduce((n, t) => n + t.rows, 0)} rows, compared with ${against}`,
  ];
  if (!r.schema.ok)
    lines.push(
      `schema differs (${r.schema.differences.length}):`,
      ...r.schema.differences.slice(0, 20).map((d) => `  ${d}`),
    );
  for (const t of r.tables) {
    if (t.verdict === "ok") continue;
    const counts = (["changed", "missing", "unexpected", "drift"] as const)
      .filter((k) => t[k] > 0)
      .map((k) => {
        const keys = t.keysByKind[k];
        return `${t[k]} ${k}${keys.length > 0 ? ` (${keys.join(", ")}${t[k] > keys.length ? ", …" : ""})` : ""}`;
      });
    const what = counts.length > 0 ? `: ${counts.join("; ")}` : "";
    lines.push(
      `${t.name}: ${t.verdict}${what}${t.exact ? "" : " (at least)"}${t.reason === undefined ? "" : ` — ${t.reason}`}`,
    );
  }
  lines.push(r.ok ? "EQUAL" : "DIFFERENT");
  return lines.join("\n");
}

/**
 * `validate`: proves any database against a manifest file or a live reference, outside any run
 * and without a configuration. Exit 0 equal, 1 different, 3 bad input, 4 a database unreachable.
 */
export const validateCommand: CommandModule = {
  command: "validate",
  describe:
    "Compare a database with a manifest file or a live reference: schema, every row, exact differing keys " +
    "(exit 0 equal, 1 different)",
  builder: (y) =>
    y
      .option("database", {
        type: "string",
        demandOption: true,
        describe: "the database under test: postgres://user@host/db or pglite://<folder>",
      })
      .option("manifest", {
        type: "string",
        describe: "a manifest file (pilotlight manifest record --database … --out FILE)",
      })
      .option("reference", { type: "string", describe: "a live reference database URL (e.g. the primary)" })
      .option("watermark", {
        type: "string",
        describe: "rows written at or after this time (ISO 8601 or epoch ms) are drift, not damage",
      })
      .example(
        "$0 validate --database postgres://app@restored/app --manifest primary.json",
        "prove a restore against the primary's manifest",
      )
      .example(
        "$0 validate --database postgres://app@restored/app --reference postgres://app@primary/app " +
          "--watermark 2026-01-01T12:00:00Z --json",
        "against the live primary",
      ) as never,
  handler: async (ctx, args) => {
    const r = ctx.renderer(args);
    const validation = databaseValidation(ctx);
    const watermark = parseTime(args["watermark"], "--watermark");
    const manifest = args["manifest"] as string | undefined;
    const reference = args["reference"] as string | undefined;
    const result = await validation.validateDatabases({
      database: args["database"] as string,
      cwd: ctx.io.cwd,
      now: () => Date.now(),
      sink: r.event,
      ...(manifest === undefined ? {} : { manifestFile: manifest }),
      ...(reference === undefined ? {} : { reference }),
      ...(watermark === undefined ? {} : { watermark }),
    });
    const report = toReport(result);
    r.result(
      report,
      describeReport(report, manifest === undefined ? "the live reference" : `the manifest ${manifest}`),
    );
    ctx.setExit(result.ok ? EXIT.ok : EXIT.runFailed);
  },
};
