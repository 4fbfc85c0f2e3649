import { PilotlightError } from "../domain/errors";
import type { Clock } from "../ports/clock";

/** One observation of a wait (after the AWS SDK waiters' states). */
export type WaitCheck<T> =
  { state: "SUCCESS"; value: T } | { state: "RETRY"; observed?: string } | { state: "FAILURE"; error: Error };

/** Options of {@link waitFor}. */
export interface WaitOptions<T> {
  clock: Clock;
  /** What is awaited, for messages ("cluster pl-dr available"). */
  what: string;
  /** The caller always states the maximum. */
  maxWaitMs: number;
  signal: AbortSignal;
  check: () => Promise<WaitCheck<T>>;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Uniform [0,1) source for jitter; injected so that tests assert backoff exactly. */
  random?: () => number;
  onRetry?: (observed: string | undefined, attempt: number, delayMs: number) => void;
}

/**
 * A bounded wait as a small state machine: SUCCESS resolves, FAILURE throws, RETRY sleeps with
 * exponential backoff and jitter, TIMEOUT throws `wait.timed-out` naming the last observed state,
 * ABORTED rethrows the signal's reason. Never sleeps past the deadline.
 */
export async function waitFor<T>(o: WaitOptions<T>): Promise<T> {
  const min = o.minDelayMs ?? 15_000;
  const max = o.maxDelayMs ?? 120_000;
  const random = o.random ?? (() => 0.5);
  const deadline = o.clock.now() + o.maxWaitMs;
  let observed: string | undefined;
  for (let attempt = 1; ; attempt++) {
    if (o.signal.aborted) throw o.signal.reason;
    const result = await o.check();
    if (result.state === "SUCCESS") return result.value;
    if (result.state === "FAILURE") throw result.error;
    observed = result.observed ?? observed;
    const remaining = deadline - o.clock.now();
    if (remaining <= 0) {
      throw new PilotlightError(
        "wait.timed-out",
        `${o.what}: not reached within ${Math.round(o.maxWaitMs / 1000)} s${observed === undefined ? "" : ` (last seen: ${observed})`}`,
        {
          source: "aws",
          details: { what: o.what, maxWaitMs: o.maxWaitMs, ...(observed === undefined ? {} : { observed }) },
        },
      );
    }
    // Exponential backoff with jitter between min and the capped exponential delay.
    const ceiling = Math.min(max, min * 2 ** Math.min(attempt - 1, 16));
    const delay = Math.min(remaining, Math.round(min + (ceiling - min) * random()));
    o.onRetry?.(observed, attempt, delay);
    await o.clock.sleep(delay, o.signal);
  }
}

/** Retries `fn` on errors `retryable` accepts, with exponential backoff and jitter; bounded by attempts. */
export async function retry<T>(
  fn: () => Promise<T>,
  o: {
    clock: Clock;
    retryable: (e: unknown) => boolean;
    maxAttempts?: number;
    baseDelayMs?: number;
    random?: () => number;
    signal?: AbortSignal;
  },
): Promise<T> {
  const attempts = o.maxAttempts ?? 5;
  const base = o.baseDelayMs ?? 500;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= attempts || !o.retryable(error)) throw error;
      const delay = Math.round(base * 2 ** (attempt - 1) * (0.5 + (o.random ?? (() => 0.5))()));
      await o.clock.sleep(delay, o.signal);
    }
  }
}
