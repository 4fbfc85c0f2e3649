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
  "run.interrupted": {
    kind: "error",
    summary: "The run was aborted (SIGINT, SIGTERM, API cancel); cleanup steps still ran.",
  },
  "run.warning": {
    kind: "event",
    summary:
      "A guard let the run proceed with a warning (data loss accepted, a newer recovery point, stranded writes, …).",
  },
  "run.other-target": {
    kind: "error",
    summary: "The run acted on another target (real or another sandbox world) and is resumed only there.",
  },
  "run.unfinished": {
    kind: "error",
    summary: "An earlier run of the same target is still in progress with no live holder: resume it.",
  },
  // Steps
  "step.started": { kind: "event", summary: "A step began (journaled before its action)." },
  "step.reattached": { kind: "event", summary: "A resumed step found its external reference and re-attaches." },
  "step.external-recorded": { kind: "event", summary: "A step persisted its external reference before waiting." },
  "step.progress": { kind: "event", summary: "Progress of a long-running step." },
  "step.succeeded": { kind: "event", summary: "A step finished successfully." },
  "step.failed": { kind: "error", summary: "A step's action failed." },
  "step.timed-out": { kind: "error", summary: "A step did not finish before its deadline." },
  "step.interrupted": { kind: "event", summary: "A step was aborted by the run's signal." },
  "step.skipped": {
    kind: "event",
    summary: "A step was not run because a dependency did not succeed or the run stopped.",
  },
  // Leases
  "lease.acquired": { kind: "event", summary: "The target's lease was taken." },
  "lease.taken-over": { kind: "event", summary: "A stale lease of a dead holder was taken over." },
  "lease.held": { kind: "error", summary: "Another live run holds the target's lease." },
  "lease.lost": { kind: "error", summary: "The lease was taken by another holder; this process stopped writing." },
  "lease.renewal-failed": {
    kind: "event",
    summary: "A renewal of the lease failed (the store did not answer); the next heartbeat retries.",
  },
  "lease.expired": {
    kind: "error",
    summary:
      "The lease expired without a renewal (the store did not answer); this process stopped the run, " +
      "which stays resumable.",
  },
  "lease.released": { kind: "event", summary: "The target's lease was released." },
  // Input and state
  "config.invalid": { kind: "error", summary: "The configuration has one or more problems." },
  "kit.missing": {
    kind: "error",
    summary: "The library was created without the drills kit (validation, drills, scheduler).",
  },
  "config.not-found": { kind: "error", summary: "A configuration file named explicitly does not exist." },
  "plan.invalid": { kind: "error", summary: "A plan's step graph is malformed (a bug in a runbook)." },
  "run.not-found": { kind: "error", summary: "No run with that id exists in the run store." },
  "run.not-resumable": { kind: "error", summary: "The run is completed or of a kind this build cannot run." },
  "environment.unknown": { kind: "error", summary: "No environment of that name in the configuration." },
  "store.unavailable": {
    kind: "error",
    summary:
      "The run store could not be opened or did not answer (stopped, frozen, timed out, unreachable); not a bug.",
  },
  "database.unreachable": {
    kind: "error",
    summary: "A database named by URL did not answer (network, credentials, or it does not exist).",
  },
  "store.migration-failed": { kind: "error", summary: "The run store schema could not be migrated." },
  internal: { kind: "error", summary: "An unexpected failure inside pilotlight (a bug)." },
  // Waiting and AWS
  "wait.retrying": { kind: "event", summary: "A bounded wait observed a non-final state and polls again." },
  "wait.timed-out": { kind: "error", summary: "A bounded wait reached its maximum without success." },
  "aws.throttled": { kind: "error", summary: "AWS kept throttling the call after every retry." },
  "aws.unavailable": { kind: "error", summary: "An AWS endpoint did not answer (region outage or network)." },
  "aws.not-found": { kind: "error", summary: "The AWS resource does not exist." },
  "aws.access-denied": { kind: "error", summary: "The credentials lack a permission." },
  "aws.credentials-missing": { kind: "error", summary: "No AWS credentials were found in the default chain." },
  "aws.error": { kind: "error", summary: "AWS answered with another error." },
  "guard.untagged": {
    kind: "error",
    summary: "Refused to delete a resource that does not carry pilotlight's managed-by tag.",
  },
  "guard.forensics": {
    kind: "error",
    summary: "Refused to delete a resource kept for forensics (tag pilotlight:forensics).",
  },
  "guard.protected": { kind: "error", summary: "Refused to lift a deletion protection that pilotlight did not set." },
  // The sandbox
  "sandbox.busy": { kind: "error", summary: "Another live process acts on the sandbox world." },
  "sandbox.incompatible": { kind: "error", summary: "The sandbox world was written by another pilotlight version." },
  "sandbox.missing": { kind: "error", summary: "No sandbox world exists in the folder." },
  "sandbox.fault": { kind: "event", summary: "A fault was injected into the sandbox world, or ended." },
  "dataapi.disabled": { kind: "error", summary: "The RDS Data API is off on a cluster pilotlight must read or fence." },
  "dataapi.unsupported": { kind: "error", summary: "The RDS Data API does not serve the cluster's instance class." },
  // Pulumi
  "pulumi.cli-missing": { kind: "error", summary: "The pulumi CLI is not installed or not on PATH." },
  "pulumi.stack-locked": { kind: "error", summary: "Another update holds the stack's lock." },
  "pulumi.stack-not-found": { kind: "error", summary: "The stack does not exist in the state backend." },
  "pulumi.error": { kind: "error", summary: "A Pulumi operation failed." },
  "stack.progress": { kind: "event", summary: "A resource of a stack operation changed state." },
  // Runbooks
  "plan.ready": { kind: "event", summary: "A runbook gathered its facts and built its plan." },
  "dry-run": { kind: "event", summary: "A dry run printed its plan and changed nothing." },
  "refused.primary-healthy": {
    kind: "error",
    summary: "The primary answers as healthy: failover refused without --force.",
  },
  "refused.wait": {
    kind: "error",
    summary: "The outage is younger than the wait threshold: failover refused without --force.",
  },
  "refused.no-recovery-point": { kind: "error", summary: "No usable recovery point in the DR vault." },
  "refused.rpo-breach": { kind: "error", summary: "The newest usable recovery point is older than the RPO target." },
  "refused.confirmation-required": { kind: "error", summary: "Not on a TTY and --yes was not given." },
  "refused.declined": { kind: "error", summary: "The operator answered no." },
  "refused.not-failed-over": { kind: "error", summary: "Failback needs a DR stack that serves traffic." },
  "refused.primary-unavailable": { kind: "error", summary: "The primary region does not answer: failback must wait." },
  "refused.restore-time": {
    kind: "error",
    summary: "The point-in-time restore's time lies outside the restorable window.",
  },
  "refused.candidate-exists": {
    kind: "error",
    summary: "A candidate generation of an earlier point-in-time restore still exists: resume or abandon it.",
  },
  "refused.stranded-writes": {
    kind: "error",
    summary:
      "The old primary accepted writes after the failover; failback would strand them without explicit acceptance.",
  },
  "refused.not-abandonable": {
    kind: "error",
    summary: "The run cannot be abandoned (not found, completed, or of a kind that has nothing to undo).",
  },
  "refused.dr-active": { kind: "error", summary: "The DR stack already exists: the environment is failed over." },
  "posture.failed": {
    kind: "error",
    summary: "A posture check found a problem (failed backup or copy jobs, stale DR copy, missing vault).",
  },
  "schedule.started": {
    kind: "event",
    summary: "The drill scheduler started; data lists every schedule and its next run.",
  },
  "schedule.fired": { kind: "event", summary: "A scheduled drill was claimed by this process and started." },
  "schedule.claimed-elsewhere": { kind: "event", summary: "Another scheduler process claimed this occurrence." },
  "schedule.missed": {
    kind: "event",
    summary:
      "Occurrences nobody claimed while no scheduler ran; data says how many and whether the newest is caught up.",
  },
  "sweep.finished": {
    kind: "event",
    summary: "A sweep ended; data is its report (what was removed and what was left alone).",
  },
  "schedule.swept": {
    kind: "event",
    summary: "After a drill, leftovers of earlier drills whose TTL passed were swept; data is the sweep report.",
  },
  "schedule.skipped": {
    kind: "event",
    summary: "An occurrence was skipped: the previous run of the drill is still running (no overlap).",
  },
  "schedule.stopped": {
    kind: "event",
    summary: "The scheduler stopped; running drills were interrupted and cleaned up.",
  },
  "restore.failed": { kind: "error", summary: "A restore did not produce a usable cluster." },
  "traffic.unknown": { kind: "error", summary: "Where the record name points could not be read." },
  "traffic.not-switched": { kind: "error", summary: "DNS did not move to the new side before the deadline." },
  "workload.unhealthy": { kind: "error", summary: "The workload did not answer healthy before the deadline." },
  "validation.failed": { kind: "error", summary: "Data validation found damage or missing data." },
  "validation.result": { kind: "event", summary: "Data validation finished; its summary is in data." },
  measurement: { kind: "event", summary: "A measurement (RTO, RPO, phase duration) was recorded." },
  "report.written": { kind: "event", summary: "A run report was written." },
  "notification.sent": { kind: "event", summary: "A stakeholder notification was sent." },
  "notification.failed": { kind: "error", summary: "A stakeholder notification could not be sent." },
} as const;

/** Every code pilotlight emits or throws. */
export type Code = keyof typeof CODES;

/** Codes of errors (a subset of {@link Code}). */
export type ErrorCode = {
  [K in Code]: (typeof CODES)[K]["kind"] extends "error" ? K : never;
}[Code];

/** Codes of events that are not errors. */
export type EventCode = Code;
