import { RUN_KINDS, RUN_PHASES, type RunKind, type RunPhase } from "../../domain/run";
import { formatDuration } from "../../domain/objectives";
import { withLibrary, type CommandModule } from "../context";
import { describeRun } from "../render";

/** `runs list`: the run history, newest first. */
const listCommand: CommandModule = {
  command: "list",
  describe: "List runs, newest first",
  builder: (y) =>
    y
      .option("kind", { choices: RUN_KINDS, describe: "only runs of this kind" })
      .option("phase", { choices: RUN_PHASES, describe: "only runs in this phase" })
      .option("limit", { type: "number", default: 20, describe: "at most this many runs" })
      .example("$0 runs list --kind restore-drill", "the last nightly drills") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const runs = await lib.runs.list({
        env: args.env,
        kind: args["kind"] as RunKind | undefined,
        phase: args["phase"] as RunPhase | undefined,
        limit: args["limit"] as number,
      });
      const human =
        runs.length === 0
          ? "no runs yet"
          : runs
              .map((run) => {
                const took = run.startedAt !== undefined && run.endedAt !== undefined ? formatDuration(run.endedAt - run.startedAt) : "-";
                return `${run.id.padEnd(44)} ${run.kind.padEnd(22)} ${run.phase.padEnd(15)} ${took}`;
              })
              .join("\n");
      r.result({ runs }, human);
    }),
};

/** `runs show ID`: one run with its steps, measurements and events. */
const showCommand: CommandModule = {
  command: "show <id>",
  describe: "Show one run: steps, external references, measurements, events",
  builder: (y) =>
    y
      .positional("id", { type: "string", demandOption: true, describe: "run id (see `runs list`)" })
      .example("$0 runs show failover-20260101T000000-a1b2c3", "what happened during that failover") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const { run, events } = await lib.runs.show(args["id"] as string);
      const lines = events.map((e) => `  ${new Date(e.time).toISOString()} ${e.code}${e.stepId === undefined ? "" : ` [${e.stepId}]`} ${e.message}`);
      r.result({ run, events }, `${describeRun(run)}\nevents:\n${lines.join("\n")}`);
    }),
};

/** `runs list|show`: the run history. */
export const runsCommand: CommandModule = {
  command: "runs",
  describe: "The run history: list runs or show one",
  builder: (y) => y,
  handler: async () => undefined,
  subcommands: [listCommand, showCommand],
};
