import type { Clock } from "../ports/clock";

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
  /** A background timer fires when time passes it but never moves time by itself. */
  background: boolean;
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
  /** Called after time moved (a persisted world saves its clock). */
  onAdvance?: (now: number) => void;
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
  private readonly idleWaiters: Array<() => void> = [];
  private activity = 0;
  private checking = false;
  private disposed = false;
  private readonly auto: boolean;
  private readonly settleRounds: number;
  private readonly onAdvance: ((now: number) => void) | undefined;

  constructor(options: VirtualClockOptions) {
    this.t = options.start;
    this.auto = options.autoAdvance ?? true;
    this.settleRounds = options.settleRounds ?? 8;
    this.onAdvance = options.onAdvance;
  }

  now(): number {
    return this.t;
  }

  /** Number of sleeps waiting on the virtual timeline. */
  pendingTimers(): number {
    return this.timers.length;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.timer(ms, signal, false);
  }

  /**
   * A sleep of background activity (a simulated world's writes and backups): it fires when time
   * reaches it, but time never moves for it alone — only when someone else waits on the clock, or
   * on {@link advance}. So a world left alone (a prompt open, a command reading state) stands still.
   */
  sleepInBackground(ms: number, signal?: AbortSignal): Promise<void> {
    return this.timer(ms, signal, true);
  }

  private timer(ms: number, signal: AbortSignal | undefined, background: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        background,
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
      if (this.holds === 0) for (const wake of this.idleWaiters.splice(0)) wake();
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
      this.moveTo(next.at);
      next.fire();
      await this.quiesce();
    }
    this.moveTo(target);
    await this.quiesce();
  }

  /** Resolves once no tracked work is pending and the event loop has settled. */
  private async quiesce(): Promise<void> {
    for (;;) {
      await settle(this.settleRounds);
      if (this.holds === 0) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  private moveTo(at: number): void {
    if (at <= this.t) return;
    this.t = at;
    this.onAdvance?.(at);
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
    if (this.holds > 0 || !this.timers.some((t) => !t.background)) {
      // Resumed by the next bump (a tracked job finishing or a new sleep).
      this.checking = false;
      return;
    }
    if (round < this.settleRounds) {
      setImmediate(() => this.check(round + 1, seen));
      return;
    }
    const next = this.timers.shift()!;
    this.moveTo(next.at);
    this.checking = false;
    next.fire();
    this.bump();
  }
}

async function settle(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
