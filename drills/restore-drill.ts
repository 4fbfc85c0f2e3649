import type { EnvironmentConfig } from "../automation/config/schema";
import { PilotlightError } from "../automation/domain/errors";
import type { JsonObject } from "../automation/domain/json";
import type { Plan } from "../automation/domain/plan";
import type { StepContext, StepHandlers } from "../automation/engine/step-context";
import { openDatabase, upStack, waitForHealthy } from "../automation/runbooks/actions";
import { summarizeData } from "../automation/runbooks/data-checks";
import type { RunbookPorts } from "../automation/runbooks/ports";
import { reportStep } from "../automation/runbooks/report-step";
import { drStackConfig } from "../automation/runbooks/stack-config";
import { validateDatabase, type Manifest } from "./validation/validate";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Facts of a restore drill. */
export interface RestoreDrillFacts extends JsonObject {
  env: string;
  declaredAt: number;
  recoveryPoint: { arn: string; vault: string; createdAt: number } | null;
  drKmsKeyArn: string;
  ttlMs: number;
}

/** The drill stack of a run: named after it, so leftovers can be traced and swept. */
export function drillStackName(runId: string): string {
  return `drill-${runId.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 80);
}

/** The newest completed copy in the DR vault — so the cross-region copy is tested too. */
export async function gatherRestoreDrillFacts(ports: RunbookPorts, envName: string, env: EnvironmentConfig): Promise<RestoreDrillFacts> {
  const primary = await ports.stacks.outputs(env.primary.stack);
  const points = (await ports.backups.listRecoveryPoints({ region: env.dr.region, vault: env.dr.vault, ...(primary["clusterArn"] === undefined ? {} : { resourceArn: String(primary["clusterArn"]) }) }))
    .filter((p) => p.status === "COMPLETED" && p.kind === "snapshot")
    .sort((a, b) => b.createdAt - a.createdAt);
  const p = points[0];
  return {
    env: envName,
    declaredAt: ports.clock.now(),
    recoveryPoint: p === undefined ? null : { arn: p.arn, vault: p.vault, createdAt: p.createdAt },
    drKmsKeyArn: String(primary["drKmsKeyArn"] ?? ""),
    ttlMs: env.drills.ttl,
  };
}

/** A drill needs a recovery point in the DR vault; none is itself the finding. */
export function decideRestoreDrill(f: RestoreDrillFacts, env: EnvironmentConfig): { refusal?: PilotlightError; warnings: string[] } {
  if (f.recoveryPoint === null) {
    return { refusal: new PilotlightError("refused.no-recovery-point", `no completed recovery point in ${env.dr.vault} (${env.dr.region}): nothing to drill`, { source: "user", hint: "check the copy jobs with `pilotlight drill run posture`" }), warnings: [] };
  }
  return { warnings: [] };
}

/** The restore drill's plan: the throw-away stack is always destroyed. */
export function planRestoreDrill(): Plan {
  return {
    steps: [
      { id: "stand-up-drill", title: "Restore the newest DR copy into a drill stack of the DR program (isolated, small, TTL-tagged)", dependsOn: [], timeoutMs: 4 * HOUR },
      { id: "validate", title: "Prove the restored data intact and fresh", dependsOn: ["stand-up-drill"], timeoutMs: HOUR },
      { id: "verify-workload", title: "Time the workload to healthy against the restored data", dependsOn: ["stand-up-drill"], timeoutMs: 30 * MIN },
      { id: "destroy", title: "Destroy the drill stack and remove it", dependsOn: ["validate", "verify-workload"], timeoutMs: 2 * HOUR, cleanup: true },
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
    validate: async (ctx) => {
      const f = factsOf(ctx);
      const sql = await openDatabase(ports, env.dr.region, outputsOf(ctx), env);
      try {
        const quick = await summarizeData(sql, env.validation, { asOf: f.recoveryPoint!.createdAt });
        if (quick.newestHeartbeatAt !== undefined) await ctx.measure("rpoDataMs", f.declaredAt - quick.newestHeartbeatAt);
        const recorded = await ports.manifests?.latestManifest(envName, f.recoveryPoint!.createdAt);
        let summary = `${quick.tables.map((t) => `${t.name} ${t.rows} rows`).join(", ")}`;
        if (recorded !== undefined) {
          const result = await ctx.clock.track(
            validateDatabase({
              open: async () => openDatabase(ports, env.dr.region, outputsOf(ctx), env),
              expect: { kind: "manifest", manifest: recorded.manifest as unknown as Manifest, watermark: recorded.recordedAt },
              validation: env.validation,
              now: () => ctx.clock.now(),
            }),
          );
          summary = result.summary;
          if (!result.ok) throw new PilotlightError("validation.failed", `the drill's restored data differs from the primary's manifest: ${result.summary}`, { source: "system", details: { summary: result.summary } });
        }
        if (quick.problems.length > 0) throw new PilotlightError("validation.failed", `the drill's restored data has problems: ${quick.problems.join("; ")}`, { source: "system", details: { problems: quick.problems } });
        ctx.progress(`drill data: ${summary}`);
        return { summary, manifest: recorded?.recordedAt ?? null };
      } finally {
        await sql.close();
      }
    },
    "verify-workload": async (ctx) => {
      await waitForHealthy(ctx, ports, String(outputsOf(ctx)["healthUrl"]), 20 * MIN);
      // The drill's RTO: start → workload healthy on restored data (no DNS in drill mode).
      await ctx.measure("rtoMs", ctx.clock.now() - factsOf(ctx).declaredAt);
    },
    destroy: async (ctx) => {
      const stack = drillStackName(ctx.runId);
      if (ctx.external === undefined) await ctx.recordExternal({ kind: "stack-destroy", id: stack, region: env.dr.region });
      await ports.stacks.destroy(stack, { signal: ctx.signal, deadline: ctx.deadline, remove: true, preserveConfig: false });
      // A cluster whose creation an interrupted `up` had started is not in the stack's state
      // (a pending create): delete what carries this run's tag, so nothing keeps billing.
      const strays = (await ports.databases.listClusters({ region: env.dr.region })).filter((c) => c.tags["managed-by"] === "pilotlight" && c.tags["pilotlight:run-id"] === ctx.runId);
      for (const c of strays) await ports.databases.deleteCluster({ region: env.dr.region, id: c.id, disableProtection: true });
      return { destroyed: stack, strayClusters: strays.map((c) => c.id) };
    },
    report: reportStep(ports, env, `Restore drill of ${envName}`, (run) =>
      run.phase === "Completed" ? "The newest DR copy restores, holds intact data and serves the workload." : "The drill FAILED: the DR copy cannot be trusted until this is fixed.",
    ),
  };
}
