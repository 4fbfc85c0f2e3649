import { PilotlightError, isPilotlightError } from "../domain/errors";

interface AwsLikeError {
  name?: string;
  message?: string;
  $fault?: "client" | "server";
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
  code?: string;
}

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ThrottledException",
  "PriorRequestNotComplete",
]);
const NOT_FOUND = /NotFound|NoSuch|ResourceNotFoundException/;
const DENIED = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
  "UnrecognizedClientException",
  "InvalidClientTokenId",
  "ExpiredTokenException",
]);

/** True for throttling errors of the AWS SDK (and the sandbox, which mimics them). */
export function isThrottling(error: unknown): boolean {
  const e = error as AwsLikeError;
  return e?.$retryable?.throttling === true || THROTTLING.has(e?.name ?? "");
}

/**
 * Translates an AWS SDK error (or the sandbox's imitation) into pilotlight's family, once, in the
 * adapter: the operation and resource are named, the fix suggested. Errors already translated
 * pass through.
 */
export function toAwsError(error: unknown, operation: string, resource?: string): PilotlightError {
  if (isPilotlightError(error)) return error;
  const e = (error ?? {}) as AwsLikeError;
  const name = e.name ?? "Error";
  const what = `${operation}${resource === undefined ? "" : ` (${resource})`}`;
  const detail = `${name}: ${e.message ?? String(error)}`;
  const details = { operation, awsError: name, ...(resource === undefined ? {} : { resource }) };
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(e.message ?? "")) {
    return new PilotlightError("aws.credentials-missing", `${what}: no AWS credentials found`, {
      source: "user",
      hint: "configure the default credential chain (AWS_PROFILE, SSO login, or environment variables), or rehearse with --sandbox",
      details,
      cause: error,
    });
  }
  if (isThrottling(error)) {
    return new PilotlightError("aws.throttled", `${what} was throttled after every retry: ${detail}`, {
      source: "aws",
      hint: "retry later or raise the service quota",
      details,
      cause: error,
    });
  }
  if (DENIED.has(name)) {
    return new PilotlightError("aws.access-denied", `${what} was denied: ${detail}`, {
      source: "aws",
      hint: "grant the permission in this region to the role pilotlight runs as",
      details,
      cause: error,
    });
  }
  if (NOT_FOUND.test(name)) {
    return new PilotlightError("aws.not-found", `${what}: ${detail}`, { source: "aws", details, cause: error });
  }
  if (
    name === "ServiceUnavailableException" ||
    name === "ServiceUnavailable" ||
    e.code === "ECONNREFUSED" ||
    e.code === "ENOTFOUND" ||
    e.code === "ETIMEDOUT" ||
    name === "TimeoutError"
  ) {
    return new PilotlightError("aws.unavailable", `${what}: the endpoint did not answer (${detail})`, {
      source: "aws",
      hint: "the region may be out; pilotlight retries waits, and the run can be resumed",
      details,
      cause: error,
    });
  }
  return new PilotlightError("aws.error", `${what} failed: ${detail}`, { source: "aws", details, cause: error });
}
