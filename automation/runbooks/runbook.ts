import type { Config, EnvironmentConfig } from "../config/schema";
import type { PilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import type { Plan } from "../domain/plan";
import type { Run, RunKind } from "../domain/run";
import type { StepHandlers } from "../engine/step-context";
import type { RunbookPorts } from "../ports/runbook-ports";

/** What a runbook is given: the environment it acts on, through which ports, with what history. */
export interface RunbookContext {
  config: Config;
  envName: string;
  env: EnvironmentConfig;
  ports: RunbookPorts;
  /** Runs of the store (the newest first), e.g. the failover a failback or an abandon refers to. */
  runs: {
    load(id: string): Promise<Run | undefined>;
    list(filter: { kind?: RunKind; limit?: number }): Promise<Run[]>;
  };
  /** The target's id (`real`, `sandbox:<world>`): what this run acts on. */
  target: string;
}

/** A guard's verdict over the gathered facts: a refusal, or warnings to show before acting. */
export interface Decision {
  refusal?: PilotlightError;
  warnings: string[];
}

/**
 * One runbook, in one module: the request is normalised once (relative times resolved, recorded
 * in the run's spec), facts are gathered, guards decide purely over them, the plan is data, and
 * the handlers do the steps. Compensations are steps of the plan. The library runs any runbook
 * through one generic `operate`.
 */
export interface Runbook<Req extends object = JsonObject, Facts extends object = JsonObject> {
  kind: RunKind;
  /** Parses and checks the caller's request; throws a user error naming the field. */
  request(raw: JsonObject, now: number): Req;
  gather(ctx: RunbookContext, req: Req): Promise<Facts>;
  decide(facts: Facts, req: Req, env: EnvironmentConfig): Decision;
  plan(facts: Facts, req: Req, env: EnvironmentConfig): Plan;
  handlers(ctx: RunbookContext): StepHandlers;
  /** The question asked before a change to production; without it the runbook never asks (drills). */
  confirm?(facts: Facts, req: Req, ctx: RunbookContext): string;
  /** The lease the run holds; by default the environment's (failover, failback, restores exclude each other). */
  leaseKey?(envLease: string): string;
}

/** A runbook of any request and facts, as a registry holds it. */
export type AnyRunbook = Runbook<any, any>;
