import { FileReports } from "../../adapters/file-reports";
import { validateConfig } from "../../config/load";
import { SANDBOX_CONFIG } from "../../config/sandbox-default";
import { parseDuration } from "../../domain/objectives";
import { PilotlightError } from "../../domain/errors";
import { resolveTime } from "../../domain/time";
import type { WorldView } from "../../sandbox/inspect";
import type { SandboxTarget } from "../../sandbox/target";
import type { OpenedPilotlight } from "../../targets/open";

// The sandbox's modules load the Pulumi program (@pulumi/aws): only when a sandbox command runs.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const faults = () => require("../../sandbox/faults") as typeof import("../../sandbox/faults");
import { withLibrary, type CliContext, type CommandModule, type GlobalArgs } from "../context";

/** The sandbox world of this invocation (`--sandbox` is implied: these commands only act on it). */
async function withWorld<T>(
  ctx: CliContext,
  args: GlobalArgs,
  fn: (lib: OpenedPilotlight & { sandbox: SandboxTarget }) => Promise<T>,
): Promise<T> {
  return withLibrary(ctx, { ...args, sandbox: true }, async (lib) =>
    fn(lib as OpenedPilotlight & { sandbox: SandboxTarget }),
  );
}

const resetCommand: CommandModule = {
  command: "reset",
  describe:
    "Start a new world: the primary deployed, seed rows, hours of writes, backups and copies (runs and reports of the old world go)",
  builder: (y) =>
    y
      .option("seed", {
        type: "number",
        default: 7,
        describe: "seed of the world's durations and writes (same seed, same story)",
      })
      .option("hours", { type: "number", default: 6, describe: "hours of history before now" })
      .check((a) =>
        Number.isInteger(a["seed"]) &&
        Number(a["seed"]) >= 0 &&
        Number.isFinite(a["hours"]) &&
        Number(a["hours"]) >= 1 &&
        Number(a["hours"]) <= 168
          ? true
          : "--seed is a whole number ≥ 0, --hours 1..168",
      )
      .example("$0 sandbox reset --seed 42", "a fresh region pair for a game day") as never,
  handler: async (ctx, args) => {
    const r = ctx.renderer(args);
    const { resolve } = await import("node:path");
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { SANDBOX_FOLDER } = require("../../targets/open") as typeof import("../../targets/open");
    const { SandboxTarget } = require("../../sandbox/target") as typeof import("../../sandbox/target");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const config = validateConfig(SANDBOX_CONFIG);
    const envName = Object.keys(config.environments)[0]!;
    const folder = resolve(ctx.io.cwd, SANDBOX_FOLDER);
    const world = await SandboxTarget.reset({
      folder,
      envName,
      environment: config.environments[envName]!,
      reports: new FileReports(SandboxTarget.reportsDir(folder)),
      command: ctx.command,
      seed: Number(args["seed"]),
      historyHours: Number(args["hours"]),
    });
    try {
      const s = world.world.s;
      r.result(
        { world: world.worldId, clock: new Date(world.world.now()).toISOString(), folder, stats: s.stats },
        `new world ${world.worldId} in ${folder}: clock ${new Date(world.world.now()).toISOString()}, ${s.stats.writes} write batches, ${s.stats.backups} backups, ${s.stats.copies} copies in the DR vault`,
      );
    } finally {
      await world.close();
    }
  },
};

const advanceCommand: CommandModule = {
  command: "advance <duration>",
  describe: "Let virtual time pass: the application writes, backups run and are copied, faults expire",
  builder: (y) =>
    y
      .positional("duration", { type: "string", describe: "how long, e.g. 90m or 2h" })
      .example("$0 sandbox advance 2h", "two hours pass") as never,
  handler: async (ctx, args) =>
    withWorld(ctx, args, async (lib) => {
      const ms = parseDuration(String(args["duration"]));
      if (ms === undefined || ms > 30 * 24 * 3_600_000)
        throw new PilotlightError("config.invalid", `"${String(args["duration"])}" is not a duration up to 30d`, {
          source: "user",
          hint: "e.g. sandbox advance 90m",
        });
      await lib.sandbox.world.advance(ms);
      ctx
        .renderer(args)
        .result(
          { clock: new Date(lib.clock.now()).toISOString() },
          `clock: ${new Date(lib.clock.now()).toISOString()}`,
        );
    }),
};

const faultCommand: CommandModule = {
  command: "fault [name]",
  describe:
    "Inject a fault (see --list): a region outage, Route 53's control plane down, a damaged copy, a failed restore, …",
  builder: (y) =>
    y
      .positional("name", { type: "string", describe: "the fault" })
      .option("list", { type: "boolean", default: false, describe: "list the faults the sandbox knows" })
      .option("region", { type: "string", describe: "the region it strikes (where it applies)" })
      .option("for", { type: "string", describe: "how long it lasts, e.g. 2h (default: until `sandbox recover`)" })
      .option("count", { type: "number", describe: "how many times a counted fault strikes (default 1)" })
      .example("$0 sandbox fault region-outage --region us-east-1", "the primary region goes dark")
      .example("$0 sandbox fault --list", "every fault and what it does") as never,
  handler: async (ctx, args) => {
    const r = ctx.renderer(args);
    const { FAULTS, injectFault, parseFor } = faults();
    if (args["list"] === true || args["name"] === undefined) {
      r.result(
        { faults: FAULTS.map((f) => ({ name: f.name, describe: f.describe, takes: f.takes })) },
        FAULTS.map(
          (f) =>
            `${f.name.padEnd(20)} ${f.describe}${f.takes.length === 0 ? "" : ` [${f.takes.map((t) => `--${t}`).join(" ")}]`}`,
        ).join("\n"),
      );
      return;
    }
    const count = args["count"] === undefined ? undefined : Number(args["count"]);
    if (count !== undefined && !(Number.isInteger(count) && count >= 1 && count <= 1000))
      throw new PilotlightError("config.invalid", "--count must be a whole number from 1 to 1000", { source: "user" });
    await withWorld(ctx, args, async (lib) => {
      const forMs = parseFor(args["for"] as string | undefined);
      const said = await injectFault(lib.sandbox.world, String(args["name"]), {
        ...(args["region"] === undefined ? {} : { region: String(args["region"]) }),
        ...(forMs === undefined ? {} : { forMs }),
        ...(count === undefined ? {} : { count }),
      });
      r.result({ fault: String(args["name"]), effect: said, clock: new Date(lib.clock.now()).toISOString() }, said);
    });
  },
};

const recoverCommand: CommandModule = {
  command: "recover [name]",
  describe: "End a fault (or every fault)",
  builder: (y) =>
    y
      .positional("name", { type: "string", describe: "the fault to end; all when omitted" })
      .example("$0 sandbox recover region-outage", "the region answers again") as never,
  handler: async (ctx, args) =>
    withWorld(ctx, args, async (lib) => {
      const { recoverFaults } = faults();
      const ended = recoverFaults(lib.sandbox.world, args["name"] as string | undefined);
      ctx.renderer(args).result({ recovered: ended }, `ended: ${ended.join(", ")}`);
    }),
};

/** The human form of `inspect`. */
export function describeWorld(v: WorldView): string {
  const lines = [`world ${v.world}, clock ${v.clock}`, `faults: ${v.faults.join("; ") || "none"}`, "dns:"];
  for (const [name, target] of Object.entries(v.dns)) lines.push(`  ${name} → ${target ?? "no answer"}`);
  lines.push(`clusters (writes since ${v.since}):`);
  for (const c of v.clusters) {
    const rows =
      c.rows === null
        ? ""
        : ` ${Object.entries(c.rows)
            .map(([t, n]) => `${t}=${n}`)
            .join(" ")}`;
    lines.push(
      `  ${c.id} ${c.region} ${c.status}${c.readOnly ? " FENCED" : ""}${c.tags["pilotlight:forensics"] === undefined ? "" : " forensics"}: ${c.writesSince} writes${c.newestWrite === null ? "" : ` (newest ${c.newestWrite})`}${rows}`,
    );
  }
  lines.push(
    `stacks: ${v.stacks.map((s) => `${s.name} (${s.region}, ${s.resources} resources${s.pending > 0 ? `, ${s.pending} pending` : ""})`).join(", ") || "none"}`,
  );
  lines.push(
    `recovery points: ${v.recoveryPoints.length}, restores run: ${v.restores}, notifications: ${v.notifications}`,
  );
  return lines.join("\n");
}

const inspectCommand: CommandModule = {
  command: "inspect",
  describe:
    "Show the world: clock, where each name sends clients, clusters (fence, rows, writes since), stacks, recovery points, faults",
  builder: (y) =>
    y
      .option("since", {
        type: "string",
        describe: "count writes after this time (ISO 8601 or -2h); default: the world's start",
      })
      .example("$0 sandbox inspect --json --since=-1h", "what landed where in the last hour") as never,
  handler: async (ctx, args) =>
    withWorld(ctx, args, async (lib) => {
      const since =
        args["since"] === undefined ? undefined : resolveTime(String(args["since"]), lib.clock.now(), "--since");
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { inspectWorld } = require("../../sandbox/inspect") as typeof import("../../sandbox/inspect");
      const view = await inspectWorld(lib.sandbox.world, since);
      ctx.renderer(args).result(view, describeWorld(view));
    }),
};

/** `sandbox …`: script a game day on the persisted simulated region pair. */
export const sandboxCommand: CommandModule = {
  command: "sandbox",
  describe:
    "The simulated region pair, persisted in .pilotlight/sandbox/world: reset, advance, fault, recover, inspect",
  builder: (y) => y,
  handler: async () => undefined,
  subcommands: [resetCommand, advanceCommand, faultCommand, recoverCommand, inspectCommand],
};
