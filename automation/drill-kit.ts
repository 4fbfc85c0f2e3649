import type { EnvironmentConfig } from "./config/schema";
import type { PilotlightError } from "./domain/errors";
import type { EventSink } from "./domain/events";
import type { JsonObject } from "./domain/json";
import type { Plan } from "./domain/plan";
import type { Run, RunKind } from "./domain/run";
import type { Validator } from "./ports/validator";
import type { RunbookPorts } from "./runbooks/ports";
import type { Pilotlight, Runbook } from "./library";

/** The drills a library offers (`drill run KIND`). */
export const DRILL_KINDS = ["restore", "full", "posture"] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

/** How a drill of one kind is started: facts, guards, plan (its handlers are a {@link Runbook}). */
export interface DrillOperation {
  runKind: RunKind;
  gather(ports: RunbookPorts, envName: string, env: EnvironmentConfig): Promise<JsonObject>;
  decide(facts: JsonObject, env: EnvironmentConfig): { refusal?: PilotlightError; warnings: string[] };
  plan(facts: JsonObject, env: EnvironmentConfig): Plan;
}

/** What a sweep found and did. */
export interface SweepReport extends JsonObject {
  destroyedStacks: string[];
  deletedClusters: string[];
  deletedSnapshots: string[];
  keptUntagged: string[];
  keptForensics: string[];
  errors: string[];
}

/** What the library tells the sweeper. */
export interface SweepOptions {
  now: number;
  signal: AbortSignal;
  /** Drill runs (restore and full) of the run store: drill stacks are named after them. */
  drillRuns: Run[];
  /** Whether a live process holds the run's lease now. */
  leaseLive: (run: Run) => Promise<boolean>;
}

/**
 * What `drills/` plugs into the library: data validation (which the failover, failback and
 * restore runbooks use through {@link RunbookPorts.validator}), the drill runbooks, the sweeper and
 * the scheduler. `automation/` only knows this interface; the composition root (`drills/index.ts`,
 * the package's entry, and `drills/main.ts`, the executable) passes the implementation in.
 */
export interface DrillKit {
  validator: Validator;
  runbooks: Runbook[];
  drills: Record<DrillKind, DrillOperation>;
  sweep(ports: RunbookPorts, env: EnvironmentConfig, o: SweepOptions): Promise<SweepReport>;
  /** Runs the drill scheduler (and a metrics endpoint) until `signal` aborts; resolves once stopped. */
  serve(lib: Pilotlight, o: { sink: EventSink; signal: AbortSignal; metricsPort?: number }): Promise<void>;
}
