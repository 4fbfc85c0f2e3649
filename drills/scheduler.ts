import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { CronExpressionParser } from "cron-parser";
import { createTask } from "node-cron";
import type { Config } from "../automation/config/schema";
import { DRILL_KINDS, type DrillKind } from "../automation/drill-kit";
import type { EventSink } from "../automation/domain/events";
import type { Pilotlight, TargetInfo } from "../automation/library";
import type { Clock } from "../automation/ports/clock";
import type { LeaseHolder, RunStore } from "../automation/ports/run-store";

/** A cron implementation: node-cron in production, a hand-driven one in tests. */
export interface Cron {
  /** Calls `fire` with each occurrence's time; returns how to stop it and when it fires next. */
  schedule(
    expression: string,
    timezone: string,
    fire: (at: Date) => Promise<void>,
  ): { stop(): void; nextRun(): Date | null };
}

/** node-cron with time zones. */
export const nodeCron: Cron = {
  schedule(expression, timezone, fire) {
    const task = createTask(expression, (ctx) => void fire(ctx.date ?? new Date()), { timezone, noOverlap: false });
    void task.start();
    return { stop: () => void task.stop(), nextRun: () => task.getNextRun() };
  },
};

/**
 * The scheduling slot of a drill: per environment and kind, and per target unless real — a
 * sandbox world sharing the run store (PILOTLIGHT_STORE_URL) never takes a real drill's night.
 */
export function drillSlot(target: TargetInfo, env: string, kind: DrillKind): string {
  return target.kind === "real" ? `${env}:${kind}` : `${target.id}:${env}:${kind}`;
}

/**
 * A cron on an injected clock — the sandbox's virtual time, tests: sleeps until each next
 * occurrence (computed by cron-parser in the schedule's time zone) and fires it without waiting
 * for the previous one, as node-cron does.
 */
export function clockCron(clock: Clock): Cron {
  return {
    schedule(expression, timezone, fire) {
      const stop = new AbortController();
      const after = (t: number) =>
        CronExpressionParser.parse(expression, { currentDate: new Date(t), tz: timezone })
          .next()
          .toDate()
          .getTime();
      let next = after(clock.now());
      void (async () => {
        for (;;) {
          try {
            await clock.sleep(next - clock.now(), stop.signal);
          } catch {
            return; // stopped
          }
          const at = next;
          next = after(Math.max(at, clock.now()));
          void fire(new Date(at));
        }
      })();
      return { stop: () => stop.abort(), nextRun: () => new Date(next) };
    },
  };
}

/**
 * Occurrences of a cron expression strictly after `from` and strictly before `to`, in its time
 * zone, at most `limit` (the newest kept). Computed by cron-parser, independent of the Cron port.
 */
export function occurrencesBetween(
  expression: string,
  timezone: string,
  from: number,
  to: number,
  limit = 1000,
): number[] {
  if (to <= from + 1) return [];
  const it = CronExpressionParser.parse(expression, {
    currentDate: new Date(from),
    endDate: new Date(to - 1),
    tz: timezone,
  });
  const out: number[] = [];
  while (it.hasNext()) {
    const at = it.next().toDate().getTime();
    if (at <= from || at >= to) continue;
    out.push(at);
    if (out.length > limit) out.shift();
  }
  return out;
}

/** Options of {@link DrillScheduler}. */
export interface DrillSchedulerOptions {
  lib: Pilotlight;
  config: Config;
  store: RunStore;
  cron: Cron;
  clock: Clock;
  sink?: EventSink;
  holder?: LeaseHolder;
}

/**
 * Runs drills from the configuration's schedules. An occurrence runs at most once across every
 * scheduler process (claimed in the run store, keyed by environment, kind and minute); an
 * occurrence whose previous run is still going in this process is skipped, not queued (no
 * overlap). On start, occurrences that nobody claimed since the newest claim (no scheduler was
 * running) are logged as missed; only a schedule with `catchUp: true` runs the newest of them,
 * once. `stop()` interrupts running drills — their cleanup steps still run — and waits for them.
 */
export class DrillScheduler {
  private readonly tasks: Array<{ stop(): void }> = [];
  private readonly running = new Map<string, Promise<void>>();
  private readonly catchUps = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly holder: LeaseHolder;

  constructor(private readonly o: DrillSchedulerOptions) {
    this.holder = o.holder ?? { host: hostname(), pid: process.pid, instance: randomBytes(6).toString("hex") };
  }

  /**
   * Schedules every enabled drill of every environment, then logs missed occurrences and starts
   * the configured catch-ups (resolves once they are started, not finished).
   */
  async start(): Promise<void> {
    const schedules: Array<{
      env: string;
      kind: DrillKind;
      cron: string;
      timezone: string;
      next: string | null;
      catchUp: boolean;
    }> = [];
    for (const [env, e] of Object.entries(this.o.config.environments)) {
      for (const kind of DRILL_KINDS) {
        const s = e.drills[kind];
        if (!s.enabled) continue;
        const task = this.o.cron.schedule(s.schedule, s.timezone, (at) => this.fire(env, kind, at));
        this.tasks.push(task);
        schedules.push({
          env,
          kind,
          cron: s.schedule,
          timezone: s.timezone,
          next: task.nextRun()?.toISOString() ?? null,
          catchUp: s.catchUp,
        });
      }
    }
    this.emit("info", "schedule.started", `scheduling ${schedules.length} drills`, { schedules });
    for (const s of schedules) {
      const slot = drillSlot(this.o.lib.target, s.env, s.kind);
      const last = await this.o.store.lastClaimedOccurrence(slot);
      if (last === undefined) continue; // never scheduled before: nothing can have been missed
      const missed = occurrencesBetween(s.cron, s.timezone, last, this.o.clock.now());
      if (missed.length === 0) continue;
      const newest = missed[missed.length - 1]!;
      const iso = (t: number) => new Date(t).toISOString();
      this.emit(
        "warn",
        "schedule.missed",
        `${slot}: ${missed.length} occurrence(s) missed while no scheduler ran (${iso(missed[0]!)} … ${iso(newest)})${s.catchUp ? `; catching up ${iso(newest)} once` : "; not caught up (catchUp: false)"}`,
        {
          slot,
          missed: missed.length,
          first: iso(missed[0]!),
          newest: iso(newest),
          catchUp: s.catchUp,
        },
      );
      if (s.catchUp) {
        const p = this.fire(s.env, s.kind, new Date(newest));
        this.catchUps.add(p);
        void p.finally(() => this.catchUps.delete(p));
      }
    }
  }

  /** Resolves when every drill this scheduler started has ended. */
  async settled(): Promise<void> {
    while (this.running.size + this.catchUps.size > 0)
      await Promise.allSettled([...this.running.values(), ...this.catchUps]);
  }

  /** One occurrence: claim it, then run the drill unless the previous one still runs here. */
  async fire(env: string, kind: DrillKind, at: Date): Promise<void> {
    const slot = drillSlot(this.o.lib.target, env, kind);
    const occurrence = `${slot}:${new Date(Math.floor(at.getTime() / 60_000) * 60_000).toISOString()}`;
    if (this.running.has(slot)) {
      this.emit("warn", "schedule.skipped", `${occurrence}: the previous ${kind} drill of ${env} is still running`, {
        occurrence,
      });
      return;
    }
    if (!(await this.o.store.claimOccurrence(occurrence, this.holder, this.o.clock.now()))) {
      this.emit("info", "schedule.claimed-elsewhere", `${occurrence}: claimed by another scheduler`, { occurrence });
      return;
    }
    this.emit("info", "schedule.fired", `${occurrence}: running the ${kind} drill of ${env}`, { occurrence });
    const run = (async () => {
      try {
        await this.o.lib.drill(kind, { env, signal: this.abort.signal });
      } catch (error) {
        // The run (if any) is recorded with its phase; a refusal (no recovery point) is the finding.
        this.emit("error", "step.failed", `${occurrence}: ${error instanceof Error ? error.message : String(error)}`, {
          occurrence,
        });
      }
      try {
        if (!this.abort.signal.aborted) await this.sweepAfter(env, occurrence);
      } finally {
        this.running.delete(slot);
      }
    })();
    this.running.set(slot, run);
    await run;
  }

  /**
   * After each drill, leftovers of earlier ones whose TTL passed (a destroy that failed, a process
   * killed mid-drill) are swept — tagged resources only — so that an unattended schedule does not
   * accumulate them. Reported when it removed or failed to remove something.
   */
  private async sweepAfter(env: string, occurrence: string): Promise<void> {
    try {
      const r = await this.o.lib.sweep({ env, signal: this.abort.signal });
      const removed = r.destroyedStacks.length + r.deletedClusters.length + r.deletedSnapshots.length;
      if (removed + r.errors.length > 0) {
        this.emit(
          r.errors.length > 0 ? "warn" : "info",
          "schedule.swept",
          `${occurrence}: swept ${removed} leftovers of earlier drills${r.errors.length > 0 ? `; could not remove: ${r.errors.join("; ")}` : ""}`,
          { occurrence, ...r },
        );
      }
    } catch (error) {
      this.emit(
        "warn",
        "schedule.swept",
        `${occurrence}: the sweep after the drill failed: ${error instanceof Error ? error.message : String(error)}`,
        { occurrence },
      );
    }
  }

  /** Stops scheduling, interrupts running drills (cleanup still runs) and waits for them. */
  async stop(): Promise<void> {
    for (const t of this.tasks) t.stop();
    this.abort.abort(new Error("scheduler stopping (SIGTERM)"));
    await this.settled();
    this.emit("info", "schedule.stopped", "scheduler stopped");
  }

  private emit(
    level: "info" | "warn" | "error",
    code: Parameters<EventSink>[0]["code"],
    message: string,
    data?: Record<string, unknown>,
  ): void {
    try {
      this.o.sink?.({
        time: this.o.clock.now(),
        level,
        code,
        message,
        ...(data === undefined ? {} : { data: JSON.parse(JSON.stringify(data)) }),
      });
    } catch {
      // A faulty sink never stops the scheduler.
    }
  }
}
