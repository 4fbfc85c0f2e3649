/**
 * pilotlight as a library: `createPilotlight` returns the operations; everything else here is
 * types, the error family and the event codes a host needs.
 */
export { createPilotlight, isPreview, environmentTarget } from "./library";
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
export { runDemo } from "./sandbox/demo";
