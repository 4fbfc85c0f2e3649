import type { DrillKit } from "../automation/drill-kit";
import { fullDrillRunbook } from "./full-drill";
import { postureRunbook } from "./posture-check";
import { restoreDrillRunbook } from "./restore-drill";
import { serveDrills } from "./serve";
import { sweep } from "./sweeper";
import { sqlValidator } from "./validation/validate";

/** Everything `drills/` plugs into the library (see `DrillKit`). */
export const drillKit: DrillKit = {
  validator: sqlValidator,
  runbooks: [restoreDrillRunbook, fullDrillRunbook, postureRunbook],
  sweep,
  serve: serveDrills,
};
