import { PilotlightError } from "../../automation/domain/errors";
import type { PilotEvent } from "../../automation/domain/events";
import type { Plan } from "../../automation/domain/plan";
import { VirtualClock } from "../../automation/adapters/virtual-clock";
import { Engine, type EngineOptions } from "../../automation/engine/engine";
import type { StepHandlers } from "../../automation/engine/step-context";
import type { LeaseHolder, RunStore } from "../../automation/ports/run-store";
import { FakeRestores } from "./fake-restores";

/** 2026-01-01T00:00:00Z: every virtual clock in the tests starts here. */
export const T0 = Date.UTC(2026, 0, 1);
export const MINUTE = 60_000;

export const HOLDER_A: LeaseHolder = { host: "host-a", pid: 101, instance: "a" };
export const HOLDER_B: LeaseHolder = { host: "host-b", pid: 202, instance: "b" };

/**
 * A failover-shaped plan: `assess` → (`restore` ∥ `deploy-app`) → `validate` → `switch`, and a
 * cleanup step `teardown` after `switch`. `restore` waits on {@link FakeRestores} (30 min);
 * `deploy-app` takes 10 min.
 */
export function samplePlan(overrides: Partial<Record<string, { timeoutMs?: number; critical?: boolean }>> = {}): Plan {
  const step = (id: string, dependsOn: string[], timeoutMs: number, extra: { cleanup?: boolean } = {}) => ({
    id,
    title: id,
    dependsOn,
    timeoutMs: overrides[id]?.timeoutMs ?? timeoutMs,
    ...(overrides[id]?.critical === undefined ? {} : { critical: overrides[id]!.critical }),
    ...extra,
  });
  return {
    steps: [
      step("assess", [], 5 * MINUTE),
      step("restore", ["assess"], 2 * 60 * MINUTE),
      step("deploy-app", ["assess"], 30 * MINUTE),
      step("validate", ["restore", "deploy-app"], 10 * MINUTE),
      step("switch", ["validate"], 10 * MINUTE),
      step("teardown", ["switch"], 10 * MINUTE, { cleanup: true }),
    ],
  };
}

/** Counts of handler entries per step, and the handlers for {@link samplePlan}. */
export function sampleHandlers(svc: FakeRestores, calls: Record<string, number> = {}): StepHandlers {
  const count = (id: string) => {
    calls[id] = (calls[id] ?? 0) + 1;
  };
  return {
    assess: async (ctx) => {
      count("assess");
      await ctx.clock.sleep(1 * MINUTE, ctx.signal);
      return { primaryHealthy: false };
    },
    restore: async (ctx) => {
      count("restore");
      let id = ctx.external?.id;
      if (id === undefined) {
        // The idempotency token makes a start retried after a crash return the same job.
        id = svc.start(`${ctx.runId}/${ctx.step.id}`);
        await ctx.recordExternal({ kind: "restore-job", id });
      }
      for (;;) {
        const status = svc.status(id);
        if (status === "COMPLETED") return { jobId: id };
        if (status === "FAILED")
          throw new PilotlightError("step.failed", `restore job ${id} failed`, { source: "aws" });
        ctx.progress(`restore job ${id} ${status}`);
        await ctx.clock.sleep(1 * MINUTE, ctx.signal);
      }
    },
    "deploy-app": async (ctx) => {
      count("deploy-app");
      await ctx.clock.sleep(10 * MINUTE, ctx.signal);
    },
    validate: async (ctx) => {
      count("validate");
      await ctx.clock.sleep(2 * MINUTE, ctx.signal);
      return { restored: ctx.outputOf("restore") ?? null };
    },
    switch: async (ctx) => {
      count("switch");
      await ctx.clock.sleep(1 * MINUTE, ctx.signal);
    },
    teardown: async () => {
      count("teardown");
    },
  };
}

let runCounter = 0;

/** Builds an engine on a virtual clock, collecting its events. */
export function makeEngine(
  store: RunStore,
  clock: VirtualClock,
  opts: Partial<EngineOptions> & { ids?: string[] } = {},
) {
  const events: PilotEvent[] = [];
  const ids = opts.ids ?? [];
  const engine = new Engine({
    store,
    clock,
    holder: HOLDER_A,
    newRunId: () => ids.shift() ?? `run-${++runCounter}`,
    sink: (e) => events.push(e),
    leaseTtlMs: 60_000,
    ...opts,
  });
  return { engine, events };
}

/** Codes of events, in order. */
export function codes(events: PilotEvent[], stepId?: string): string[] {
  return events.filter((e) => stepId === undefined || e.stepId === stepId).map((e) => e.code);
}
