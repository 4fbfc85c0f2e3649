import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import yargs, { type Argv } from "yargs";
import type { CliContext, CommandModule, GlobalArgs } from "./context";
import { demoCommand } from "./commands/demo";
import { doctorCommand, iamPolicyCommand } from "./commands/doctor";
import { drillsCommand } from "./commands/drills";
import { manifestCommand } from "./commands/manifest";
import { drillCommand, failbackCommand, failoverCommand, restoreCommand } from "./commands/operations";
import { resumeCommand } from "./commands/resume";
import { runsCommand } from "./commands/runs";
import { sandboxCommand } from "./commands/sandbox";
import { statusCommand } from "./commands/status";
import { validateCommand } from "./commands/validate";

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandModule[] = [
  failoverCommand,
  failbackCommand,
  restoreCommand,
  drillCommand,
  drillsCommand,
  statusCommand,
  doctorCommand,
  iamPolicyCommand,
  runsCommand,
  resumeCommand,
  manifestCommand,
  sandboxCommand,
  validateCommand,
  demoCommand,
];

/**
 * Builds the yargs parser. Exported so that tests parse command strings; handlers only turn argv
 * into library calls through `ctx`.
 */
export function buildParser(ctx: CliContext): Argv<GlobalArgs> {
  let y = yargs()
    .scriptName("pilotlight")
    .usage(
      "$0 <command> [options]\n\nDisaster recovery for Aurora PostgreSQL on AWS: failover, failback, point-in-time restore and nightly drills, measured against your RTO/RPO.",
    )
    .option("config", {
      type: "string",
      describe: "configuration file (default: $PILOTLIGHT_CONFIG or ./pilotlight.yaml)",
    })
    .option("sandbox", { type: "boolean", describe: "act on the simulated region pair instead of AWS (never implied)" })
    .option("env", { type: "string", describe: "environment name from the configuration (optional when there is one)" })
    .option("json", {
      type: "boolean",
      describe: "machine output: result JSON on stdout, events as JSON lines on stderr",
    })
    .option("debug", { type: "boolean", describe: "show stack traces of errors" })
    .strict()
    .demandCommand(1, "name a command (see the list above)")
    .recommendCommands()
    .help()
    .alias("help", "h")
    .version(ownVersion())
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilog(
      "Exit codes: 0 completed, 1 run failed, 2 usage, 3 refused or bad input, 4 AWS/Pulumi error, " +
        "5 run store unavailable or internal, 130 interrupted.",
    ) as Argv<GlobalArgs>;
  for (const mod of COMMANDS) y = register(y, mod, ctx);
  return y;
}

function register(y: Argv<GlobalArgs>, mod: CommandModule, ctx: CliContext): Argv<GlobalArgs> {
  const subs = mod.subcommands;
  return y.command({
    command: mod.command,
    describe: mod.describe,
    builder: (sub: Argv<GlobalArgs>) => {
      let b = mod.builder(sub);
      if (subs !== undefined) {
        for (const s of subs) b = register(b, s, ctx);
        b = b.demandCommand(1, `name a sub-command of ${String(mod.command)}`);
      }
      return b;
    },
    handler: (argv: GlobalArgs & Record<string, unknown>) => mod.handler(ctx, argv),
  } as never) as Argv<GlobalArgs>;
}

/** pilotlight's own version: the package.json above this file (from the sources or from dist/). */
function ownVersion(): string {
  for (let dir = __dirname, i = 0; i < 5; dir = dirname(dir), i++) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "pilotlight" && pkg.version !== undefined) return pkg.version;
  }
  return "unknown";
}
