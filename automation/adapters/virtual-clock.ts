import type { Clock } from "../ports/clock";

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

/** Options of a {@link VirtualClock}. */
export interface VirtualClockOptions {
  /** Start time, epoch ms. */
  start: number;
  /**
   * When true, the clock jumps to the next timer by itself as soon as the process is idle: no
   * tracked work pending and nothing new happened for `settleRounds` turns of the event loop.
   * When false, only {@link VirtualClock.advance} moves time.
   */
  autoAdvance?: boolean;
  settleRounds?: number;
}

/**
 * Virtual time for tests and the sandbox. Time moves only when everyone waits on time: sleeps
 * are timers on a virtual timeline, and work declared with {@link track} (store writes, sandbox
 * I/O) holds the clock still until it settles. Deterministic: timers fire in (time, creation)
 * order.
 */
export class VirtualClock implements Clock {
  private t: number;
  private timers: Timer[] = [];
  private seq = 0;
  private holds = 0;
  private activity = 0;
  private checking = false;
  private disposed = false;
  private readonly auto: boolean;
  private readonly settleRounds: number;

  constructor(options: VirtualClockOptions) {
    this.t = options.start;
    this.auto = options.autoAdvance ?? true;
    this.settleRounds = options.settleRounds ?? 8;
  }

  now(): number {
    return this.t;
  }

  /** Number of sleeps waiting on the virtual timeline. */
  pendingTimers(): number {
    return this.timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.remove(timer);
        this.bump();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.insert(timer);
      this.bump();
    });
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.holds++;
    this.bump();
    return work.finally(() => {
      this.holds--;
      this.bump();
    });
  }

  /**
   * Moves time forward by `ms`, firing due timers in order and letting the work they release
   * settle between them.
   */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.at > target) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fire();
      await settle(this.settleRounds);
    }
    this.t = Math.max(this.t, target);
  }

  /** Stops automatic advancing and drops every pending timer (their sleeps never resolve). */
  dispose(): void {
    this.disposed = true;
    this.timers = [];
  }

  private insert(timer: Timer): void {
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.at > timer.at) i--;
    this.timers.splice(i, 0, timer);
  }

  private remove(timer: Timer): void {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  private bump(): void {
    this.activity++;
    if (!this.auto || this.checking || this.disposed) return;
    this.checking = true;
    const seen = this.activity;
    setImmediate(() => this.check(0, seen));
  }

  private check(round: number, seen: number): void {
    if (this.disposed) {
      this.checking = false;
      return;
    }
    if (this.activity !== seen) {
      round = 0;
      seen = this.activity;
    }
    if (this.holds > 0 || this.timers.length === 0) {
      // Resumed by the next bump (a tracked job finishing or a new sleep).
      this.checking = false;
      return;
    }
    if (round < this.settleRounds) {
      setImmediate(() => this.check(round + 1, seen));
      return;
    }
    const next = this.timers.shift()!;
    this.t = Math.max(this.t, next.at);
    this.checking = false;
    next.fire();
    this.bump();
  }
}

async function settle(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
