import type { ErrorInfo } from "./errors";
import type { Json, JsonObject } from "./json";
import type { StepSpec } from "./plan";

/** The kinds of run pilotlight performs. */
export const RUN_KINDS = [
  "failover",
  "failback",
  "point-in-time-restore",
  "restore-drill",
  "full-drill",
  "posture-check",
  "abandon",
] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/**
 * The closed set of run phases (after Velero's): `New` (persisted, not started), `InProgress`,
 * and the terminal `Completed`, `PartiallyFailed` (the goal was reached but a non-critical or
 * cleanup step failed), `Failed`, `Interrupted` (aborted; cleanup ran). Only terminal runs other
 * than `Completed` may be resumed; an `InProgress` run whose holder died is resumed too.
 */
export const RUN_PHASES = ["New", "InProgress", "Completed", "PartiallyFailed", "Failed", "Interrupted"] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

/** States of a step. */
export const STEP_STATES = ["Pending", "Running", "Succeeded", "Failed", "TimedOut", "Skipped", "Interrupted"] as const;
export type StepState = (typeof STEP_STATES)[number];

/**
 * A reference to work outside pilotlight (restore job id, snapshot id, stack name, DNS change
 * id). Persisted *before* the step waits on it, so that a resumed run re-attaches instead of
 * starting the work a second time.
 */
export interface ExternalRef {
  kind: string;
  id: string;
  region?: string;
  data?: JsonObject;
  recordedAt: number;
}

/** A step of a run: its spec plus what was observed. */
export interface Step extends StepSpec {
  state: StepState;
  /** How many times the step's action was entered (resumes count). */
  attempts: number;
  startedAt?: number;
  endedAt?: number;
  external?: ExternalRef;
  output?: Json;
  error?: ErrorInfo;
}

/** A run: immutable spec (intent) plus status (observed), persisted after every transition. */
export interface Run {
  id: string;
  kind: RunKind;
  /** The lease key: one run per target at a time (e.g. `env:prod`, `drill:prod`). */
  target: string;
  /** What was asked for; never changed after creation. */
  spec: JsonObject;
  phase: RunPhase;
  steps: Step[];
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  endedAt?: number;
  /** How many times execution was entered (1 for a run never resumed). */
  attempts: number;
  /** Named figures in milliseconds (achieved RTO/RPO, phase durations). */
  measurements: Record<string, number>;
  error?: ErrorInfo;
}

/** True for phases in which nothing runs any more. */
export function isTerminalPhase(phase: RunPhase): boolean {
  return phase === "Completed" || phase === "PartiallyFailed" || phase === "Failed" || phase === "Interrupted";
}

/** True for step states that will not change without a resume. */
export function isTerminalStepState(state: StepState): boolean {
  return state !== "Pending" && state !== "Running";
}

/** Creates a `New` run from its plan; pure. */
export function createRun(input: {
  id: string;
  kind: RunKind;
  target: string;
  spec: JsonObject;
  steps: StepSpec[];
  now: number;
}): Run {
  return {
    id: input.id,
    kind: input.kind,
    target: input.target,
    spec: input.spec,
    phase: "New",
    steps: input.steps.map((s) => ({ ...s, dependsOn: [...s.dependsOn], state: "Pending", attempts: 0 })),
    createdAt: input.now,
    updatedAt: input.now,
    attempts: 0,
    measurements: {},
  };
}

/**
 * Decides the terminal phase of a run whose steps have all ended: aborted → `Interrupted`;
 * a critical normal step failed → `Failed`; a non-critical or cleanup step failed →
 * `PartiallyFailed`; otherwise `Completed`.
 */
export function decideTerminalPhase(steps: readonly Step[], aborted: boolean): RunPhase {
  if (aborted) return "Interrupted";
  const bad = (s: Step) => s.state === "Failed" || s.state === "TimedOut" || s.state === "Interrupted";
  if (steps.some((s) => bad(s) && s.cleanup !== true && s.critical !== false)) return "Failed";
  if (steps.some((s) => s.state === "Skipped" && s.cleanup !== true && s.critical !== false)) return "Failed";
  if (steps.some(bad)) return "PartiallyFailed";
  return "Completed";
}

/**
 * Prepares a persisted run for another execution: completed steps stay completed (their outputs
 * and external references are kept), every other step goes back to `Pending` while keeping its
 * external reference, so that its action re-attaches rather than starting work again. Cleanup
 * steps always run again at the end.
 */
export function prepareResume(run: Run): Run {
  const { error: _error, endedAt: _endedAt, ...rest } = run;
  return {
    ...rest,
    phase: "InProgress",
    steps: run.steps.map((s) => {
      if (s.state === "Succeeded" && s.cleanup !== true) return s;
      const { error: _e, endedAt: _end, ...pending } = s;
      return { ...pending, state: "Pending" as const };
    }),
  };
}
