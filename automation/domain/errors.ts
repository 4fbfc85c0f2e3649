import type { ErrorCode } from "./codes";
import type { JsonObject } from "./json";
import { redactDeep, redactText } from "./redact";

/**
 * Where an error comes from; only the CLI maps it to an exit code.
 * - `user`: bad input or a refusal the user can act on (config, flags, a guard that said no);
 * - `aws`: AWS or Pulumi answered with an error;
 * - `system`: pilotlight or its host failed (store, bug, crash).
 */
export type ErrorSource = "user" | "aws" | "system";

const BRAND = Symbol.for("pilotlight.error");

/** Options of a {@link PilotlightError}. */
export interface PilotlightErrorOptions {
  source: ErrorSource;
  /** What the user should do next; shown by hosts under the message. */
  hint?: string;
  /** Structured facts for machines (never secrets). */
  details?: JsonObject;
  cause?: unknown;
}

/**
 * The branded error family. Recognised with {@link isPilotlightError} (works across module
 * copies, unlike `instanceof`).
 */
export class PilotlightError extends Error {
  readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly hint?: string;
  readonly details?: JsonObject;

  constructor(code: ErrorCode, message: string, options: PilotlightErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "PilotlightError";
    this.code = code;
    this.source = options.source;
    this.hint = options.hint;
    this.details = options.details;
  }
}

/** True for any error of pilotlight's family. */
export function isPilotlightError(error: unknown): error is PilotlightError {
  return typeof error === "object" && error !== null && (error as { [BRAND]?: boolean })[BRAND] === true;
}

/** Serializable form of an error, as persisted on a step or a run. */
export interface ErrorInfo {
  code: ErrorCode;
  source: ErrorSource;
  message: string;
  hint?: string;
  details?: JsonObject;
}

/**
 * Converts any thrown value to an {@link ErrorInfo}; unknown errors become `internal`/`system`.
 * URLs are redacted: the info is journaled, reported and shown (a driver's message may carry a
 * connection URL with its password).
 */
export function toErrorInfo(error: unknown): ErrorInfo {
  if (isPilotlightError(error)) {
    const info: ErrorInfo = { code: error.code, source: error.source, message: redactText(error.message) };
    if (error.hint !== undefined) info.hint = redactText(error.hint);
    if (error.details !== undefined) info.details = redactDeep(error.details);
    return info;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: "internal", source: "system", message: redactText(message) };
}

/** Rebuilds a throwable error from a persisted {@link ErrorInfo}. */
export function fromErrorInfo(info: ErrorInfo): PilotlightError {
  return new PilotlightError(info.code, info.message, { source: info.source, hint: info.hint, details: info.details });
}
