import { readDrOutputs, readPrimaryOutputs, type PrimaryStackOutputs } from "../../infra/contract";
import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import { formatDuration } from "../domain/objectives";
import type { Plan, StepSpec } from "../domain/plan";
import type { RecoveryPoint } from "../domain/recovery-point";
import { describeTime, resolveTime } from "../domain/time";
import type { StepContext, StepHandlers } from "../engine/step-context";
import type { RecordedManifest } from "../ports/validator";
import { hostOf, openDatabase, setGate, upStack, waitForDns, waitForHealthy } from "./actions";
import { summarizeData, summaryJson } from "./data-checks";
import { reportStep } from "./report-step";
import type { Decision, Runbook, RunbookContext } from "./runbook";
import { drChange } from "./stack-config";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** What the operator asked for, normalised: times are absolute, resolved once. */
export interface FailoverRequest {
  force: boolean;
  /** Business impact is critical: skip the wait/prepare policy (not the healthy-primary guard). */
  critical: boolean;
  recoveryPoint: string | null;
  /** Newest recovery point created before this time (epoch ms). */
  before: number | null;
  acceptDataLoss: boolean;
  /** When the outage began, if the operator knows better than pilotlight (epoch ms). */
  outageSince: number | null;
  /** Restore and check DR, stop before traffic (the seeds' "prepare" window). */
  prepare: boolean;
}

/** A stack prepared by an earlier `failover --prepare` and not yet serving. */
export interface PreparedStack {
  runId: string;
  /** When the prepare run was declared (RTO with the preparation counted starts there). */
  declaredAt: number;
  recoveryPoint: string;
  recoveryPointAt: number;
  preparedAt: number;
}

/** The facts a failover acts on, gathered before anything changes; persisted in the run's spec. */
export interface FailoverFacts {
  env: string;
  declaredAt: number;
  primaryHealthy: boolean;
  primaryHealth: string;
  /** When the outage began (operator's word), null when unknown. */
  outageSince: number | null;
  drStackExists: boolean;
  /** The DR stack an earlier `--prepare` run restored and checked, if that is what exists. */
  prepared: PreparedStack | null;
  /** The failover run that left the DR stack (the way out names it). */
  drStackRun: string | null;
  candidates: number;
  recoveryPoint: { arn: string; vault: string; region: string; createdAt: number; engineVersion: string | null } | null;
  /** A recovery point newer than the prepared one (re-stage to use it). */
  newerThanPrepared: { arn: string; createdAt: number } | null;
  /** When the failure happened (the outage's start), else the declaration: RPO is measured from it. */
  failureAt: number;
  /** Data lost if this recovery point is restored: failure time − recovery point time (aws.md). */
  rpoAgeMs: number | null;
  primary: PrimaryStackOutputs;
}

/** Parses the caller's request; relative times are resolved once against `now`. */
export function failoverRequest(raw: JsonObject, now: number): FailoverRequest {
  const flag = (k: string) => raw[k] === true;
  const time = (k: string, field: string) =>
    raw[k] === undefined || raw[k] === null ? null : resolveTime(raw[k], now, field);
  const req: FailoverRequest = {
    force: flag("force"),
    critical: flag("critical"),
    recoveryPoint: typeof raw["recoveryPoint"] === "string" ? raw["recoveryPoint"] : null,
    before: time("before", "--before"),
    acceptDataLoss: flag("acceptDataLoss"),
    outageSince: time("outageSince", "--outage-since"),
    prepare: flag("prepare"),
  };
  if (req.recoveryPoint !== null && req.before !== null) {
    throw new PilotlightError(
      "config.invalid",
      "--recovery-point and --before choose the recovery point two ways: give one",
      { source: "user" },
    );
  }
  if (req.outageSince !== null && req.outageSince > now) {
    throw new PilotlightError(
      "config.invalid",
      `--outage-since ${new Date(req.outageSince).toISOString()} is in the future`,
      { source: "user", hint: "give when the outage began, e.g. --outage-since=-50m" },
    );
  }
  return req;
}

/** Newest completed snapshot recovery points of the primary in the DR vault, newest first. */
export async function drCopies(ctx: RunbookContext, primary: PrimaryStackOutputs): Promise<RecoveryPoint[]> {
  const { ports, env } = ctx;
  return (
    await ports.backups.listRecoveryPoints({
      region: env.dr.region,
      vault: env.dr.vault,
      resourceArn: primary.clusterArn,
    })
  )
    .filter((p) => (p.status === "COMPLETED" || p.status === "AVAILABLE") && p.kind === "snapshot")
    .sort((a, b) => b.createdAt - a.createdAt);
}

/** Looks at the world: primary health, the DR stack, recovery points in the DR vault. Changes nothing. */
export async function gatherFailoverFacts(ctx: RunbookContext, req: FailoverRequest): Promise<FailoverFacts> {
  const { ports, env, envName } = ctx;
  const declaredAt = ports.clock.now();
  const primary = readPrimaryOutputs(env.primary.stack, await ports.stacks.outputs(env.primary.stack));
  // Health from two sides: Route 53's checkers (a control-plane read: "unknown" when us-east-1
  // does not answer) and a probe of the workload (data plane).
  let healthy = false;
  const health: string[] = [];
  if (primary.healthCheckId !== undefined) {
    const status = await ports.traffic.healthCheckStatus({ healthCheckId: primary.healthCheckId });
    healthy = status.state === "healthy";
    health.push(`Route 53 checkers: ${status.state}${status.reason === undefined ? "" : ` (${status.reason})`}`);
  }
  if (primary.healthUrl !== undefined) {
    const probe = await ports.health.probe({ url: primary.healthUrl, timeoutMs: 5_000 });
    healthy = healthy || probe.ok;
    health.push(probe.ok ? "workload answers healthy" : `workload: ${probe.reason ?? "unhealthy"}`);
  }
  if (health.length === 0) health.push("no health check configured");
  const drStackExists = await ports.stacks.exists(env.dr.stack);
  // The failover run that made the DR stack: the newest failover that stood it up.
  const failovers = await ctx.runs.list({ kind: "failover", limit: 50 });
  const owner = drStackExists
    ? failovers.find(
        (r) => r.spec["env"] === envName && r.steps.some((s) => s.id === "stand-up-dr" && s.state !== "Pending"),
      )
    : undefined;
  let prepared: PreparedStack | null = null;
  if (
    owner !== undefined &&
    owner.phase === "Completed" &&
    (owner.spec["request"] as JsonObject | undefined)?.["prepare"] === true
  ) {
    const dr = readDrOutputs(env.dr.stack, await ports.stacks.outputs(env.dr.stack));
    const f = owner.spec["facts"] as unknown as FailoverFacts;
    if (!dr.publishedTraffic && f.recoveryPoint !== null) {
      prepared = {
        runId: owner.id,
        declaredAt: f.declaredAt,
        recoveryPoint: f.recoveryPoint.arn,
        recoveryPointAt: f.recoveryPoint.createdAt,
        preparedAt: owner.endedAt ?? owner.createdAt,
      };
    }
  }
  const points = await drCopies(ctx, primary);
  let chosen: RecoveryPoint | undefined;
  if (prepared !== null) chosen = points.find((p) => p.arn === prepared!.recoveryPoint);
  else if (req.recoveryPoint !== null) chosen = points.find((p) => p.arn === req.recoveryPoint);
  else if (req.before !== null) chosen = points.find((p) => p.createdAt < req.before!);
  else chosen = points[0];
  let engineVersion: string | null = null;
  if (chosen !== undefined) {
    // A restore starts at the snapshot's engine version (RDS refuses an earlier one).
    const snap = await ports.databases.describeClusterSnapshot({ region: env.dr.region, id: chosen.arn });
    engineVersion = snap?.engineVersion ?? null;
  }
  const newer =
    prepared !== null && points[0] !== undefined && points[0].createdAt > prepared.recoveryPointAt
      ? points[0]
      : undefined;
  const outageSince = healthy ? null : req.outageSince;
  const failureAt = outageSince ?? declaredAt;
  return {
    env: envName,
    declaredAt,
    failureAt,
    primaryHealthy: healthy,
    primaryHealth: health.join("; "),
    outageSince,
    drStackExists,
    prepared,
    drStackRun: owner?.id ?? null,
    candidates: points.length,
    recoveryPoint:
      chosen === undefined
        ? null
        : { arn: chosen.arn, vault: chosen.vault, region: chosen.region, createdAt: chosen.createdAt, engineVersion },
    newerThanPrepared: newer === undefined ? null : { arn: newer.arn, createdAt: newer.createdAt },
    rpoAgeMs: chosen === undefined ? null : failureAt - chosen.createdAt,
    primary,
  };
}

/**
 * The guards, as a pure decision over the facts: no second DR stack (a prepared one is used);
 * never away from a healthy primary without `--force`; the seeds' policy (under `waitBelow` of
 * outage wait, under `prepareBelow` prepare, beyond fail over; `--critical` skips it); a usable
 * recovery point; its age within the RPO unless `--accept-data-loss`.
 */
export function decideFailover(f: FailoverFacts, req: FailoverRequest, env: EnvironmentConfig): Decision {
  const warnings: string[] = [];
  if (f.drStackExists && (f.prepared === null || req.prepare)) {
    const way =
      f.drStackRun === null
        ? "destroy it after checking what it holds"
        : `resume run ${f.drStackRun}, or abandon it with \`failover --abandon ${f.drStackRun}\``;
    return {
      refusal: new PilotlightError(
        "refused.dr-active",
        `the DR stack ${env.dr.stack} already exists: ${f.env} is failed over, or a failover did not finish`,
        {
          source: "user",
          hint: way,
          details: { stack: env.dr.stack, ...(f.drStackRun === null ? {} : { runId: f.drStackRun }) },
        },
      ),
      warnings,
    };
  }
  if (f.primaryHealthy && !req.force) {
    return {
      refusal: new PilotlightError(
        "refused.primary-healthy",
        `the primary of ${f.env} is healthy (${f.primaryHealth}); refusing to fail over away from it`,
        {
          source: "user",
          hint: "if the data is corrupt, use `restore --to TIME`; to fail over anyway (a planned move), pass --force",
          details: { primaryHealth: f.primaryHealth },
        },
      ),
      warnings,
    };
  }
  if (f.primaryHealthy) warnings.push("the primary answers as healthy: traffic is moved by the gate (--force)");
  if (f.prepared === null && !f.primaryHealthy && !req.force && !req.critical) {
    if (f.outageSince === null) {
      return {
        refusal: new PilotlightError(
          "refused.wait",
          "the outage's start is unknown, so the wait/prepare policy cannot be applied",
          {
            source: "user",
            hint: "pass --outage-since TIME (when the primary stopped answering), or --critical when the business impact requires failing over now",
          },
        ),
        warnings,
      };
    }
    const outage = f.declaredAt - f.outageSince;
    if (outage < env.decision.waitBelow) {
      return {
        refusal: new PilotlightError(
          "refused.wait",
          `the primary has been unhealthy for ${formatDuration(outage)}, less than ${formatDuration(env.decision.waitBelow)}: wait for automatic recovery`,
          {
            source: "user",
            hint: "most outages end by themselves; re-run later, or pass --critical",
            details: { outageMs: outage, advice: "wait" },
          },
        ),
        warnings,
      };
    }
    if (outage < env.decision.prepareBelow && !req.prepare) {
      return {
        refusal: new PilotlightError(
          "refused.wait",
          `the primary has been unhealthy for ${formatDuration(outage)}, less than ${formatDuration(env.decision.prepareBelow)}: prepare, do not fail over yet`,
          {
            source: "user",
            hint: "stage DR now with `failover --prepare` (restores and checks, moves no traffic); fail over after the threshold, or now with --critical",
            details: { outageMs: outage, advice: "prepare" },
          },
        ),
        warnings,
      };
    }
  }
  if (f.recoveryPoint === null) {
    const which =
      f.prepared !== null
        ? `the prepared recovery point ${f.prepared.recoveryPoint} is no longer in ${env.dr.vault}`
        : req.recoveryPoint !== null
          ? `recovery point ${req.recoveryPoint} is not a completed snapshot of the primary in ${env.dr.vault}`
          : req.before !== null
            ? `no completed recovery point in ${env.dr.vault} before ${new Date(req.before).toISOString()}`
            : `no completed recovery point of the primary in ${env.dr.vault} (${env.dr.region})`;
    return {
      refusal: new PilotlightError("refused.no-recovery-point", which, {
        source: "user",
        hint: "check the copy jobs (`drill run posture`) and the DR vault name in the configuration",
        details: { vault: env.dr.vault, candidates: f.candidates },
      }),
      warnings,
    };
  }
  if (f.newerThanPrepared !== null) {
    warnings.push(
      `a recovery point newer than the prepared one exists (${new Date(f.newerThanPrepared.createdAt).toISOString()}); to use it, abandon the prepared run (\`failover --abandon ${f.prepared!.runId}\`) and fail over again`,
    );
  }
  if (f.rpoAgeMs !== null && f.rpoAgeMs > env.objectives.rpo) {
    if (!req.acceptDataLoss) {
      return {
        refusal: new PilotlightError(
          "refused.rpo-breach",
          `the ${f.prepared === null ? "newest usable" : "prepared"} recovery point is ${formatDuration(f.rpoAgeMs)} old, beyond the RPO target of ${formatDuration(env.objectives.rpo)}`,
          {
            source: "user",
            hint: "pass --accept-data-loss to restore it anyway",
            details: { ageMs: f.rpoAgeMs, rpoMs: env.objectives.rpo, recoveryPoint: f.recoveryPoint.arn },
          },
        ),
        warnings,
      };
    }
    warnings.push(
      `accepting data loss: the recovery point is ${formatDuration(f.rpoAgeMs)} old (RPO target ${formatDuration(env.objectives.rpo)})`,
    );
  }
  if (f.primary.trafficGate === undefined && env.dns !== undefined)
    warnings.push(
      "the primary stack has no traffic gate (deploy this version's primary program): traffic cannot be pinned to DR",
    );
  return { warnings };
}

/** The failover plan. Step ids are persisted: never rename them. */
export function planFailover(f: FailoverFacts, req: FailoverRequest, env: EnvironmentConfig): Plan {
  const dns = env.dns !== undefined && f.primary.trafficGate !== undefined && f.primary.drGate !== undefined;
  const report: StepSpec = {
    id: "report",
    title: "Write the report and notify stakeholders",
    dependsOn: [],
    timeoutMs: 10 * MIN,
    cleanup: true,
  };
  const steps: StepSpec[] = [];
  if (f.prepared !== null) {
    steps.push({
      id: "recheck-dr",
      title: `Re-check the DR data prepared by ${f.prepared.runId} (restored from ${f.prepared.recoveryPoint})`,
      dependsOn: [],
      timeoutMs: 30 * MIN,
    });
  } else {
    // DR's gate check holds its last status and is healthy before it ever had data: closing it
    // first keeps clients off the DR workload until its data passed the checks (publish-dr).
    if (dns)
      steps.push({
        id: "close-dr",
        title: "Close DR's gate: no client reaches DR before its data passed the checks",
        dependsOn: [],
        timeoutMs: 15 * MIN,
      });
    steps.push(
      {
        id: "stand-up-dr",
        title: `Stand the DR stack up in ${env.dr.region}, restoring ${f.recoveryPoint?.arn ?? "?"}`,
        dependsOn: dns ? ["close-dr"] : [],
        timeoutMs: 4 * HOUR,
      },
      {
        id: "check-data",
        title: "Check the restored data and measure RPO from it",
        dependsOn: ["stand-up-dr"],
        timeoutMs: HOUR,
      },
    );
  }
  const checked = f.prepared !== null ? "recheck-dr" : "check-data";
  if (!req.prepare) {
    steps.push(
      {
        id: "pin-dr",
        title: dns
          ? "Pin traffic to DR: the primary's gate set (a data-plane call in the DR region)"
          : "Pin traffic (no DNS configured: skipped)",
        dependsOn: [checked],
        timeoutMs: 15 * MIN,
      },
      {
        id: "publish-dr",
        title: dns
          ? "Publish DR: its record may answer now that its data passed the checks"
          : "Publish DR (no DNS configured: skipped)",
        dependsOn: ["pin-dr"],
        timeoutMs: 15 * MIN,
      },
      {
        id: "switch-traffic",
        title: dns ? `Wait for ${env.dns!.name} to answer DR` : "Switch traffic (no DNS configured: skipped)",
        dependsOn: ["publish-dr"],
        timeoutMs: 30 * MIN,
      },
      {
        id: "verify-workload",
        title: "Verify the workload end to end (health, read/write)",
        dependsOn: ["switch-traffic"],
        timeoutMs: 30 * MIN,
      },
    );
  }
  report.dependsOn = [steps[steps.length - 1]!.id];
  return { steps: [...steps, report] };
}

const factsOf = (ctx: StepContext) => ctx.facts<FailoverFacts>();
const requestOf = (spec: JsonObject) => spec["request"] as unknown as FailoverRequest;

/** Executes the failover plan's steps through the ports. */
export function failoverHandlers(rc: RunbookContext): StepHandlers {
  const { ports, env, envName } = rc;
  const drDatabase = async () => {
    const dr = readDrOutputs(env.dr.stack, await ports.stacks.outputs(env.dr.stack));
    return { region: env.dr.region, clusterArn: dr.clusterArn, secretArn: dr.masterSecretArn };
  };
  const dnsOf = (f: FailoverFacts) => ({
    zoneId: env.dns!.zoneId,
    name: env.dns!.name,
    nameServers: f.primary.nameServers ?? [],
  });
  const checkRestored = async (ctx: StepContext, f: FailoverFacts): Promise<JsonObject> => {
    const at = await drDatabase();
    const sql = await openDatabase(ports, at, env, { enable: true });
    try {
      const summary = await summarizeData(sql, env.validation, { asOf: f.failureAt });
      if (summary.newestHeartbeatAt !== undefined)
        await ctx.measure("rpoDataMs", Math.max(0, f.failureAt - summary.newestHeartbeatAt));
      ctx.progress(
        `restored data: ${summary.tables.map((t) => `${t.name} ${t.rows} rows`).join(", ")}`,
        summaryJson(summary),
      );
      if (summary.problems.length > 0) {
        throw new PilotlightError(
          "validation.failed",
          `the restored data has problems: ${summary.problems.join("; ")}`,
          { source: "system", details: { problems: summary.problems } },
        );
      }
      // With a manifest recorded on the primary before the recovery point, prove the content:
      // rows changed between the manifest and the recovery point are drift, the rest must match.
      const recorded = await ports.manifests?.latestManifest(envName, f.recoveryPoint!.createdAt);
      if (recorded === undefined)
        return {
          ...summaryJson(summary),
          manifest: null,
          evidence: "content not proven: no manifest recorded before the recovery point",
        };
      const result = await ctx.clock.track(
        ports.validator.validate({
          open: async () => openDatabase(ports, at, env, { enable: true }),
          expect: {
            kind: "manifest",
            manifest: recorded.manifest as unknown as RecordedManifest,
            watermark: recorded.recordedAt,
          },
          validation: env.validation,
          now: () => ctx.clock.now(),
          asOf: f.failureAt,
        }),
      );
      ctx.progress(
        `validation against the manifest of ${new Date(recorded.recordedAt).toISOString()}: ${result.summary}`,
      );
      if (!result.ok)
        throw new PilotlightError(
          "validation.failed",
          `the restored data differs from the primary's manifest: ${result.summary}`,
          { source: "system", details: { summary: result.summary } },
        );
      return { ...summaryJson(summary), manifest: recorded.recordedAt, validation: result.summary };
    } finally {
      await sql.close();
    }
  };
  return {
    "stand-up-dr": async (ctx) => {
      const f = factsOf(ctx);
      const change = drChange(envName, env, {
        restoreSnapshot: f.recoveryPoint!.arn,
        kmsKeyArn: f.primary.drKmsKeyArn,
        ...(f.recoveryPoint!.engineVersion === null ? {} : { engineVersion: f.recoveryPoint!.engineVersion }),
      });
      const outputs = await upStack(ctx, ports, env.dr.stack, env.dr.region, change);
      await ctx.measure("rpoMs", f.failureAt - f.recoveryPoint!.createdAt);
      return { outputs };
    },
    "close-dr": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (f.primary.drGate === undefined) return { skipped: "no DNS configured" };
      return setGate(ctx, ports, f.primary.drGate, 1);
    },
    "check-data": async (ctx) => checkRestored(ctx, factsOf(ctx)),
    "recheck-dr": async (ctx) => {
      const f = factsOf(ctx);
      await ctx.measure("rpoMs", f.failureAt - f.recoveryPoint!.createdAt);
      return checkRestored(ctx, f);
    },
    "pin-dr": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (env.dns === undefined || f.primary.trafficGate === undefined) return { skipped: "no DNS configured" };
      // The primary is unhealthy for Route 53 while the gate is set: a primary that comes back
      // (its region recovering) does not take traffic back before failback copied DR's writes home.
      return setGate(ctx, ports, f.primary.trafficGate, 1);
    },
    "publish-dr": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (env.dns === undefined || f.primary.drGate === undefined) return { skipped: "no DNS configured" };
      const out = await setGate(ctx, ports, f.primary.drGate, 0);
      await ctx.measure("publishedAt", ctx.clock.now() - f.declaredAt);
      return out;
    },
    "switch-traffic": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (env.dns === undefined || f.primary.drHealthUrl === undefined) return { skipped: "no DNS configured" };
      const started = ctx.clock.now();
      await waitForDns(ctx, ports, dnsOf(f), hostOf(f.primary.drHealthUrl), 20 * MIN);
      await ctx.measure("phase.dnsMs", ctx.clock.now() - started);
      return { host: hostOf(f.primary.drHealthUrl), switchedAt: ctx.clock.now() };
    },
    "verify-workload": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      const url = f.primary.drHealthUrl;
      if (url === undefined) return { skipped: "no workload" };
      await waitForHealthy(ctx, ports, url, 20 * MIN);
      // Achieved RTO: declaration → traffic served from DR and the workload healthy (aws.md).
      const now = ctx.clock.now();
      await ctx.measure("rtoMs", now - f.declaredAt);
      if (f.outageSince !== null) await ctx.measure("downtimeMs", now - f.outageSince);
      if (f.prepared !== null) await ctx.measure("rtoWithPrepareMs", now - f.prepared.declaredAt);
      return { healthUrl: url, healthyAt: now };
    },
    report: reportStep(
      ports,
      env,
      (run) =>
        requestOf(run.spec).prepare
          ? `Failover of ${envName} prepared in ${env.dr.region}`
          : `Failover of ${envName} to ${env.dr.region}`,
      (run) => {
        const req = requestOf(run.spec);
        if (req.prepare) {
          return run.steps.find((s) => s.id === "check-data")?.state === "Succeeded"
            ? `DR is restored and checked in ${env.dr.region}; no traffic moved. Fail over with \`failover --env ${envName}\`, or abandon with \`failover --abandon ${run.id}\`.`
            : `DR is NOT prepared; abandon with \`failover --abandon ${run.id}\`.`;
        }
        return run.steps.find((s) => s.id === "verify-workload")?.state === "Succeeded"
          ? `The workload is now served from ${env.dr.region}; fail back with \`failback --env ${envName}\` once ${env.primary.region} is stable.`
          : `The workload is NOT confirmed in ${env.dr.region}: resume with \`resume ${run.id}\`, or abandon with \`failover --abandon ${run.id}\`.`;
      },
    ),
  };
}

/** The failover runbook. */
export const failoverRunbook: Runbook<FailoverRequest, FailoverFacts> = {
  kind: "failover",
  request: failoverRequest,
  gather: gatherFailoverFacts,
  decide: decideFailover,
  plan: planFailover,
  handlers: failoverHandlers,
  confirm: (f, req, ctx) => {
    const now = f.declaredAt;
    const point =
      f.recoveryPoint === null
        ? "no recovery point"
        : `recovery point of ${describeTime(f.recoveryPoint.createdAt, now)}`;
    return req.prepare
      ? `Prepare ${ctx.envName}: restore the ${point} into ${ctx.env.dr.region} and check it (no traffic moves)?`
      : `Fail ${ctx.envName} over to ${ctx.env.dr.region} using the ${point}${f.prepared === null ? "" : " (prepared)"}? Primary: ${f.primaryHealth}.`;
  },
};
