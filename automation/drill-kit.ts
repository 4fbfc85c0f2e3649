import type { EnvironmentConfig } from "./config/schema";
import type { EventSink } from "./domain/events";
import type { JsonObject } from "./domain/json";
import type { Run } from "./domain/run";
import type { Validator } from "./ports/validator";
import type { RunbookPorts } from "./ports/runbook-ports";
import type { AnyRunbook } from "./runbooks/runbook";
import type { Pilotlight } from "./library";

/** The drills a library offers (`drill run KIND`). */
export const DRILL_KINDS = ["restore", "full", "posture"] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

/** What a sweep found and did (or, in a dry run, would do). */
export interface SweepReport extends JsonObject {
  dryRun: boolean;
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
  /** Say what would go; remove nothing. */
  dryRun: boolean;
}

/**
 * What `drills/` plugs into the library: data validation (which the failover, failback and
 * restore runbooks use through {@link RunbookPorts.validator}), the drill runbooks, the sweeper and
 * the scheduler. `automation/` only knows this interface; the composition root (`drills/index.ts`,
 * the package's entry, and `drills/main.ts`, the executable) passes the implementation in.
 */
export interface DrillKit {
  validator: Validator;
  /** The restore drill, the full drill and the posture check, in the one Runbook shape. */
  runbooks: AnyRunbook[];
  sweep(ports: RunbookPorts, env: EnvironmentConfig, o: SweepOptions): Promise<SweepReport>;
  /** Runs the drill scheduler (and a metrics endpoint) until `signal` aborts; resolves once stopped. */
  serve(lib: Pilotlight, o: { sink: EventSink; signal: AbortSignal; metricsPort?: number }): Promise<void>;
}
