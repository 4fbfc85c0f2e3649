import { integerArgument } from "../arguments";
import { withLibrary, type CommandModule } from "../context";

/** `drills`: the long-running scheduler of drills. */
export const drillsCommand: CommandModule = {
  command: "drills",
  describe:
    "Run the drill scheduler until SIGTERM: nightly restore drills, quarterly full drills and hourly posture checks from the configuration",
  builder: (y) =>
    y
      .option("metrics-port", {
        type: "string",
        describe: "serve Prometheus metrics on 127.0.0.1:PORT/metrics (e.g. 9464)",
        coerce: integerArgument("metrics-port", { min: 1, max: 65_535, example: 9464 }),
      })
      .example(
        "$0 drills --config pilotlight.yaml --metrics-port 9464",
        "several processes on one shared store run each drill once",
      ) as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const port = args["metricsPort"] as number | undefined;
      await lib.serveDrills({ signal: ctx.io.signal, ...(port === undefined ? {} : { metricsPort: port }) });
      r.result({ stopped: true }, "scheduler stopped");
    }),
};
