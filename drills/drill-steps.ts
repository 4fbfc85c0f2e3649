import { MANAGED_BY } from "../automation/adapters/tag-guard";
import type { EnvironmentConfig } from "../automation/config/schema";
import { PilotlightError } from "../automation/domain/errors";
import type { JsonObject } from "../automation/domain/json";
import type { StepContext } from "../automation/engine/step-context";
import { openDatabase } from "../automation/runbooks/actions";
import { summarizeData } from "../automation/runbooks/data-checks";
import type { RunbookPorts } from "../automation/runbooks/ports";
import type { RecordedManifest } from "../automation/ports/validator";

/** The recovery point a drill restores. */
export interface DrillRecoveryPoint extends JsonObject {
  arn: string;
  vault: string;
  createdAt: number;
}

/** What every drill that restores knows before it starts. */
export interface DrillFacts extends JsonObject {
  env: string;
  declaredAt: number;
  recoveryPoint: DrillRecoveryPoint | null;
  drKmsKeyArn: string;
  ttlMs: number;
}

/** The newest DR copy and the pilot light's key; also returns the primary's outputs for more. */
export async function gatherDrillFacts(ports: RunbookPorts, envName: string, env: EnvironmentConfig): Promise<{ facts: DrillFacts; primary: JsonObject }> {
  const primary = await ports.stacks.outputs(env.primary.stack);
  const facts: DrillFacts = { env: envName, declaredAt: ports.clock.now(), recoveryPoint: await newestDrCopy(ports, env, primary), drKmsKeyArn: String(primary["drKmsKeyArn"] ?? ""), ttlMs: env.drills.ttl };
  return { facts, primary };
}

/** A drill needs a recovery point in the DR vault; none is itself the finding. */
export function noRecoveryPoint(env: EnvironmentConfig): PilotlightError {
  return new PilotlightError("refused.no-recovery-point", `no completed recovery point in ${env.dr.vault} (${env.dr.region}): nothing to drill`, { source: "user", hint: "check the copy jobs with `pilotlight drill run posture`" });
}

/** A drill stack: named after its run (and a label for a run's second stack), so leftovers can be traced and swept. */
export function drillStackName(runId: string, label?: string): string {
  const base = `drill-${runId.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 80);
  return label === undefined ? base : `${base}-${label}`;
}

/** The newest completed copy in the DR vault — so the cross-region copy is tested too. */
export async function newestDrCopy(ports: RunbookPorts, env: EnvironmentConfig, primaryOutputs: JsonObject): Promise<DrillRecoveryPoint | null> {
  const points = (await ports.backups.listRecoveryPoints({ region: env.dr.region, vault: env.dr.vault, ...(primaryOutputs["clusterArn"] === undefined ? {} : { resourceArn: String(primaryOutputs["clusterArn"]) }) }))
    .filter((p) => p.status === "COMPLETED" && p.kind === "snapshot")
    .sort((a, b) => b.createdAt - a.createdAt);
  const p = points[0];
  return p === undefined ? null : { arn: p.arn, vault: p.vault, createdAt: p.createdAt };
}

/**
 * Proves a drill's restored data intact and fresh: the configured checks and freshness (the
 * heartbeat gives the RPO measured from the data), then — when a manifest was recorded on the
 * primary before the recovery point — chunked checksums against it, mismatches localised to
 * tables and key ranges. Throws `validation.failed` with that localisation.
 */
export async function validateDrillData(ctx: StepContext, ports: RunbookPorts, envName: string, env: EnvironmentConfig, at: { region: string; outputs: JsonObject }, point: DrillRecoveryPoint, declaredAt: number): Promise<JsonObject> {
  const open = async () => openDatabase(ports, at.region, at.outputs, env);
  const sql = await open();
  try {
    const quick = await summarizeData(sql, env.validation, { asOf: point.createdAt });
    if (quick.newestHeartbeatAt !== undefined) await ctx.measure("rpoDataMs", declaredAt - quick.newestHeartbeatAt);
    const recorded = await ports.manifests?.latestManifest(envName, point.createdAt);
    let summary = `${quick.tables.map((t) => `${t.name} ${t.rows} rows`).join(", ")}`;
    if (recorded !== undefined) {
      const result = await ctx.clock.track(
        ports.validator.validate({ open, expect: { kind: "manifest", manifest: recorded.manifest as unknown as RecordedManifest, watermark: recorded.recordedAt }, validation: env.validation, now: () => ctx.clock.now() }),
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
}

/**
 * Destroys a drill stack and removes it, then deletes clusters of `region` tagged with this run
 * that the stack's state does not know (a create an interrupted `up` had started — a pending
 * create), so nothing keeps billing.
 */
export async function destroyDrillStack(ctx: StepContext, ports: RunbookPorts, stack: string, region: string): Promise<JsonObject> {
  if (ctx.external === undefined) await ctx.recordExternal({ kind: "stack-destroy", id: stack, region });
  await ports.stacks.destroy(stack, { signal: ctx.signal, deadline: ctx.deadline, remove: true, preserveConfig: false });
  const strays = (await ports.databases.listClusters({ region })).filter((c) => c.tags[MANAGED_BY] === "pilotlight" && c.tags["pilotlight:run-id"] === ctx.runId && c.status !== "deleted");
  for (const c of strays) await ports.databases.deleteCluster({ region, id: c.id, disableProtection: true });
  return { destroyed: stack, strayClusters: strays.map((c) => c.id) };
}
