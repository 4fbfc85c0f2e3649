import { isPilotlightError } from "../domain/errors";
import type { RunPhase } from "../domain/run";

/**
 * Exit codes of the CLI (documented in the README). Only the CLI maps errors to exit codes;
 * the library reports sources.
 */
export const EXIT = {
  ok: 0,
  /** The run ended Failed or PartiallyFailed. */
  runFailed: 1,
  /** Bad usage: unknown command or flag, missing argument. Help is printed. */
  usage: 2,
  /** Bad input or a refusal (configuration, guard, lease held by another run). */
  user: 3,
  /** AWS or Pulumi answered with an error. */
  aws: 4,
  /**
   * pilotlight or its host failed: the run store is unavailable (`store.unavailable`,
   * `lease.expired`, with a hint; the run stays resumable) or a bug (`internal`).
   */
  system: 5,
  /** Interrupted (SIGINT/SIGTERM); cleanup ran; resume the run to continue. */
  interrupted: 130,
} as const;

/** Exit code of a thrown error. */
export function exitCodeOfError(error: unknown): number {
  if (!isPilotlightError(error)) return EXIT.system;
  if (error.code === "run.interrupted") return EXIT.interrupted;
  return error.source === "user" ? EXIT.user : error.source === "aws" ? EXIT.aws : EXIT.system;
}

/** Exit code of a run that ended. */
export function exitCodeOfPhase(phase: RunPhase): number {
  if (phase === "Completed") return EXIT.ok;
  if (phase === "Interrupted") return EXIT.interrupted;
  return EXIT.runFailed;
}
