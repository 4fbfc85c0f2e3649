/**
 * The one registry of event and error codes. Hosts (CLI, platform API, tests) switch on these
 * codes, never on message text; a code, once released, keeps its meaning.
 */
export const CODES = {
  // Runs
  "run.created": { kind: "event", summary: "A run was created and persisted." },
  "run.started": { kind: "event", summary: "The run's lease is held and execution begins." },
  "run.resumed": { kind: "event", summary: "A persisted run was reloaded and continues." },
  "run.finished": { kind: "event", summary: "The run reached a terminal phase." },
  "run.interrupted": { kind: "error", summary: "The run was aborted (SIGINT, SIGTERM, API cancel); cleanup steps still ran." },
  "run.unfinished": { kind: "error", summary: "An earlier run of the same target is still in progress with no live holder: resume it." },
  // Steps
  "step.started": { kind: "event", summary: "A step began (journaled before its action)." },
  "step.reattached": { kind: "event", summary: "A resumed step found its external reference and re-attaches." },
  "step.external-recorded": { kind: "event", summary: "A step persisted its external reference before waiting." },
  "step.progress": { kind: "event", summary: "Progress of a long-running step." },
  "step.succeeded": { kind: "event", summary: "A step finished successfully." },
  "step.failed": { kind: "error", summary: "A step's action failed." },
  "step.timed-out": { kind: "error", summary: "A step did not finish before its deadline." },
  "step.interrupted": { kind: "event", summary: "A step was aborted by the run's signal." },
  "step.skipped": { kind: "event", summary: "A step was not run because a dependency did not succeed or the run stopped." },
  // Leases
  "lease.acquired": { kind: "event", summary: "The target's lease was taken." },
  "lease.taken-over": { kind: "event", summary: "A stale lease of a dead holder was taken over." },
  "lease.held": { kind: "error", summary: "Another live run holds the target's lease." },
  "lease.lost": { kind: "error", summary: "The lease was taken by another holder; this process stopped writing." },
  "lease.released": { kind: "event", summary: "The target's lease was released." },
  // Input and state
  "config.invalid": { kind: "error", summary: "The configuration has one or more problems." },
  "config.not-found": { kind: "error", summary: "A configuration file named explicitly does not exist." },
  "plan.invalid": { kind: "error", summary: "A plan's step graph is malformed (a bug in a runbook)." },
  "run.not-found": { kind: "error", summary: "No run with that id exists in the run store." },
  "run.not-resumable": { kind: "error", summary: "The run is completed or of a kind this build cannot run." },
  "runbook.not-built": { kind: "error", summary: "The operation exists in the CLI but its runbook has not been built yet." },
  "environment.unknown": { kind: "error", summary: "No environment of that name in the configuration." },
  "store.unavailable": { kind: "error", summary: "The run store could not be opened or queried." },
  "store.migration-failed": { kind: "error", summary: "The run store schema could not be migrated." },
  "internal": { kind: "error", summary: "An unexpected failure inside pilotlight (a bug)." },
} as const;

/** Every code pilotlight emits or throws. */
export type Code = keyof typeof CODES;

/** Codes of errors (a subset of {@link Code}). */
export type ErrorCode = {
  [K in Code]: (typeof CODES)[K]["kind"] extends "error" ? K : never;
}[Code];

/** Codes of events that are not errors. */
export type EventCode = Code;
