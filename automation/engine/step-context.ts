import type { Json, JsonObject } from "../domain/json";
import type { ExternalRef, Run, Step } from "../domain/run";
import type { Clock } from "../ports/clock";

/**
 * What a step's handler is given. Handlers do the I/O (through ports); they must honour
 * `signal`, bound every wait by `deadline`, and call {@link recordExternal} before waiting on
 * anything outside pilotlight.
 */
export interface StepContext {
  readonly runId: string;
  /** The run's immutable spec. */
  readonly spec: JsonObject;
  readonly step: Readonly<Step>;
  /** The step's input, as the runbook planned it. */
  readonly input: Json | undefined;
  /** Aborted on the run's abort (not for cleanup steps), on the step's deadline, or on a fatal error. */
  readonly signal: AbortSignal;
  /** Absolute epoch ms at which the step times out. */
  readonly deadline: number;
  readonly clock: Clock;
  /**
   * The external reference persisted by an earlier attempt of this step, if any: re-attach to
   * it instead of starting the work again.
   */
  readonly external: ExternalRef | undefined;
  /** Persists an external reference; resolves once it is durable. Call before waiting on it. */
  recordExternal(ref: Omit<ExternalRef, "recordedAt">): Promise<void>;
  /** Output of a step that already succeeded in this run, typed as its handler returned it. */
  outputOf<T = Json>(stepId: string): T | undefined;
  /** The facts the runbook gathered (the run's `spec.facts`). */
  facts<T>(): T;
  /** The normalised request (the run's `spec.request`). */
  request<T>(): T;
  /** A copy of the whole run as it stands (reports, measurements). */
  run(): Run;
  /** Emits a `step.progress` event. */
  progress(message: string, data?: JsonObject): void;
  /** Records a named measurement on the run (milliseconds), persisted. */
  measure(name: string, ms: number): Promise<void>;
}

/** Executes one step; its resolved value is persisted as the step's output. */
export type StepHandler = (ctx: StepContext) => Promise<Json | void>;

/** Handlers by action name (a step's `action`, or its id). */
export type StepHandlers = Readonly<Record<string, StepHandler>>;
