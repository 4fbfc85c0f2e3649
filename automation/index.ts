/**
 * The core of the library: operations, types, the error family and the event codes a host needs.
 * Hosts import the package's entry (`drills/index.ts`), whose `openPilotlight` opens a target and a
 * store and adds the drills kit; this module's exports are re-exported there.
 */
export { createPilotlight, isPreview, environmentLease, DRILL_RUN_KINDS } from "./library";
export type { DrillKit, DrillKind, SweepReport } from "./drill-kit";
export type {
  Pilotlight,
  PilotlightOptions,
  RunRequest,
  PlanPreview,
  EnvironmentStatus,
  RunDetails,
  TargetInfo,
} from "./library";
export type { Runbook, RunbookContext, Decision, AnyRunbook } from "./runbooks/runbook";
export type { EnvironmentPorts, RunbookPorts } from "./ports/runbook-ports";
export { PilotlightError, isPilotlightError } from "./domain/errors";
export type { ErrorSource, ErrorInfo } from "./domain/errors";
export { CODES } from "./domain/codes";
export type { Code, ErrorCode } from "./domain/codes";
export type { PilotEvent, EventSink } from "./domain/events";
export type { Run, RunKind, RunPhase, Step, StepState } from "./domain/run";
export { computeTrends } from "./domain/trends";
export type { Trend, TrendPoint, MetricSummary } from "./domain/trends";
export type { Config, EnvironmentConfig } from "./config/schema";
