/**
 * pilotlight as a library — the package's entry and composition root: the core from
 * `automation/` with the drills kit (validation, drills, sweeper, scheduler) plugged in.
 * `automation/` never imports `drills/`; this module joins them.
 */
import { createPilotlight as createCore, type Pilotlight, type PilotlightOptions } from "../automation/library";
import { runDemo as runCoreDemo } from "../automation/sandbox/demo";
import { drillKit } from "./kit";

export * from "../automation/index";
export { drillKit };
export type { DrillKit, DrillKind, SweepReport } from "../automation/drill-kit";
export type { Validator, ValidationResult, TableResult, TableVerdict, DifferenceCounts, FirstKeys } from "../automation/ports/validator";

/** Creates the library with validation and drills; `options.kit` replaces the kit (tests, hosts). */
export function createPilotlight(options: PilotlightOptions): Promise<Pilotlight> {
  return createCore({ ...options, kit: options.kit ?? drillKit });
}

/** The sandbox story (`npm run demo`): outage, failover, measured RTO/RPO, failback. */
export function runDemo(options: Omit<PilotlightOptions, "target">, say?: (line: string) => void): ReturnType<typeof runCoreDemo> {
  return runCoreDemo(createPilotlight, options, say);
}
