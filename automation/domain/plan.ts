import { PilotlightError } from "./errors";
import type { Json } from "./json";

/**
 * One step of a plan, as data. The id is the step's identity: it is persisted and must never be
 * renamed, because resuming a run looks steps up by id.
 */
export interface StepSpec {
  id: string;
  /** Human title, for reports and progress. */
  title: string;
  /** Ids of steps that must succeed first (for a cleanup step: that must have ended). */
  dependsOn: string[];
  /** The step's own deadline, from its start; every wait inside it is bounded by it. */
  timeoutMs: number;
  /**
   * A cleanup step runs once all its dependencies have ended, whatever their outcome, and also
   * after the run failed or was aborted (drill teardown, lease-free resources).
   */
  cleanup?: boolean;
  /** A non-critical step's failure makes the run `PartiallyFailed` instead of `Failed`. */
  critical?: boolean;
  /** Name of the handler that executes the step; defaults to the id. */
  action?: string;
  /** Facts the runbook decided when it built the plan, handed to the handler. */
  input?: Json;
}

/** A plan is data: steps with dependencies, built by a runbook from the facts it was given. */
export interface Plan {
  steps: StepSpec[];
}

const STEP_ID = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;

/**
 * Lists every problem of a plan's graph (empty when valid): bad or duplicate ids, unknown
 * dependencies, cycles, non-positive timeouts, and normal steps that depend on cleanup steps.
 */
export function findPlanProblems(plan: Plan): string[] {
  const problems: string[] = [];
  const byId = new Map<string, StepSpec>();
  if (plan.steps.length === 0) problems.push("the plan has no steps");
  for (const step of plan.steps) {
    if (!STEP_ID.test(step.id)) problems.push(`step id "${step.id}" must be kebab-case (a-z, 0-9, '-', '.')`);
    if (byId.has(step.id)) problems.push(`step id "${step.id}" is used twice`);
    byId.set(step.id, step);
    if (!(Number.isFinite(step.timeoutMs) && step.timeoutMs > 0)) {
      problems.push(`step "${step.id}": timeoutMs must be a positive number of milliseconds`);
    }
  }
  for (const step of plan.steps) {
    for (const dep of step.dependsOn) {
      const target = byId.get(dep);
      if (target === undefined) problems.push(`step "${step.id}" depends on unknown step "${dep}"`);
      else if (target.cleanup === true && step.cleanup !== true) {
        problems.push(`step "${step.id}" depends on cleanup step "${dep}"; only cleanup steps may`);
      }
    }
  }
  // Cycle detection (depth-first, colours).
  const colour = new Map<string, "grey" | "black">();
  const visit = (id: string, path: string[]): void => {
    const c = colour.get(id);
    if (c === "black") return;
    if (c === "grey") {
      problems.push(`dependency cycle: ${[...path.slice(path.indexOf(id)), id].join(" -> ")}`);
      return;
    }
    colour.set(id, "grey");
    for (const dep of byId.get(id)?.dependsOn ?? []) if (byId.has(dep)) visit(dep, [...path, id]);
    colour.set(id, "black");
  };
  for (const step of plan.steps) visit(step.id, []);
  return problems;
}

/** Throws `plan.invalid` listing every problem of the plan. */
export function assertValidPlan(plan: Plan): void {
  const problems = findPlanProblems(plan);
  if (problems.length > 0) {
    throw new PilotlightError("plan.invalid", `invalid plan:\n  - ${problems.join("\n  - ")}`, {
      source: "system",
      details: { problems },
    });
  }
}
