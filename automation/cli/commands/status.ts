import { formatDuration } from "../../domain/objectives";
import { withLibrary, type CommandModule } from "../context";

/** `status`: per environment, regions, objectives, active run and the last run of each kind. */
export const statusCommand: CommandModule = {
  command: "status",
  describe: "Show each environment: regions, RTO/RPO targets, the run holding it, the last run of each kind",
  builder: (y) => y.example("$0 status --sandbox", "status of the simulated region pair") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const status = await lib.status(args.env);
      const human = status
        .map((s) => {
          const lines = [
            `${s.name}: primary ${s.primaryRegion}, DR ${s.drRegion}; targets RTO ${formatDuration(s.objectives.rtoMs)}, RPO ${formatDuration(s.objectives.rpoMs)}`,
            s.activeLease === undefined ? "  no run in progress" : `  in progress: run ${s.activeLease.runId} (host ${s.activeLease.holder.host}, pid ${s.activeLease.holder.pid})`,
          ];
          for (const [kind, last] of Object.entries(s.lastRuns)) {
            lines.push(`  last ${kind}: ${last!.id} ${last!.phase}${last!.endedAt === undefined ? "" : ` at ${new Date(last!.endedAt).toISOString()}`}`);
          }
          return lines.join("\n");
        })
        .join("\n");
      r.result({ environments: status }, human);
    }),
};
