import type { EnvironmentConfig } from "../automation/config/schema";
import type { JsonObject } from "../automation/domain/json";
import type { Plan } from "../automation/domain/plan";
import type { StepContext, StepHandlers } from "../automation/engine/step-context";
import { upStack, waitForHealthy } from "../automation/runbooks/actions";
import { reportStep } from "../automation/runbooks/report-step";
import type { Decision, Runbook, RunbookContext } from "../automation/runbooks/runbook";
import { drillChange } from "../automation/runbooks/stack-config";
import {
  destroyDrillStack,
  drillDatabase,
  drillStackName,
  gatherDrillFacts,
  noRecoveryPoint,
  validateDrillData,
  type DrillFacts,
} from "./drill-steps";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** A drill needs a recovery point in the DR vault; none is itself the finding. */
export function decideRestoreDrill(f: DrillFacts, _req: JsonObject, env: EnvironmentConfig): Decision {
  return f.recoveryPoint === null ? { refusal: noRecoveryPoint(env), warnings: [] } : { warnings: [] };
}

/** The restore drill's plan: the throw-away stack is always destroyed. */
export function planRestoreDrill(): Plan {
  return {
    steps: [
      {
        id: "stand-up-drill",
        title: "Restore the newest DR copy into a drill stack of the DR program (isolated, small, TTL-tagged)",
        dependsOn: [],
        timeoutMs: 4 * HOUR,
      },
      {
        id: "validate",
        title: "Prove the restored data intact and fresh",
        dependsOn: ["stand-up-drill"],
        timeoutMs: HOUR,
      },
      {
        id: "verify-workload",
        title: "Time the workload to healthy against the restored data (after validation: its read/write probe writes)",
        dependsOn: ["validate"],
        timeoutMs: 30 * MIN,
      },
      {
        id: "destroy",
        title: "Destroy the drill stack and remove it",
        dependsOn: ["verify-workload"],
        timeoutMs: 2 * HOUR,
        cleanup: true,
      },
      {
        id: "report",
        title: "Report, record the measurements, alert on failure",
        dependsOn: ["destroy"],
        timeoutMs: 10 * MIN,
        cleanup: true,
      },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.facts<DrillFacts>();

/** Executes the restore drill. */
export function restoreDrillHandlers(rc: RunbookContext): StepHandlers {
  const { ports, env, envName } = rc;
  const at = (ctx: StepContext) => drillDatabase(ports, drillStackName(ctx.runId), env.dr.region);
  return {
    "stand-up-drill": async (ctx) => {
      const f = factsOf(ctx);
      const p = f.recoveryPoint!;
      const change = drillChange(envName, env, f.drFile, {
        restoreSnapshot: p.arn,
        kmsKeyArn: f.drKmsKeyArn,
        ...(p.engineVersion === null ? {} : { engineVersion: p.engineVersion }),
        runId: ctx.runId,
        expiresAt: f.declaredAt + f.ttlMs,
      });
      const outputs = await upStack(ctx, ports, drillStackName(ctx.runId), env.dr.region, change);
      await ctx.measure("rpoMs", f.declaredAt - p.createdAt);
      return { outputs };
    },
    validate: async (ctx) =>
      validateDrillData(ctx, ports, envName, env, await at(ctx), factsOf(ctx).recoveryPoint!, factsOf(ctx).declaredAt),
    "verify-workload": async (ctx): Promise<JsonObject> => {
      const url = (await at(ctx)).healthUrl;
      if (url === undefined) return { skipped: "no workload (workload: none)" };
      await waitForHealthy(ctx, ports, url, 20 * MIN);
      // The drill's RTO: start → workload healthy on restored data (no DNS in drill mode).
      await ctx.measure("rtoMs", ctx.clock.now() - factsOf(ctx).declaredAt);
      return { healthUrl: url };
    },
    destroy: async (ctx) => destroyDrillStack(ctx, ports, drillStackName(ctx.runId), env.dr.region),
    report: reportStep(ports, env, `Restore drill of ${envName}`, (run) =>
      run.phase === "Completed"
        ? "The newest DR copy restores, holds intact data and serves the workload."
        : "The drill FAILED: the DR copy cannot be trusted until this is fixed.",
    ),
  };
}

/** The nightly restore drill. */
export const restoreDrillRunbook: Runbook<JsonObject, DrillFacts> = {
  kind: "restore-drill",
  request: () => ({}),
  gather: (ctx) => gatherDrillFacts(ctx),
  decide: decideRestoreDrill,
  plan: () => planRestoreDrill(),
  handlers: restoreDrillHandlers,
};
