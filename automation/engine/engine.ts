import type { Code } from "../domain/codes";
import { isPilotlightError, PilotlightError, toErrorInfo } from "../domain/errors";
import type { EventLevel, EventSink, PilotEvent } from "../domain/events";
import type { Json, JsonObject } from "../domain/json";
import { redactDeep, redactText } from "../domain/redact";
import { assertValidPlan, type Plan } from "../domain/plan";
import {
  createRun,
  decideTerminalPhase,
  isTerminalStepState,
  prepareResume,
  type Run,
  type RunKind,
  type Step,
} from "../domain/run";
import type { Clock } from "../ports/clock";
import type { Lease, LeaseHolder, RunStore } from "../ports/run-store";
import type { StepContext, StepHandlers } from "./step-context";

/** Options of the {@link Engine}. */
export interface EngineOptions {
  store: RunStore;
  clock: Clock;
  holder: LeaseHolder;
  newRunId: () => string;
  sink?: EventSink;
  /** Lease time-to-live; renewed every third of it. Default 60 s. */
  leaseTtlMs?: number;
  /**
   * Whether a lease holder is provably dead (e.g. same host and its pid is gone). Only a `true`
   * answer lets a run take over a lease that has not expired yet.
   */
  isHolderDead?: (holder: LeaseHolder) => boolean;
}

/** A request to start a new run. */
export interface StartRequest {
  kind: RunKind;
  target: string;
  spec: JsonObject;
  plan: Plan;
  handlers: StepHandlers;
  signal?: AbortSignal;
}

const DEFAULT_LEASE_TTL_MS = 60_000;

/**
 * The one executor of plans, used by every runbook and drill. Runs steps as a dependency graph
 * (independent steps in parallel), journals every transition before acting on it, holds one
 * lease per target, bounds every step by a deadline, always runs cleanup steps, and resumes a
 * persisted run without repeating completed work.
 */
export class Engine {
  private readonly ttl: number;

  constructor(private readonly options: EngineOptions) {
    this.ttl = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /** Validates, persists and executes a new run; resolves with the run in a terminal phase. */
  async start(req: StartRequest): Promise<Run> {
    // Validate everything before anything is persisted or locked.
    assertValidPlan(req.plan);
    assertHandlers(req.plan.steps, req.handlers);
    const { store, clock } = this.options;
    const id = this.options.newRunId();
    const lease = await this.acquire(req.target, id);
    try {
      const unfinished = (await clock.track(store.listRuns({ target: req.target, phase: "InProgress" }))).filter(
        (r) => r.id !== id,
      );
      if (unfinished.length > 0) {
        const other = unfinished[0]!;
        throw new PilotlightError(
          "run.unfinished",
          `run ${other.id} (${other.kind}) on ${req.target} is still in progress but no process holds it`,
          {
            source: "user",
            hint: `resume it with \`pilotlight resume ${other.id}\`; a new run would start its work a second time`,
            details: { runId: other.id, target: req.target },
          },
        );
      }
      const run = createRun({
        id,
        kind: req.kind,
        target: req.target,
        spec: req.spec,
        steps: req.plan.steps,
        now: clock.now(),
      });
      await clock.track(store.insertRun(run, lease));
      const exec = new Execution(this.options, this.ttl, run, lease, req.handlers);
      exec.emit("info", "run.created", `${run.kind} run ${run.id} created for ${run.target}`, { kind: run.kind });
      return await exec.execute(req.signal);
    } catch (error) {
      await this.releaseQuietly(lease);
      throw error;
    }
  }

  /**
   * Reloads a persisted run and continues it: completed steps are skipped, other steps re-run
   * with their external reference so they re-attach to in-flight work.
   */
  async resume(runId: string, handlers: StepHandlers, signal?: AbortSignal): Promise<Run> {
    const { store, clock } = this.options;
    const stored = await clock.track(store.loadRun(runId));
    if (stored === undefined) {
      throw new PilotlightError("run.not-found", `no run ${runId} in the run store`, {
        source: "user",
        hint: "list runs with `pilotlight runs list`",
      });
    }
    if (stored.phase === "Completed") {
      throw new PilotlightError("run.not-resumable", `run ${runId} is already Completed; nothing to resume`, {
        source: "user",
      });
    }
    assertHandlers(stored.steps, handlers, runId);
    const lease = await this.acquire(stored.target, runId);
    try {
      const run = prepareResume(stored);
      const exec = new Execution(this.options, this.ttl, run, lease, handlers);
      exec.emit("info", "run.resumed", `run ${runId} resumed from phase ${stored.phase}`, {
        previousPhase: stored.phase,
        completedSteps: run.steps.filter((s) => s.state === "Succeeded").map((s) => s.id),
      });
      return await exec.execute(signal);
    } catch (error) {
      await this.releaseQuietly(lease);
      throw error;
    }
  }

  private async acquire(target: string, runId: string): Promise<Lease & { tookOver?: Lease }> {
    const { store, clock, holder } = this.options;
    let attempt = await clock.track(store.acquireLease({ target, runId, holder, now: clock.now(), ttlMs: this.ttl }));
    if (!attempt.acquired && this.options.isHolderDead?.(attempt.current.holder) === true) {
      attempt = await clock.track(
        store.acquireLease({
          target,
          runId,
          holder,
          now: clock.now(),
          ttlMs: this.ttl,
          takeOverToken: attempt.current.token,
        }),
      );
    }
    if (!attempt.acquired) {
      const c = attempt.current;
      throw new PilotlightError(
        "lease.held",
        `${target} is busy: run ${c.runId} holds its lease (host ${c.holder.host}, pid ${c.holder.pid}) until ${new Date(c.expiresAt).toISOString()}`,
        {
          source: "user",
          hint:
            c.runId === runId
              ? "another process is executing this run; if it died, retry after the lease expires"
              : "wait for that run to finish; if its process died, the lease expires by itself and `pilotlight resume` takes over",
          details: { target, runId: c.runId, host: c.holder.host, pid: c.holder.pid, expiresAt: c.expiresAt },
        },
      );
    }
    return attempt.tookOver === undefined ? attempt.lease : { ...attempt.lease, tookOver: attempt.tookOver };
  }

  private async releaseQuietly(lease: Lease): Promise<void> {
    try {
      await this.options.clock.track(this.options.store.releaseLease(lease));
    } catch {
      // The lease expires by itself; the original error matters more.
    }
  }
}

function assertHandlers(
  steps: readonly { id: string; action?: string }[],
  handlers: StepHandlers,
  runId?: string,
): void {
  const missing = steps.filter((s) => typeof handlers[s.action ?? s.id] !== "function").map((s) => s.action ?? s.id);
  if (missing.length === 0) return;
  if (runId !== undefined) {
    throw new PilotlightError(
      "run.not-resumable",
      `run ${runId} has steps this build cannot execute: ${missing.join(", ")}`,
      {
        source: "user",
        hint: "resume it with the pilotlight version that created it",
        details: { missing },
      },
    );
  }
  throw new PilotlightError("plan.invalid", `no handler for step action(s): ${missing.join(", ")}`, {
    source: "system",
    details: { missing },
  });
}

const TIMEOUT: unique symbol = Symbol("timeout");

/** One execution of a run under a held lease. */
class Execution {
  private readonly events: PilotEvent[] = [];
  private journal: Promise<void> = Promise.resolve();
  private fatal: unknown = undefined;
  private readonly fatalCtl = new AbortController();
  private readonly heartbeatCtl = new AbortController();
  private aborted = false;
  private halted = false;
  /** Until when this process may act: the lease's expiry as last written by this process. */
  private leaseExpiresAt: number;

  constructor(
    private readonly options: EngineOptions,
    private readonly ttl: number,
    private readonly run: Run,
    private readonly lease: Lease,
    private readonly handlers: StepHandlers,
  ) {
    this.leaseExpiresAt = lease.expiresAt;
  }

  emit(level: EventLevel, code: Code, message: string, data?: JsonObject, stepId?: string): void {
    // Events are journaled and shown: a URL in a handler's message must not carry its password.
    const event: PilotEvent = {
      time: this.options.clock.now(),
      level,
      runId: this.run.id,
      code,
      message: redactText(message),
    };
    if (stepId !== undefined) event.stepId = stepId;
    if (data !== undefined) event.data = redactDeep(data);
    this.events.push(event);
    try {
      this.options.sink?.(event);
    } catch {
      // A host's faulty sink must never break a run.
    }
  }

  async execute(signal?: AbortSignal): Promise<Run> {
    const { clock } = this.options;
    const run = this.run;
    const tookOver = (this.lease as { tookOver?: Lease }).tookOver;
    if (tookOver !== undefined) {
      this.emit(
        "warn",
        "lease.taken-over",
        `took over the lease of ${run.target} from run ${tookOver.runId} (host ${tookOver.holder.host}, pid ${tookOver.holder.pid})`,
        {
          previousRunId: tookOver.runId,
          previousHost: tookOver.holder.host,
          previousPid: tookOver.holder.pid,
        },
      );
    }
    run.phase = "InProgress";
    run.startedAt ??= clock.now();
    run.attempts += 1;
    this.emit("info", "run.started", `${run.kind} run ${run.id} started (attempt ${run.attempts})`, {
      attempt: run.attempts,
      leaseToken: this.lease.token,
    });
    await this.persist();

    const onAbort = () => {
      this.aborted = true;
    };
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const heartbeat = this.heartbeat();
    const watchdog = this.watchLeaseExpiry();
    try {
      await this.schedule(signal);
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.heartbeatCtl.abort();
      await Promise.all([heartbeat, watchdog]);
    }
    if (this.fatal !== undefined) throw this.fatal;

    run.phase = decideTerminalPhase(run.steps, this.aborted);
    run.endedAt = clock.now();
    const failed =
      run.steps.find((s) => s.error !== undefined && s.cleanup !== true) ??
      run.steps.find((s) => s.error !== undefined);
    if (failed?.error !== undefined) run.error = failed.error;
    this.emit(run.phase === "Completed" ? "info" : "error", "run.finished", `run ${run.id} ${run.phase}`, {
      phase: run.phase,
      durationMs: run.endedAt - (run.startedAt ?? run.endedAt),
    });
    await this.persist();
    if (this.fatal !== undefined) throw this.fatal;
    try {
      await clock.track(this.options.store.releaseLease(this.lease));
      this.options.sink?.({
        time: clock.now(),
        level: "debug",
        runId: run.id,
        code: "lease.released",
        message: `lease on ${run.target} released`,
      });
    } catch {
      // The lease expires by itself.
    }
    return structuredClone(run);
  }

  private async schedule(signal?: AbortSignal): Promise<void> {
    const running = new Map<string, Promise<void>>();
    for (;;) {
      if (this.fatal !== undefined) break;
      let changed = false;
      for (const step of this.run.steps) {
        if (step.state !== "Pending") continue;
        const deps = step.dependsOn.map((id) => this.step(id));
        if (step.cleanup === true) {
          if (deps.every((d) => isTerminalStepState(d.state))) {
            running.set(step.id, this.runStep(step, undefined));
            changed = true;
          }
          continue;
        }
        if (this.aborted || this.halted) {
          this.skip(step, this.aborted ? "the run was interrupted" : "an earlier step failed");
          changed = true;
        } else if (deps.some((d) => isTerminalStepState(d.state) && d.state !== "Succeeded")) {
          const bad = deps.find((d) => isTerminalStepState(d.state) && d.state !== "Succeeded")!;
          this.skip(step, `dependency ${bad.id} ended ${bad.state}`);
          changed = true;
        } else if (deps.every((d) => d.state === "Succeeded")) {
          running.set(step.id, this.runStep(step, signal));
          changed = true;
        }
      }
      if (changed) await this.persist();
      if (running.size === 0) {
        if (changed) continue;
        break;
      }
      const done = await Promise.race([...running.entries()].map(([id, p]) => p.then(() => id)));
      running.delete(done);
    }
    // After a fatal error, let in-flight handlers observe the abort before returning.
    await Promise.allSettled(running.values());
  }

  private step(id: string): Step {
    return this.run.steps.find((s) => s.id === id)!;
  }

  private skip(step: Step, reason: string): void {
    step.state = "Skipped";
    step.endedAt = this.options.clock.now();
    this.emit("warn", "step.skipped", `${step.id} skipped: ${reason}`, { reason }, step.id);
  }

  private async runStep(step: Step, runSignal: AbortSignal | undefined): Promise<void> {
    const { clock } = this.options;
    // Journal the transition before acting on it.
    step.state = "Running";
    step.attempts += 1;
    step.startedAt = clock.now();
    delete step.error;
    const attempt = step.attempts;
    if (step.external !== undefined) {
      this.emit(
        "info",
        "step.reattached",
        `${step.id}: re-attaching to ${step.external.kind} ${step.external.id}`,
        { externalId: step.external.id },
        step.id,
      );
    } else {
      this.emit("info", "step.started", `${step.id}: ${step.title}`, { attempt }, step.id);
    }
    await this.persist();
    if (this.fatal !== undefined) return;

    const ctl = new AbortController();
    const abortWith = (reason: unknown) => {
      if (!ctl.signal.aborted) ctl.abort(reason);
    };
    const onRunAbort = () =>
      abortWith(new PilotlightError("run.interrupted", "the run was interrupted", { source: "user" }));
    const onFatal = () => abortWith(this.fatal);
    // Cleanup steps are not ended by the run's abort: they exist to run after it.
    if (runSignal?.aborted) onRunAbort();
    runSignal?.addEventListener("abort", onRunAbort, { once: true });
    this.fatalCtl.signal.addEventListener("abort", onFatal, { once: true });

    const deadline = step.startedAt + step.timeoutMs;
    const live = () => step.state === "Running" && step.attempts === attempt && this.fatal === undefined;
    const ctx: StepContext = {
      runId: this.run.id,
      spec: this.run.spec,
      step,
      input: step.input,
      signal: ctl.signal,
      deadline,
      clock,
      external: step.external,
      recordExternal: async (ref) => {
        if (!live())
          throw new PilotlightError("run.interrupted", `${step.id} is no longer running`, { source: "system" });
        step.external = { ...ref, recordedAt: clock.now() };
        this.emit(
          "info",
          "step.external-recorded",
          `${step.id}: ${ref.kind} ${ref.id}`,
          { kind: ref.kind, externalId: ref.id },
          step.id,
        );
        await this.persist();
        if (this.fatal !== undefined) throw this.fatal;
      },
      outputOf: <T>(id: string) => this.step(id)?.output as T | undefined,
      facts: <T>() => this.run.spec["facts"] as unknown as T,
      request: <T>() => this.run.spec["request"] as unknown as T,
      run: () => structuredClone(this.run),
      progress: (message, data) => {
        if (live()) this.emit("info", "step.progress", message, data, step.id);
      },
      measure: async (name, ms) => {
        this.run.measurements[name] = ms;
        await this.persist();
      },
    };

    const timerCtl = new AbortController();
    const timeout = clock.sleep(step.timeoutMs, timerCtl.signal).then(
      (): typeof TIMEOUT => TIMEOUT,
      () => new Promise<never>(() => undefined),
    );
    const handler = this.handlers[step.action ?? step.id]!;
    let outcome: { ok: true; value: Json | void } | { ok: false; error: unknown } | typeof TIMEOUT;
    try {
      outcome = await Promise.race([
        Promise.resolve()
          .then(() => handler(ctx))
          .then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          ),
        timeout,
      ]);
    } finally {
      timerCtl.abort();
      runSignal?.removeEventListener("abort", onRunAbort);
      this.fatalCtl.signal.removeEventListener("abort", onFatal);
    }
    if (this.fatal !== undefined) return;

    step.endedAt = clock.now();
    if (outcome === TIMEOUT) {
      const error = new PilotlightError("step.timed-out", `${step.id} did not finish within ${step.timeoutMs} ms`, {
        source: "system",
        hint:
          step.external !== undefined
            ? `it was waiting on ${step.external.kind} ${step.external.id}; inspect it, then resume the run`
            : "resume the run to try again",
        details: { timeoutMs: step.timeoutMs },
      });
      abortWith(error);
      step.state = "TimedOut";
      step.error = toErrorInfo(error);
      this.emit("error", "step.timed-out", error.message, { timeoutMs: step.timeoutMs }, step.id);
    } else if (outcome.ok) {
      step.state = "Succeeded";
      if (outcome.value !== undefined) step.output = outcome.value;
      this.emit(
        "info",
        "step.succeeded",
        `${step.id} succeeded`,
        { durationMs: step.endedAt - step.startedAt },
        step.id,
      );
    } else if (ctl.signal.aborted && this.aborted && step.cleanup !== true) {
      step.state = "Interrupted";
      step.error = { code: "run.interrupted", source: "user", message: "the run was interrupted" };
      this.emit("warn", "step.interrupted", `${step.id} interrupted`, undefined, step.id);
    } else {
      step.state = "Failed";
      step.error = toErrorInfo(outcome.error);
      this.emit(
        "error",
        "step.failed",
        `${step.id} failed: ${step.error.message}`,
        { code: step.error.code, source: step.error.source },
        step.id,
      );
    }
    if (step.state !== "Succeeded" && step.cleanup !== true && step.critical !== false) this.halted = true;
    await this.persist();
  }

  /** Persists the run and buffered events, in order; a store failure is fatal for this process. */
  private persist(): Promise<void> {
    const { store, clock } = this.options;
    this.run.updatedAt = clock.now();
    const snapshot = structuredClone(this.run);
    const events = this.events.splice(0);
    this.journal = this.journal.then(async () => {
      if (this.fatal !== undefined) return;
      try {
        if (events.length > 0) await clock.track(store.appendEvents(events));
        await clock.track(store.saveRun(snapshot, this.lease));
      } catch (error) {
        this.fail(error);
      }
    });
    return this.journal;
  }

  private fail(error: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = this.withResumeHint(error);
    this.fatalCtl.abort(error);
    this.heartbeatCtl.abort();
  }

  /**
   * Fencing by time: once the lease's expiry passes without a renewal, another process may take
   * it over and start acting, so this one stops at that moment — running steps are aborted, no
   * step starts, nothing more is journaled — whether or not the store answers. The run stays
   * `InProgress` in the store, for `resume`.
   */
  private async watchLeaseExpiry(): Promise<void> {
    const { clock } = this.options;
    const signal = this.heartbeatCtl.signal;
    while (!signal.aborted) {
      try {
        await clock.sleep(this.leaseExpiresAt - clock.now(), signal);
      } catch {
        return;
      }
      if (signal.aborted) return;
      if (clock.now() < this.leaseExpiresAt) continue;
      const expired = new Date(this.leaseExpiresAt).toISOString();
      const { id, target } = this.run;
      const data = { expiresAt: this.leaseExpiresAt };
      const what = `the lease on ${target} expired at ${expired}`;
      this.emit("error", "lease.expired", `${what} without a renewal; run ${id} stopped`, data);
      const message = `${what}: the run store did not renew it, so this process stopped run ${id}`;
      this.fail(
        new PilotlightError("lease.expired", message, {
          source: "system",
          hint:
            `check the run store (\`pilotlight status\`), then \`pilotlight resume ${id}\`: ` +
            "completed steps are kept and in-flight work is re-attached",
          details: { runId: id, target, expiresAt: this.leaseExpiresAt },
        }),
      );
      return;
    }
  }

  /** A store failure says which run it stopped and how to continue it. */
  private withResumeHint(error: unknown): unknown {
    if (!isPilotlightError(error) || error.code !== "store.unavailable") return error;
    const id = this.run.id;
    return new PilotlightError("store.unavailable", `${error.message} (run ${id} stopped: it could not be journaled)`, {
      source: error.source,
      hint: `once the store answers: \`pilotlight resume ${id}\` (completed steps kept, in-flight work re-attached)`,
      details: { ...error.details, runId: this.run.id },
      cause: error,
    });
  }

  private async heartbeat(): Promise<void> {
    const { store, clock } = this.options;
    const signal = this.heartbeatCtl.signal;
    while (!signal.aborted) {
      try {
        await clock.sleep(Math.max(1, Math.floor(this.ttl / 3)), signal);
      } catch {
        return;
      }
      let held: boolean;
      const now = clock.now();
      try {
        held = await clock.track(store.renewLease(this.lease, now, this.ttl));
      } catch (error) {
        // A blip of the store: the next beat retries. If no renewal succeeds before the lease
        // expires, the watchdog stops the run (another process may take the lease over then).
        const expires = new Date(this.leaseExpiresAt).toISOString();
        const reason = error instanceof Error ? error.message : String(error);
        this.emit("warn", "lease.renewal-failed", `could not renew the lease (it expires ${expires}): ${reason}`, {
          expiresAt: this.leaseExpiresAt,
        });
        continue;
      }
      if (held) this.leaseExpiresAt = Math.max(this.leaseExpiresAt, now + this.ttl);
      if (!held) {
        this.fail(
          new PilotlightError(
            "lease.lost",
            `the lease on ${this.run.target} was taken over; this process stopped run ${this.run.id}`,
            {
              source: "system",
              hint: "another process now owns the run; see `pilotlight runs show " + this.run.id + "`",
            },
          ),
        );
        return;
      }
    }
  }
}
