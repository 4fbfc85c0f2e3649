import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError, isPilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import { formatDuration } from "../domain/objectives";
import type { Plan } from "../domain/plan";
import type { RecoveryPoint } from "../domain/recovery-point";
import type { StepContext, StepHandlers } from "../engine/step-context";
import { hostOf, openDatabase, upStack, waitForDns, waitForHealthy } from "./actions";
import { summarizeData, summaryJson } from "./data-checks";
import type { RecordedManifest } from "../ports/validator";
import type { RunbookPorts } from "./ports";
import { reportStep } from "./report-step";
import { drStackConfig } from "./stack-config";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** What the operator asked for. */
export interface FailoverRequest {
  force?: boolean;
  /** Business impact is critical: skip the wait/prepare policy (not the healthy-primary guard). */
  critical?: boolean;
  recoveryPoint?: string;
  /** Newest recovery point created before this time (epoch ms). */
  before?: number;
  acceptDataLoss?: boolean;
  /** When the outage began, if the health check cannot tell (epoch ms). */
  outageSince?: number;
}

/** The facts a failover acts on, gathered before anything changes; persisted in the run's spec. */
export interface FailoverFacts extends JsonObject {
  env: string;
  declaredAt: number;
  primaryHealthy: boolean;
  primaryHealth: string;
  unhealthySince: number | null;
  drStackExists: boolean;
  candidates: number;
  recoveryPoint: { arn: string; vault: string; region: string; createdAt: number } | null;
  /** When the failure happened (the outage's start), else the declaration: RPO is measured from it. */
  failureAt: number;
  /** Data lost if this recovery point is restored: failure time − recovery point time (aws.md). */
  rpoAgeMs: number | null;
  drKmsKeyArn: string;
  healthCheckId: string | null;
  primaryHealthUrl: string | null;
}

/** Looks at the world: primary health, the DR stack, recovery points in the DR vault. Changes nothing. */
export async function gatherFailoverFacts(ports: RunbookPorts, envName: string, env: EnvironmentConfig, req: FailoverRequest): Promise<FailoverFacts> {
  const declaredAt = ports.clock.now();
  const primary = await ports.stacks.outputs(env.primary.stack);
  const healthCheckId = primary["healthCheckId"] === undefined ? null : String(primary["healthCheckId"]);
  const primaryHealthUrl = primary["healthUrl"] === undefined ? null : String(primary["healthUrl"]);
  let healthy = false;
  let health = "no health check configured";
  let since: number | null = null;
  if (healthCheckId !== null) {
    const status = await ports.traffic.healthCheckStatus({ healthCheckId });
    healthy = status.state === "healthy";
    health = `Route 53 health check ${status.state}`;
    since = status.since ?? null;
  }
  if (primaryHealthUrl !== null) {
    const probe = await ports.health.probe({ url: primaryHealthUrl, timeoutMs: 5_000 });
    healthy = healthy || probe.ok;
    health += probe.ok ? "; workload answers healthy" : `; workload: ${probe.reason ?? "unhealthy"}`;
  }
  const clusterArn = String(primary["clusterArn"] ?? "");
  const points = (await ports.backups.listRecoveryPoints({ region: env.dr.region, vault: env.dr.vault, resourceArn: clusterArn }))
    .filter((p) => p.status === "COMPLETED" && p.kind === "snapshot")
    .sort((a, b) => b.createdAt - a.createdAt);
  let chosen: RecoveryPoint | undefined;
  if (req.recoveryPoint !== undefined) chosen = points.find((p) => p.arn === req.recoveryPoint);
  else if (req.before !== undefined) chosen = points.find((p) => p.createdAt < req.before!);
  else chosen = points[0];
  const unhealthySince = healthy ? null : (req.outageSince ?? since);
  const failureAt = unhealthySince ?? declaredAt;
  return {
    env: envName,
    declaredAt,
    failureAt,
    primaryHealthy: healthy,
    primaryHealth: health,
    unhealthySince,
    drStackExists: await ports.stacks.exists(env.dr.stack),
    candidates: points.length,
    recoveryPoint: chosen === undefined ? null : { arn: chosen.arn, vault: chosen.vault, region: chosen.region, createdAt: chosen.createdAt },
    rpoAgeMs: chosen === undefined ? null : failureAt - chosen.createdAt,
    drKmsKeyArn: String(primary["drKmsKeyArn"] ?? ""),
    healthCheckId,
    primaryHealthUrl,
  };
}

/**
 * The guards, as a pure decision over the facts: no second DR stack; never away from a healthy
 * primary without `--force`; the seeds' policy (under `waitBelow` of outage wait, under
 * `prepareBelow` prepare, beyond fail over; `--critical` skips it); a usable recovery point; its
 * age within the RPO unless `--accept-data-loss`. Returns the refusal, or warnings.
 */
export function decideFailover(f: FailoverFacts, req: FailoverRequest, env: EnvironmentConfig): { refusal?: PilotlightError; warnings: string[] } {
  const warnings: string[] = [];
  if (f.drStackExists) {
    return { refusal: new PilotlightError("refused.dr-active", `the DR stack ${env.dr.stack} already exists: ${f.env} is failed over (or a failover is under way)`, { source: "user", hint: "resume the unfinished run (`pilotlight runs list`), or fail back first", details: { stack: env.dr.stack } }), warnings };
  }
  if (f.primaryHealthy && req.force !== true) {
    return { refusal: new PilotlightError("refused.primary-healthy", `the primary of ${f.env} is healthy (${f.primaryHealth}); refusing to fail over away from it`, { source: "user", hint: "if the data is corrupt, use `pilotlight restore --to TIME`; to fail over anyway (a drill, a planned move), pass --force", details: { primaryHealth: f.primaryHealth } }), warnings };
  }
  if (f.primaryHealthy) warnings.push("the primary answers as healthy: its health check will be inverted to force the switch (--force)");
  if (!f.primaryHealthy && req.force !== true && req.critical !== true) {
    if (f.unhealthySince === null) {
      return { refusal: new PilotlightError("refused.wait", "the outage's start is unknown, so the wait/prepare policy cannot be applied", { source: "user", hint: "pass --outage-since TIME, or --critical when the business impact requires failing over now" }), warnings };
    }
    const outage = f.declaredAt - f.unhealthySince;
    if (outage < env.decision.waitBelow) {
      return { refusal: new PilotlightError("refused.wait", `the primary has been unhealthy for ${formatDuration(outage)}, less than ${formatDuration(env.decision.waitBelow)}: wait for automatic recovery`, { source: "user", hint: "most outages end by themselves; re-run later, or pass --critical", details: { outageMs: outage, advice: "wait" } }), warnings };
    }
    if (outage < env.decision.prepareBelow) {
      return { refusal: new PilotlightError("refused.wait", `the primary has been unhealthy for ${formatDuration(outage)}, less than ${formatDuration(env.decision.prepareBelow)}: prepare, do not fail over yet`, { source: "user", hint: "check the plan with --dry-run; fail over after the threshold, or now with --critical", details: { outageMs: outage, advice: "prepare" } }), warnings };
    }
  }
  if (f.recoveryPoint === null) {
    const which = req.recoveryPoint !== undefined ? `recovery point ${req.recoveryPoint} is not a completed snapshot of the primary in ${env.dr.vault}` : req.before !== undefined ? `no completed recovery point in ${env.dr.vault} before ${new Date(req.before).toISOString()}` : `no completed recovery point of the primary in ${env.dr.vault} (${env.dr.region})`;
    return { refusal: new PilotlightError("refused.no-recovery-point", which, { source: "user", hint: "check the copy jobs (`pilotlight drill run posture`) and the DR vault name in the configuration", details: { vault: env.dr.vault, candidates: f.candidates } }), warnings };
  }
  if (f.rpoAgeMs !== null && f.rpoAgeMs > env.objectives.rpo) {
    if (req.acceptDataLoss !== true) {
      return { refusal: new PilotlightError("refused.rpo-breach", `the newest usable recovery point is ${formatDuration(f.rpoAgeMs)} old, beyond the RPO target of ${formatDuration(env.objectives.rpo)}`, { source: "user", hint: "pass --accept-data-loss to restore it anyway", details: { ageMs: f.rpoAgeMs, rpoMs: env.objectives.rpo, recoveryPoint: f.recoveryPoint.arn } }), warnings };
    }
    warnings.push(`accepting data loss: the recovery point is ${formatDuration(f.rpoAgeMs)} old (RPO target ${formatDuration(env.objectives.rpo)})`);
  }
  return { warnings };
}

/** The failover plan. Step ids are persisted: never rename them. */
export function planFailover(f: FailoverFacts, env: EnvironmentConfig): Plan {
  const dns = env.dns !== undefined && f.healthCheckId !== null;
  return {
    steps: [
      { id: "stand-up-dr", title: `Stand the DR stack up in ${env.dr.region}, restoring ${f.recoveryPoint?.arn ?? "?"}`, dependsOn: [], timeoutMs: 4 * HOUR },
      { id: "check-data", title: "Check the restored data and measure RPO from it", dependsOn: ["stand-up-dr"], timeoutMs: 30 * MIN },
      { id: "switch-traffic", title: dns ? `Switch ${env.dns!.name} to the DR region` : "Switch traffic (no DNS configured: skipped)", dependsOn: ["check-data"], timeoutMs: 30 * MIN },
      { id: "verify-workload", title: "Verify the workload end to end (health, read/write)", dependsOn: ["switch-traffic"], timeoutMs: 30 * MIN },
      { id: "report", title: "Write the report and notify stakeholders", dependsOn: ["verify-workload"], timeoutMs: 10 * MIN, cleanup: true },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.spec["facts"] as FailoverFacts;

/** Executes the failover plan's steps through the ports. */
export function failoverHandlers(ports: RunbookPorts, envName: string, env: EnvironmentConfig): StepHandlers {
  return {
    "stand-up-dr": async (ctx) => {
      const f = factsOf(ctx);
      const outputs = await upStack(ctx, ports, env.dr.stack, env.dr.region, drStackConfig(envName, env, { restoreSnapshot: f.recoveryPoint!.arn, kmsKeyArn: f.drKmsKeyArn }));
      await ctx.measure("rpoMs", f.failureAt - f.recoveryPoint!.createdAt);
      return { outputs };
    },
    "check-data": async (ctx) => {
      const f = factsOf(ctx);
      const outputs = (ctx.outputOf("stand-up-dr") as JsonObject)["outputs"] as JsonObject;
      const sql = await openDatabase(ports, env.dr.region, outputs, env);
      try {
        const summary = await summarizeData(sql, env.validation, { asOf: f.failureAt });
        if (summary.newestHeartbeatAt !== undefined) await ctx.measure("rpoDataMs", Math.max(0, f.failureAt - summary.newestHeartbeatAt));
        ctx.progress(`restored data: ${summary.tables.map((t) => `${t.name} ${t.rows} rows`).join(", ")}`, summaryJson(summary));
        if (summary.problems.length > 0) {
          throw new PilotlightError("validation.failed", `the restored data has problems: ${summary.problems.join("; ")}`, { source: "system", details: { problems: summary.problems } });
        }
        // With a manifest recorded on the primary before the recovery point, prove the content:
        // rows changed between the manifest and the recovery point are drift, the rest must match.
        const recorded = await ports.manifests?.latestManifest(envName, f.recoveryPoint!.createdAt);
        if (recorded === undefined) return { ...summaryJson(summary), manifest: null };
        const result = await ctx.clock.track(
          ports.validator.validate({
            open: async () => openDatabase(ports, env.dr.region, outputs, env),
            expect: { kind: "manifest", manifest: recorded.manifest as unknown as RecordedManifest, watermark: recorded.recordedAt },
            validation: env.validation,
            now: () => ctx.clock.now(),
            asOf: f.failureAt,
          }),
        );
        ctx.progress(`validation against the manifest of ${new Date(recorded.recordedAt).toISOString()}: ${result.summary}`);
        if (!result.ok) {
          throw new PilotlightError("validation.failed", `the restored data differs from the primary's manifest: ${result.summary}`, { source: "system", details: { summary: result.summary } });
        }
        return { ...summaryJson(summary), manifest: recorded.recordedAt, validation: result.summary };
      } finally {
        await sql.close();
      }
    },
    "switch-traffic": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (env.dns === undefined || f.healthCheckId === null) return { skipped: "no DNS configured" };
      const started = ctx.clock.now();
      const outputs = (ctx.outputOf("stand-up-dr") as JsonObject)["outputs"] as JsonObject;
      const status = await ports.traffic.healthCheckStatus({ healthCheckId: f.healthCheckId });
      // Pin traffic to DR: invert the primary's health check, whether or not the primary still
      // answers. Otherwise a recovering primary region (or the stale primary workload) would
      // take traffic back by itself, before failback copied the data written in DR home.
      // Updating a health check is Route 53's control plane (us-east-1): during an outage there it
      // fails, and the switch rests on the data plane (the failing check). Failback pins first.
      let pinned = ctx.external !== undefined;
      if (!pinned) {
        try {
          const change = await ports.traffic.forceFailover({ healthCheckId: f.healthCheckId });
          await ctx.recordExternal({ kind: "health-check-inverted", id: f.healthCheckId, data: { changeId: change.changeId } });
          pinned = true;
        } catch (error) {
          if (!(isPilotlightError(error) && error.code === "aws.unavailable")) throw error;
          if (status.state === "healthy") throw error; // A forced failover has no data-plane fallback.
          ctx.progress(`could not pin traffic to DR (Route 53 control plane unavailable); relying on the failing health check: ${error.message}`, { pinned: false });
        }
      }
      await waitForDns(ctx, ports, env, hostOf(outputs["healthUrl"]), 20 * MIN);
      await ctx.measure("phase.dnsMs", ctx.clock.now() - started);
      return { pinned, primaryAnswered: status.state === "healthy" };
    },
    "verify-workload": async (ctx) => {
      const f = factsOf(ctx);
      const outputs = (ctx.outputOf("stand-up-dr") as JsonObject)["outputs"] as JsonObject;
      await waitForHealthy(ctx, ports, String(outputs["healthUrl"]), 20 * MIN);
      // Achieved RTO: declaration → traffic served from DR and the workload healthy (aws.md).
      await ctx.measure("rtoMs", ctx.clock.now() - f.declaredAt);
      return { healthUrl: String(outputs["healthUrl"]) };
    },
    report: reportStep(ports, env, `Failover of ${envName} to ${env.dr.region}`, (run) =>
      run.phase === "Completed" || run.steps.find((s) => s.id === "verify-workload")?.state === "Succeeded"
        ? `The workload is now served from ${env.dr.region}; fail back with \`pilotlight failback --env ${envName}\` once ${env.primary.region} is stable.`
        : `The workload is NOT confirmed in ${env.dr.region}.`,
    ),
  };
}
