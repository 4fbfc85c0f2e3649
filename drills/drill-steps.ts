import { readDrOutputs, readPrimaryOutputs } from "../infra/contract";
import { MANAGED_BY } from "../automation/domain/tag-guard";
import type { EnvironmentConfig } from "../automation/config/schema";
import { PilotlightError } from "../automation/domain/errors";
import type { JsonObject } from "../automation/domain/json";
import type { StepContext } from "../automation/engine/step-context";
import { destroyStack, openDatabase, remaining } from "../automation/runbooks/actions";
import { summarizeData } from "../automation/runbooks/data-checks";
import type { RunbookPorts } from "../automation/ports/runbook-ports";
import type { RunbookContext } from "../automation/runbooks/runbook";
import type { RecordedManifest } from "../automation/ports/validator";

/** The recovery point a drill restores. */
export interface DrillRecoveryPoint {
  arn: string;
  vault: string;
  createdAt: number;
  engineVersion: string | null;
}

/** What every drill that restores knows before it starts. */
export interface DrillFacts {
  env: string;
  declaredAt: number;
  recoveryPoint: DrillRecoveryPoint | null;
  drKmsKeyArn: string;
  primaryKmsKeyArn: string;
  ttlMs: number;
  /** The DR stack file's keys: a drill stack uses the same workload and engine as production. */
  drFile: Record<string, string>;
}

/** The newest DR copy, its engine version, the pilot light's keys and the DR stack file. */
export async function gatherDrillFacts(ctx: RunbookContext): Promise<DrillFacts> {
  const { ports, env, envName } = ctx;
  const primary = readPrimaryOutputs(env.primary.stack, await ports.stacks.outputs(env.primary.stack));
  const point = await newestDrCopy(ports, env, primary.clusterArn);
  return {
    env: envName,
    declaredAt: ports.clock.now(),
    recoveryPoint: point,
    drKmsKeyArn: primary.drKmsKeyArn,
    primaryKmsKeyArn: primary.primaryKmsKeyArn,
    ttlMs: env.drills.ttl,
    drFile: await ports.stacks.fileConfig(env.dr.stack),
  };
}

/** A drill needs a recovery point in the DR vault; none is itself the finding. */
export function noRecoveryPoint(env: EnvironmentConfig): PilotlightError {
  return new PilotlightError(
    "refused.no-recovery-point",
    `no completed recovery point in ${env.dr.vault} (${env.dr.region}): nothing to drill`,
    { source: "user", hint: "check the copy jobs with `pilotlight drill run posture`" },
  );
}

/** A drill stack: named after its run (and a label for a run's second stack), so leftovers can be traced and swept. */
export function drillStackName(runId: string, label?: string): string {
  const base = `drill-${runId.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`.slice(0, 80);
  return label === undefined ? base : `${base}-${label}`;
}

/** The newest completed copy in the DR vault — so the cross-region copy is tested too. */
export async function newestDrCopy(
  ports: RunbookPorts,
  env: EnvironmentConfig,
  clusterArn: string,
): Promise<DrillRecoveryPoint | null> {
  const points = (
    await ports.backups.listRecoveryPoints({ region: env.dr.region, vault: env.dr.vault, resourceArn: clusterArn })
  )
    .filter((p) => (p.status === "COMPLETED" || p.status === "AVAILABLE") && p.kind === "snapshot")
    .sort((a, b) => b.createdAt - a.createdAt);
  const p = points[0];
  if (p === undefined) return null;
  const snap = await ports.databases.describeClusterSnapshot({ region: env.dr.region, id: p.arn });
  return { arn: p.arn, vault: p.vault, createdAt: p.createdAt, engineVersion: snap?.engineVersion ?? null };
}

/** Where a drill stack's database is (its outputs, checked by the contract). */
export async function drillDatabase(
  ports: RunbookPorts,
  stack: string,
  region: string,
): Promise<{ region: string; clusterArn: string; secretArn: string; clusterIdentifier: string; healthUrl?: string }> {
  const out = readDrOutputs(stack, await ports.stacks.outputs(stack));
  return {
    region,
    clusterArn: out.clusterArn,
    secretArn: out.masterSecretArn,
    clusterIdentifier: out.clusterIdentifier,
    ...(out.healthUrl === undefined ? {} : { healthUrl: out.healthUrl }),
  };
}

/**
 * Proves a drill's restored data intact and fresh: the configured checks and freshness (the
 * heartbeat gives the RPO measured from the data), then — when a manifest was recorded on the
 * primary before the recovery point — chunked checksums against it, mismatches localised to
 * tables and key ranges. Throws `validation.failed` with that localisation.
 */
export async function validateDrillData(
  ctx: StepContext,
  ports: RunbookPorts,
  envName: string,
  env: EnvironmentConfig,
  at: { region: string; clusterArn: string; secretArn: string },
  point: DrillRecoveryPoint,
  declaredAt: number,
): Promise<JsonObject> {
  // A restored cluster comes up with the Data API off: openDatabase turns it on (and checks it).
  const open = async () => openDatabase(ports, at, env, { enable: true });
  const sql = await open();
  try {
    const quick = await summarizeData(sql, env.validation, { asOf: point.createdAt });
    if (quick.newestHeartbeatAt !== undefined) await ctx.measure("rpoDataMs", declaredAt - quick.newestHeartbeatAt);
    const recorded = await ports.manifests?.latestManifest(envName, point.createdAt);
    let summary = `${quick.tables.map((t) => `${t.name} ${t.rows} rows`).join(", ")}`;
    if (recorded !== undefined) {
      const result = await ctx.clock.track(
        ports.validator.validate({
          open,
          expect: {
            kind: "manifest",
            manifest: recorded.manifest as unknown as RecordedManifest,
            watermark: recorded.recordedAt,
          },
          validation: env.validation,
          now: () => ctx.clock.now(),
        }),
      );
      summary = result.summary;
      if (!result.ok)
        throw new PilotlightError(
          "validation.failed",
          `the drill's restored data differs from the primary's manifest: ${result.summary}`,
          { source: "system", details: { summary: result.summary } },
        );
    }
    if (quick.problems.length > 0)
      throw new PilotlightError(
        "validation.failed",
        `the drill's restored data has problems: ${quick.problems.join("; ")}`,
        { source: "system", details: { problems: quick.problems } },
      );
    ctx.progress(`drill data: ${summary}`);
    return {
      summary,
      manifest: recorded?.recordedAt ?? null,
      ...(recorded === undefined
        ? { evidence: "content not proven: no manifest recorded before the recovery point" }
        : {}),
    };
  } finally {
    await sql.close();
  }
}

/**
 * Destroys a drill stack and removes it, then deletes clusters of `region` tagged with this run
 * that the stack's state does not know (a create an interrupted `up` had started — a pending
 * create), so nothing keeps billing.
 */
export async function destroyDrillStack(
  ctx: StepContext,
  ports: RunbookPorts,
  stack: string,
  region: string,
): Promise<JsonObject> {
  await destroyStack(ctx, ports, stack, region, { preserveConfig: false });
  const strays = (await ports.databases.listClusters({ region })).filter(
    (c) =>
      c.tags[MANAGED_BY] === "pilotlight" &&
      c.tags["pilotlight:run-id"] === ctx.runId &&
      c.status !== "deleted" &&
      c.status !== "deleting",
  );
  for (const c of strays)
    await ports.databases.deleteCluster({ region, id: c.id, maxWaitMs: remaining(ctx), signal: ctx.signal });
  return { destroyed: stack, strayClusters: strays.map((c) => c.id) };
}
