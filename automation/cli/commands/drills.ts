import { SystemClock } from "../../adapters/system-clock";
import { withLibrary, type CommandModule } from "../context";

/** `drills`: the long-running scheduler of drills. */
export const drillsCommand: CommandModule = {
  command: "drills",
  describe: "Run the drill scheduler until SIGTERM: nightly restore drills, quarterly full drills and hourly posture checks from the configuration",
  builder: (y) =>
    y
      .option("metrics-port", { type: "number", describe: "serve Prometheus metrics on 127.0.0.1:PORT/metrics (e.g. 9464)" })
      .example("$0 drills --config pilotlight.yaml --metrics-port 9464", "several processes on one shared store run each drill once") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      // The scheduler lives in drills/, which builds on the library; loaded only for this command.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { DrillScheduler, nodeCron, clockCron } = require("../../../drills/scheduler") as typeof import("../../../drills/scheduler");
      // On the sandbox's virtual time the schedule follows that clock (a night passes in seconds).
      const cron = lib.clock instanceof SystemClock ? nodeCron : clockCron(lib.clock);
      const scheduler = new DrillScheduler({ lib, config: lib.config, store: lib.store, cron, clock: lib.clock, sink: r.event });
      await scheduler.start();
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { serveMetrics } = require("../../../drills/metrics") as typeof import("../../../drills/metrics");
      const port = args["metricsPort"] as number | undefined;
      const server = port === undefined ? undefined : await serveMetrics(() => lib.runs.list({ limit: 500 }), port);
      await new Promise<void>((resolve) => (ctx.io.signal.aborted ? resolve() : ctx.io.signal.addEventListener("abort", () => resolve(), { once: true })));
      await scheduler.stop();
      server?.close();
      r.result({ stopped: true }, "scheduler stopped");
    }),
};
