import type { EnvironmentConfig } from "../automation/config/schema";
import type { PilotlightError } from "../automation/domain/errors";
import type { JsonObject } from "../automation/domain/json";
import type { Plan } from "../automation/domain/plan";
import type { StepContext, StepHandlers } from "../automation/engine/step-context";
import { upStack, waitForHealthy } from "../automation/runbooks/actions";
import type { RunbookPorts } from "../automation/runbooks/ports";
import { reportStep } from "../automation/runbooks/report-step";
import { drStackConfig } from "../automation/runbooks/stack-config";
import { destroyDrillStack, drillStackName, gatherDrillFacts, noRecoveryPoint, validateDrillData, type DrillFacts } from "./drill-steps";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Facts of a restore drill. */
export type RestoreDrillFacts = DrillFacts;

/** The newest completed copy in the DR vault — so the cross-region copy is tested too. */
export async function gatherRestoreDrillFacts(ports: RunbookPorts, envName: string, env: EnvironmentConfig): Promise<RestoreDrillFacts> {
  return (await gatherDrillFacts(ports, envName, env)).facts;
}

/** A drill needs a recovery point in the DR vault; none is itself the finding. */
export function decideRestoreDrill(f: RestoreDrillFacts, env: EnvironmentConfig): { refusal?: PilotlightError; warnings: string[] } {
  return f.recoveryPoint === null ? { refusal: noRecoveryPoint(env), warnings: [] } : { warnings: [] };
}

/** The restore drill's plan: the throw-away stack is always destroyed. */
export function planRestoreDrill(): Plan {
  return {
    steps: [
      { id: "stand-up-drill", title: "Restore the newest DR copy into a drill stack of the DR program (isolated, small, TTL-tagged)", dependsOn: [], timeoutMs: 4 * HOUR },
      { id: "validate", title: "Prove the restored data intact and fresh", dependsOn: ["stand-up-drill"], timeoutMs: HOUR },
      { id: "verify-workload", title: "Time the workload to healthy against the restored data (after validation: its read/write probe writes)", dependsOn: ["validate"], timeoutMs: 30 * MIN },
      { id: "destroy", title: "Destroy the drill stack and remove it", dependsOn: ["verify-workload"], timeoutMs: 2 * HOUR, cleanup: true },
      { id: "report", title: "Report, record the measurements, alert on failure", dependsOn: ["destroy"], timeoutMs: 10 * MIN, cleanup: true },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.spec["facts"] as RestoreDrillFacts;
const outputsOf = (ctx: StepContext) => ((ctx.outputOf("stand-up-drill") as JsonObject | undefined)?.["outputs"] ?? {}) as JsonObject;

/** Executes the restore drill. */
export function restoreDrillHandlers(ports: RunbookPorts, envName: string, env: EnvironmentConfig): StepHandlers {
  return {
    "stand-up-drill": async (ctx) => {
      const f = factsOf(ctx);
      const config = drStackConfig(envName, env, { restoreSnapshot: f.recoveryPoint!.arn, kmsKeyArn: f.drKmsKeyArn, drill: { runId: ctx.runId, expiresAt: f.declaredAt + f.ttlMs } });
      const outputs = await upStack(ctx, ports, drillStackName(ctx.runId), env.dr.region, config);
      await ctx.measure("rpoMs", f.declaredAt - f.recoveryPoint!.createdAt);
      return { outputs };
    },
    validate: async (ctx) => validateDrillData(ctx, ports, envName, env, { region: env.dr.region, outputs: outputsOf(ctx) }, factsOf(ctx).recoveryPoint!, factsOf(ctx).declaredAt),
    "verify-workload": async (ctx) => {
      await waitForHealthy(ctx, ports, String(outputsOf(ctx)["healthUrl"]), 20 * MIN);
      // The drill's RTO: start → workload healthy on restored data (no DNS in drill mode).
      await ctx.measure("rtoMs", ctx.clock.now() - factsOf(ctx).declaredAt);
    },
    destroy: async (ctx) => destroyDrillStack(ctx, ports, drillStackName(ctx.runId), env.dr.region),
    report: reportStep(ports, env, `Restore drill of ${envName}`, (run) =>
      run.phase === "Completed" ? "The newest DR copy restores, holds intact data and serves the workload." : "The drill FAILED: the DR copy cannot be trusted until this is fixed.",
    ),
  };
}
