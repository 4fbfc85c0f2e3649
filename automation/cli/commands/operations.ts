import { withLibrary, type CommandModule } from "../context";
import { exitCodeOfPhase } from "../exit-codes";
import { describeRun } from "../render";

const safety = (y: Parameters<CommandModule["builder"]>[0]) =>
  y
    .option("dry-run", { type: "boolean", default: false, describe: "print the plan and the facts it would act on; change nothing" })
    .option("yes", { type: "boolean", default: false, describe: "do not ask for confirmation (required when not on a TTY)" });

/** `failover`: bring the workload up in the DR region from the newest usable recovery point. */
export const failoverCommand: CommandModule = {
  command: "failover",
  describe: "Fail over to the DR region: restore the newest usable recovery point, switch traffic, verify, report RTO/RPO",
  builder: (y) =>
    safety(y)
      .option("force", { type: "boolean", default: false, describe: "fail over even though the primary answers as healthy" })
      .option("recovery-point", { type: "string", describe: "restore this recovery point ARN instead of the newest" })
      .option("before", { type: "string", describe: "restore the newest recovery point created before this time (ISO 8601)" })
      .option("accept-data-loss", { type: "boolean", default: false, describe: "proceed even if the recovery point is older than the RPO target" })
      .conflicts("recovery-point", "before")
      .example("$0 failover --sandbox --yes", "rehearse a regional failover on the simulated region pair")
      .example("$0 failover --env prod --dry-run", "show what a failover would do right now") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const run = await lib.failover({ env: args.env, signal: ctx.io.signal, dryRun: args["dryRun"] === true });
      r.result({ run }, describeRun(run));
      ctx.setExit(exitCodeOfPhase(run.phase));
    }),
};

/** `failback`: bring everything home and tear the DR stack down. */
export const failbackCommand: CommandModule = {
  command: "failback",
  describe: "Fail back to the primary region: snapshot DR, copy home, restore, switch traffic, destroy the DR stack",
  builder: (y) => safety(y).example("$0 failback --env prod", "return to the primary region after a failover") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const run = await lib.failback({ env: args.env, signal: ctx.io.signal, dryRun: args["dryRun"] === true });
      r.result({ run }, describeRun(run));
      ctx.setExit(exitCodeOfPhase(run.phase));
    }),
};

/** `restore --to TIME`: point-in-time restore after data corruption. */
export const restoreCommand: CommandModule = {
  command: "restore",
  describe: "Recover from data corruption: point-in-time restore into a new cluster, compare, cut over, keep the damaged one",
  builder: (y) =>
    safety(y)
      .option("to", { type: "string", demandOption: true, describe: "the time to restore to (ISO 8601, before the corruption)" })
      .example("$0 restore --env prod --to 2026-01-19T13:00:00Z", "restore the state of 13:00 UTC") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const run = await lib.restore({ env: args.env, to: args["to"] as string, signal: ctx.io.signal, dryRun: args["dryRun"] === true });
      r.result({ run }, describeRun(run));
      ctx.setExit(exitCodeOfPhase(run.phase));
    }),
};

/** `drill run KIND`: one drill now. */
const drillRunCommand: CommandModule = {
  command: "run <kind>",
  describe: "Run one drill now: restore (nightly), full (quarterly failover + failback) or posture (hourly checks)",
  builder: (y) =>
    y
      .positional("kind", { choices: ["restore", "full", "posture"] as const, describe: "which drill" })
      .example("$0 drill run restore --sandbox", "restore the newest DR copy into a throw-away stack, validate, destroy") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const run = await lib.drill(args["kind"] as "restore" | "full" | "posture", { env: args.env, signal: ctx.io.signal });
      r.result({ run }, describeRun(run));
      ctx.setExit(exitCodeOfPhase(run.phase));
    }),
};

/** `drill …`: drills on demand. */
export const drillCommand: CommandModule = {
  command: "drill",
  describe: "Drills on demand: `drill run restore|full|posture`",
  builder: (y) => y,
  handler: async () => undefined,
  subcommands: [drillRunCommand],
};
