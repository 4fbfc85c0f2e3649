/**
 * pilotlight as a library — the package's entry and composition root: the core from
 * `automation/` with the drills kit (validation, drills, sweeper, scheduler) plugged in.
 * `automation/` never imports `drills/`; this module joins them.
 */
import { createPilotlight as createCore, type Pilotlight, type PilotlightOptions } from "../automation/library";
import { runDemo as runCoreDemo } from "../automation/cli/demo-story";
import { openPilotlight as openCore, type OpenedPilotlight, type OpenOptions } from "../automation/targets/open";
import { drillKit } from "./kit";

export * from "../automation/index";
export { drillKit };
export type { OpenOptions, OpenedPilotlight } from "../automation/targets/open";
export type {
  Validator,
  ValidationResult,
  TableResult,
  TableVerdict,
  DifferenceCounts,
  FirstKeys,
} from "../automation/ports/validator";

/** Creates the library over ports, clock and store the host opened, with validation and drills. */
export function createPilotlight(options: PilotlightOptions): Pilotlight {
  return createCore({ ...options, kit: options.kit ?? drillKit });
}

/** Opens pilotlight on a target (real AWS, or the sandbox world) with its store, validation and drills. */
export function openPilotlight(options: OpenOptions): Promise<OpenedPilotlight> {
  return openCore({ ...options, kit: options.kit ?? drillKit });
}

/** The sandbox story (`npm run demo`): outage, failover, measured RTO/RPO, failback. */
export function runDemo(
  options: Parameters<typeof runCoreDemo>[1],
  say?: (line: string) => void,
): ReturnType<typeof runCoreDemo> {
  return runCoreDemo(openPilotlight, options, say);
}
