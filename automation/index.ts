/**
 * The core of the library: operations, types, the error family and the event codes a host needs.
 * Hosts import the package's entry (`drills/index.ts`), whose `createPilotlight` adds the drills
 * kit (validation, drills, scheduler); this module's exports are re-exported there.
 */
export { isPreview, environmentTarget } from "./library";
export type { DrillKit, DrillKind, SweepReport } from "./drill-kit";
export type { Pilotlight, PilotlightOptions, RunRequest, PlanPreview, EnvironmentStatus, RunDetails, Runbook, RunbookDeps, Target } from "./library";
export { PilotlightError, isPilotlightError } from "./domain/errors";
export type { ErrorSource, ErrorInfo } from "./domain/errors";
export { CODES } from "./domain/codes";
export type { Code, ErrorCode } from "./domain/codes";
export type { PilotEvent, EventSink } from "./domain/events";
export type { Run, RunKind, RunPhase, Step, StepState } from "./domain/run";
export { computeTrends } from "./domain/trends";
export type { Trend, TrendPoint, MetricSummary } from "./domain/trends";
export type { Config, EnvironmentConfig } from "./config/schema";
