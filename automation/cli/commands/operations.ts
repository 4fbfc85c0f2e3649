import { PilotlightError } from "../../domain/errors";
import type { Argv } from "yargs";
import { isPreview, type PlanPreview } from "../../library";
import type { Run } from "../../domain/run";
import { restoreTimeArgument } from "../arguments";
import { withLibrary, type CliContext, type CommandModule, type GlobalArgs } from "../context";
import { exitCodeOfPhase } from "../exit-codes";
import { describeRun, type Renderer } from "../render";

const safety = (y: Argv<GlobalArgs>) =>
  y
    .option("dry-run", {
      type: "boolean",
      default: false,
      describe: "print the plan and the facts it would act on; change nothing",
    })
    .option("yes", {
      alias: "y",
      type: "boolean",
      default: false,
      describe: "do not ask for confirmation (required when not on a TTY)",
    });

/** Renders a preview: the facts and the plan, and says that nothing changed. */
export function describePreview(p: PlanPreview): string {
  const lines = [`dry run of ${p.kind} for ${p.env}: nothing was changed`, "facts:"];
  for (const [k, v] of Object.entries(p.facts))
    if (typeof v !== "object" || v === null) lines.push(`  ${k}: ${String(v)}`);
  const rp = p.facts["recoveryPoint"] as Record<string, unknown> | null | undefined;
  if (rp)
    lines.push(`  recovery point: ${String(rp["arn"])} created ${new Date(Number(rp["createdAt"])).toISOString()}`);
  for (const w of p.warnings) lines.push(`warning: ${w}`);
  lines.push("plan:");
  for (const s of p.plan.steps)
    lines.push(`  ${s.id.padEnd(24)} ${s.title}${s.dependsOn.length > 0 ? `  (after ${s.dependsOn.join(", ")})` : ""}`);
  return lines.join("\n");
}

/** Renders the outcome of an operation and sets the exit code. */
export function finish(ctx: CliContext, r: Renderer, outcome: Run | PlanPreview): void {
  if (isPreview(outcome)) {
    r.result({ preview: outcome }, describePreview(outcome));
    return;
  }
  r.result({ run: outcome }, describeRun(outcome));
  ctx.setExit(exitCodeOfPhase(outcome.phase));
}

const common = (ctx: CliContext, args: GlobalArgs & Record<string, unknown>) => ({
  env: args.env,
  signal: ctx.io.signal,
  dryRun: args["dryRun"] === true,
  yes: args["yes"] === true,
  ...(ctx.io.confirm === undefined ? {} : { confirm: ctx.io.confirm }),
});

/** `failover`: bring the workload up in the DR region from the newest usable recovery point. */
export const failoverCommand: CommandModule = {
  command: "failover",
  describe:
    "Fail over to the DR region: restore the newest usable recovery point, check it, switch traffic, verify, report RTO/RPO",
  builder: (y) =>
    safety(y)
      .option("force", {
        type: "boolean",
        describe: "fail over even though the primary answers as healthy (the traffic gate moves clients)",
      })
      .option("critical", {
        type: "boolean",
        describe: "business impact is critical: skip the wait/prepare thresholds",
      })
      .option("outage-since", {
        type: "string",
        describe: "when the outage began: ISO 8601 or a duration before now (--outage-since=-50m)",
        coerce: restoreTimeArgument("outage-since"),
      })
      .option("recovery-point", { type: "string", describe: "restore this recovery point ARN instead of the newest" })
      .option("before", {
        type: "string",
        describe: "restore the newest recovery point created before this time (ISO 8601 or --before=-2h)",
        coerce: restoreTimeArgument("before"),
      })
      .option("accept-data-loss", {
        type: "boolean",
        default: false,
        describe: "proceed even if the recovery point is older than the RPO target",
      })
      .option("prepare", {
        type: "boolean",
        describe:
          "restore and check DR now, move no traffic (the seeds' prepare window); a later failover only switches",
      })
      .option("abandon", {
        type: "string",
        describe:
          "undo a failed (or prepared) failover RUN: withdraw DR, destroy its stack; a new failover may then start",
      })
      .conflicts("recovery-point", "before")
      // No defaults on these: yargs counts a default as given, and --abandon would always conflict.
      .conflicts("abandon", ["prepare", "recovery-point", "before", "force", "critical"])
      .example(
        "$0 failover --sandbox --outage-since=-70m --yes",
        "rehearse a regional failover on the simulated region pair",
      )
      .example("$0 failover --env prod --dry-run", "show what a failover would do right now")
      .example(
        "$0 failover --env prod --abandon failover-20260119T130000-1a2b3c",
        "give up a failed failover and clear the way for another",
      ) as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      if (typeof args["abandon"] === "string") {
        finish(ctx, r, await lib.abandon({ ...common(ctx, args), run: args["abandon"] }));
        return;
      }
      const outcome = await lib.failover({
        ...common(ctx, args),
        force: args["force"] === true,
        critical: args["critical"] === true,
        acceptDataLoss: args["acceptDataLoss"] === true,
        prepare: args["prepare"] === true,
        ...(args["recoveryPoint"] === undefined ? {} : { recoveryPoint: String(args["recoveryPoint"]) }),
        // Checked by the parser, resolved by the library against its clock (virtual on the sandbox).
        ...(args["before"] === undefined ? {} : { before: String(args["before"]) }),
        ...(args["outageSince"] === undefined ? {} : { outageSince: String(args["outageSince"]) }),
      });
      finish(ctx, r, outcome);
    }),
};

/** `failback`: bring everything home and tear the DR stack down. */
export const failbackCommand: CommandModule = {
  command: "failback",
  describe:
    "Fail back to the primary region: fence DR, snapshot, copy home, restore, switch traffic, destroy the DR stack",
  builder: (y) =>
    safety(y)
      .option("accept-stranded-writes", {
        type: "boolean",
        default: false,
        describe:
          "fail back although the old primary took writes after the failover (they are reported, and kept in the retired cluster)",
      })
      .example("$0 failback --env prod", "return to the primary region after a failover") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      finish(
        ctx,
        r,
        await lib.failback({ ...common(ctx, args), acceptStrandedWrites: args["acceptStrandedWrites"] === true }),
      );
    }),
};

/** `restore --to TIME`: point-in-time restore after data corruption. */
export const restoreCommand: CommandModule = {
  command: "restore",
  describe:
    "Recover from data corruption: point-in-time restore into a new cluster, compare, cut over, keep the damaged one",
  builder: (y) =>
    safety(y)
      .option("to", {
        type: "string",
        describe: "the time to restore to: ISO 8601, a duration before now (--to=-45m), or latest (a lost cluster)",
        coerce: restoreTimeArgument("to", { latest: true }),
      })
      .option("abandon", {
        type: "string",
        describe: "undo a restore RUN that did not cut over: drop its candidate, lift the fence",
      })
      .conflicts("to", "abandon")
      .example("$0 restore --env prod --to 2026-01-19T13:00:00Z", "restore the state of 13:00 UTC")
      .example("$0 restore --sandbox --to=-45m --yes", "rehearse: restore to 45 minutes ago")
      .example(
        "$0 restore --env prod --to latest",
        "the primary cluster is lost, its region up: restore its latest data",
      ) as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      if (typeof args["abandon"] === "string") {
        finish(ctx, r, await lib.abandon({ ...common(ctx, args), run: args["abandon"] }));
        return;
      }
      if (args["to"] === undefined)
        throw new PilotlightError("config.invalid", "restore needs --to TIME (or --abandon RUN)", {
          source: "user",
          hint: "e.g. --to 2026-01-19T13:00:00Z or --to=-45m",
        });
      finish(ctx, r, await lib.restore({ ...common(ctx, args), to: String(args["to"]) }));
    }),
};

/** `drill run KIND`: one drill now. */
const drillRunCommand: CommandModule = {
  command: "run <kind>",
  describe: "Run one drill now: restore (nightly), full (quarterly failover + failback) or posture (hourly checks)",
  builder: (y) =>
    y
      .positional("kind", { choices: ["restore", "full", "posture"] as const, describe: "which drill" })
      .example(
        "$0 drill run restore --sandbox",
        "restore the newest DR copy into a throw-away stack, validate, destroy",
      ) as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      finish(
        ctx,
        r,
        await lib.drill(args["kind"] as "restore" | "full" | "posture", { env: args.env, signal: ctx.io.signal }),
      );
    }),
};

/** `drill sweep`: remove drill leftovers whose TTL passed. */
const drillSweepCommand: CommandModule = {
  command: "sweep",
  describe:
    "Remove drill stacks and clusters whose TTL passed (only what carries pilotlight's tag); report what was done",
  builder: (y) =>
    y
      .option("dry-run", { type: "boolean", default: false, describe: "say what would be removed; remove nothing" })
      .example("$0 drill sweep --env prod", "clean up after a drill host died") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const report = await lib.sweep({ env: args.env, signal: ctx.io.signal, dryRun: args["dryRun"] === true });
      r.result(
        report,
        `${report.dryRun ? "would remove" : "removed"} ${report.destroyedStacks.length} stacks (${report.destroyedStacks.join(", ") || "-"}) ${report.deletedClusters.length} clusters (${report.deletedClusters.join(", ") || "-"}) and ${report.deletedSnapshots.length} snapshots (${report.deletedSnapshots.join(", ") || "-"}); kept ${report.keptUntagged.length} untagged, ${report.keptForensics.length} forensic${report.errors.length > 0 ? `; errors: ${report.errors.join("; ")}` : ""}`,
      );
      if (report.errors.length > 0) ctx.setExit(1);
    }),
};

/** `drill …`: drills on demand. */
export const drillCommand: CommandModule = {
  command: "drill",
  describe: "Drills on demand: `drill run restore|full|posture`, `drill sweep`",
  builder: (y) => y,
  handler: async () => undefined,
  subcommands: [drillRunCommand, drillSweepCommand],
};
