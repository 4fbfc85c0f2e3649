import type { DrillKit } from "../automation/drill-kit";
import type { JsonObject } from "../automation/domain/json";
import { decideFullDrill, fullDrillHandlers, gatherFullDrillFacts, planFullDrill, type FullDrillFacts } from "./full-drill";
import { gatherPostureFacts, planPosture, postureHandlers } from "./posture-check";
import { decideRestoreDrill, gatherRestoreDrillFacts, planRestoreDrill, restoreDrillHandlers, type RestoreDrillFacts } from "./restore-drill";
import { serveDrills } from "./serve";
import { sweep } from "./sweeper";
import { sqlValidator } from "./validation/validate";

/** Everything `drills/` plugs into the library (see `DrillKit`). */
export const drillKit: DrillKit = {
  validator: sqlValidator,
  runbooks: [
    { kind: "restore-drill", handlers: (d) => restoreDrillHandlers(d.ports, d.envName, d.environment) },
    { kind: "full-drill", handlers: (d) => fullDrillHandlers(d.ports, d.envName, d.environment) },
    { kind: "posture-check", handlers: (d) => postureHandlers(d.ports, d.envName, d.environment) },
  ],
  drills: {
    restore: { runKind: "restore-drill", gather: gatherRestoreDrillFacts, decide: (f, env) => decideRestoreDrill(f as RestoreDrillFacts, env), plan: () => planRestoreDrill() },
    full: { runKind: "full-drill", gather: gatherFullDrillFacts, decide: (f, env) => decideFullDrill(f as FullDrillFacts, env), plan: (_f: JsonObject, env) => planFullDrill(env) },
    posture: { runKind: "posture-check", gather: gatherPostureFacts, decide: () => ({ warnings: [] }), plan: () => planPosture() },
  },
  sweep,
  serve: serveDrills,
};
