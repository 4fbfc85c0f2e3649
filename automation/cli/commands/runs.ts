import { RUN_KINDS, RUN_PHASES, type RunKind, type RunPhase } from "../../domain/run";
import { formatDuration } from "../../domain/objectives";
import { sparkline, type Trend } from "../../domain/trends";
import { integerArgument } from "../arguments";
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
      .option("limit", {
        type: "string",
        default: "20",
        describe: "at most this many runs (1–1000)",
        coerce: integerArgument("limit", { min: 1, max: 1000, example: 20 }),
      })
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
                const took =
                  run.startedAt !== undefined && run.endedAt !== undefined
                    ? formatDuration(run.endedAt - run.startedAt)
                    : "-";
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
      const lines = events.map(
        (e) =>
          `  ${new Date(e.time).toISOString()} ${e.code}${e.stepId === undefined ? "" : ` [${e.stepId}]`} ${e.message}`,
      );
      r.result({ run, events }, `${describeRun(run)}\nevents:\n${lines.join("\n")}`);
    }),
};

/** `runs trends`: restore duration, RTO and RPO over time. */
const trendsCommand: CommandModule = {
  command: "trends",
  describe:
    "Trends of restore duration, RTO and RPO over time, per environment and kind of run (completed runs; failures as ×)",
  builder: (y) =>
    y
      .option("kind", { choices: RUN_KINDS, describe: "only runs of this kind" })
      .option("days", {
        type: "string",
        default: "90",
        describe: "look back this many days (1–3650)",
        coerce: integerArgument("days", { min: 1, max: 3650, example: 30 }),
      })
      .example("$0 runs trends --kind restore-drill --days 30", "how the nightly drills did this month") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const days = args["days"] as number;
      const trends = await lib.runs.trends({ env: args.env, kind: args["kind"] as RunKind | undefined, days });
      r.result(
        { trends },
        trends.length === 0 ? `no finished runs in the last ${days} days` : trends.map(describeTrend).join("\n\n"),
      );
    }),
};

const fmt = (ms: number | null) => (ms === null ? "-" : formatDuration(ms));

function describeTrend(t: Trend): string {
  const outcomes = Object.entries(t.outcomes)
    .map(([phase, n]) => `${phase} ${n}`)
    .join(", ");
  const lines = [
    `${t.env} ${t.kind}: ${t.runs} runs (${outcomes}); success ${t.successRate === null ? "-" : `${Math.round(t.successRate * 100)}%`}`,
  ];
  for (const [label, metric] of [
    ["restore", "restoreMs"],
    ["RTO", "rtoMs"],
    ["RPO", "rpoMs"],
  ] as const) {
    const m = t.metrics[metric];
    if (m.n === 0) continue;
    const objective = m.objectiveMs === null ? "" : `  objective ${fmt(m.objectiveMs)}: ${m.overObjective} over`;
    const drift = m.drift === null ? "" : `  drift ${m.drift >= 0 ? "+" : "-"}${fmt(Math.abs(m.drift))}`;
    lines.push(
      `  ${label.padEnd(8)} p50 ${fmt(m.p50)}  p95 ${fmt(m.p95)}  max ${fmt(m.max)}  last ${fmt(m.last)}${objective}${drift}  ${sparkline(t.points, metric)}`,
    );
  }
  return lines.join("\n");
}

/** `runs list|show|trends`: the run history. */
export const runsCommand: CommandModule = {
  command: "runs",
  describe: "The run history: list runs, show one, or their trends",
  builder: (y) => y,
  handler: async () => undefined,
  subcommands: [listCommand, showCommand, trendsCommand],
};
