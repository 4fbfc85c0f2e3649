import { formatDuration } from "../../domain/objectives";
import type { Locations } from "../../config/locations";
import { withLibrary, type CommandModule } from "../context";

/** Where this invocation keeps its state: an operator checks it before trusting a status. */
function describeLocations(l: Locations): string {
  return [
    `configuration: ${l.configFile ?? "(built in)"}; relative paths from ${l.baseDir}`,
    `run store: ${l.store}`,
    `state backend: ${l.stateBackend}`,
    `reports: ${l.reportsDir}`,
  ].join("\n");
}

/** `status`: per environment, regions, objectives, active run and the last run of each kind. */
export const statusCommand: CommandModule = {
  command: "status",
  describe: "Show where state is kept (store, state backend, reports) and each environment's regions, targets, runs",
  builder: (y) => y.example("$0 status --sandbox", "status of the simulated region pair") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const status = await lib.status(args.env);
      const human = status
        .map((s) => {
          const lines = [
            `${s.name}: primary ${s.primaryRegion}, DR ${s.drRegion}; targets RTO ${formatDuration(s.objectives.rtoMs)}, RPO ${formatDuration(s.objectives.rpoMs)}`,
            s.activeLease === undefined
              ? "  no run in progress"
              : `  in progress: run ${s.activeLease.runId} (host ${s.activeLease.holder.host}, pid ${s.activeLease.holder.pid})`,
          ];
          const l = s.live;
          if (l !== undefined) {
            if (l.error !== undefined) lines.push(`  live facts unavailable: ${l.error}`);
            else {
              if (l.traffic !== undefined)
                lines.push(
                  `  traffic: ${l.traffic.join(", ") || "no answer"} (${l.servedBy ?? "unknown"}); primary health check ${l.primaryHealth ?? "n/a"}`,
                );
              lines.push(`  DR stack: ${l.drStack}`);
              if (l.newestRecoveryPoint !== undefined) {
                const late = l.newestRecoveryPoint.ageMs > s.objectives.rpoMs ? " — OLDER THAN THE RPO" : "";
                lines.push(`  newest DR copy: ${formatDuration(l.newestRecoveryPoint.ageMs)} old${late}`);
              } else lines.push("  newest DR copy: none");
            }
          }
          for (const [kind, last] of Object.entries(s.lastRuns)) {
            lines.push(
              `  last ${kind}: ${last!.id} ${last!.phase}${last!.endedAt === undefined ? "" : ` at ${new Date(last!.endedAt).toISOString()}`}`,
            );
          }
          return lines.join("\n");
        })
        .join("\n");
      r.result(
        { environments: status, ...(lib.locations === undefined ? {} : { locations: lib.locations }) },
        lib.locations === undefined ? human : `${describeLocations(lib.locations)}\n${human}`,
      );
    }),
};
