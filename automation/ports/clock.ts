/**
 * Time, injected everywhere so that tests and the sandbox run on virtual time. Domain code and
 * the engine never call `Date.now` or `setTimeout` directly.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Resolves after `ms`; rejects with the signal's reason when `signal` aborts first.
   * A sleep of 0 or less resolves at once (still asynchronously).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Declares `work` as in-flight I/O. A virtual clock does not move while tracked work is
   * pending, so that time only advances when everyone is waiting on time. The real clock
   * returns `work` unchanged.
   */
  track<T>(work: Promise<T>): Promise<T>;
}
