import { fenceStatements } from "../adapters/fencing-sql";
import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import type { Plan } from "../domain/plan";
import type { StepContext, StepHandlers } from "../engine/step-context";
import { copySnapshot, hostOf, openDatabase, runSnapshotId, snapshotCluster, upStack, waitForDns, waitForHealthy } from "./actions";
import { summarizeData } from "./data-checks";
import type { RunbookPorts } from "./ports";
import { reportStep } from "./report-step";
import { primaryStackConfig } from "./stack-config";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Facts a failback acts on. */
export interface FailbackFacts extends JsonObject {
  env: string;
  declaredAt: number;
  drStackExists: boolean;
  drOutputs: JsonObject;
  primaryOutputs: JsonObject;
  nextGeneration: number;
  primaryRegionReachable: boolean;
  primaryRegionProblem: string | null;
}

/** Looks at both stacks and whether the primary region answers. Changes nothing. */
export async function gatherFailbackFacts(ports: RunbookPorts, envName: string, env: EnvironmentConfig): Promise<FailbackFacts> {
  const drStackExists = await ports.stacks.exists(env.dr.stack);
  const drOutputs = drStackExists ? await ports.stacks.outputs(env.dr.stack) : {};
  const primaryOutputs = await ports.stacks.outputs(env.primary.stack);
  let reachable = true;
  let problem: string | null = null;
  try {
    await ports.databases.describeCluster({ region: env.primary.region, id: String(primaryOutputs["clusterIdentifier"] ?? "") });
  } catch (error) {
    reachable = false;
    problem = error instanceof Error ? error.message : String(error);
  }
  return {
    env: envName,
    declaredAt: ports.clock.now(),
    drStackExists: drStackExists && drOutputs["clusterArn"] !== undefined,
    drOutputs,
    primaryOutputs,
    nextGeneration: Number(primaryOutputs["databaseGeneration"] ?? 1) + 1,
    primaryRegionReachable: reachable,
    primaryRegionProblem: problem,
  };
}

/** Guards: a DR stack that serves, and a primary region that answers. */
export function decideFailback(f: FailbackFacts, env: EnvironmentConfig): { refusal?: PilotlightError; warnings: string[] } {
  if (!f.drStackExists) {
    return { refusal: new PilotlightError("refused.not-failed-over", `there is no DR stack ${env.dr.stack} serving ${f.env}: nothing to fail back`, { source: "user", hint: "see `pilotlight status`" }), warnings: [] };
  }
  if (!f.primaryRegionReachable) {
    return { refusal: new PilotlightError("refused.primary-unavailable", `the primary region ${env.primary.region} does not answer yet: ${f.primaryRegionProblem ?? ""}`, { source: "user", hint: "fail back once the primary region is stable" }), warnings: [] };
  }
  return { warnings: [] };
}

/** The failback plan. Step ids are persisted: never rename them. */
export function planFailback(f: FailbackFacts, env: EnvironmentConfig): Plan {
  return {
    steps: [
      { id: "pin-dr", title: "Pin traffic to DR (invert the primary's health check) so nothing fails back by itself", dependsOn: [], timeoutMs: 10 * MIN },
      { id: "fence-dr", title: `Fence writes on the DR database (${String(f.drOutputs["clusterIdentifier"])})`, dependsOn: ["pin-dr"], timeoutMs: 10 * MIN },
      { id: "snapshot-dr", title: "Snapshot the fenced DR cluster", dependsOn: ["fence-dr"], timeoutMs: 2 * HOUR },
      { id: "copy-home", title: `Copy the snapshot to ${env.primary.region} with the primary key`, dependsOn: ["snapshot-dr"], timeoutMs: 4 * HOUR },
      { id: "restore-primary", title: `Restore the primary as generation ${f.nextGeneration} (the old cluster is kept)`, dependsOn: ["copy-home"], timeoutMs: 4 * HOUR },
      { id: "unfence-primary", title: "Lift the fence the snapshot carried", dependsOn: ["restore-primary"], timeoutMs: 10 * MIN },
      { id: "check-data", title: "Compare the restored primary with the fenced DR data", dependsOn: ["unfence-primary"], timeoutMs: 30 * MIN },
      { id: "switch-back", title: env.dns === undefined ? "Switch traffic back (no DNS configured: skipped)" : `Switch ${env.dns.name} back to ${env.primary.region}`, dependsOn: ["check-data"], timeoutMs: 30 * MIN },
      { id: "verify-primary", title: "Verify the workload in the primary region", dependsOn: ["switch-back"], timeoutMs: 30 * MIN },
      // Not critical: it runs only once traffic is home and the data compared equal, so its failure
      // (a cluster the tag guard refuses, a failed destroy) leaves the goal reached and the run
      // PartiallyFailed — resumable to retry the teardown — never Failed.
      {
        id: "teardown-dr",
        title:
          `Destroy the DR stack (keeping Pulumi.${env.dr.stack}.yaml) and delete its cluster with a final snapshot`,
        dependsOn: ["verify-primary"],
        timeoutMs: 2 * HOUR,
        critical: false,
      },
      { id: "unfence-dr-unless-home", title: "If traffic never came home, lift the DR fence so the workload keeps serving", dependsOn: ["teardown-dr"], timeoutMs: 10 * MIN, cleanup: true },
      { id: "report", title: "Write the report and notify stakeholders", dependsOn: ["unfence-dr-unless-home"], timeoutMs: 10 * MIN, cleanup: true },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.spec["facts"] as FailbackFacts;

async function runSql(ports: RunbookPorts, region: string, outputs: JsonObject, env: EnvironmentConfig, statements: string[]): Promise<void> {
  const sql = await openDatabase(ports, region, outputs, env);
  try {
    for (const s of statements) await sql.query(s);
  } finally {
    await sql.close();
  }
}

/** Executes the failback plan's steps through the ports. */
export function failbackHandlers(ports: RunbookPorts, envName: string, env: EnvironmentConfig): StepHandlers {
  const snapshotId = (ctx: StepContext) => runSnapshotId("pl-failback", ctx.runId);
  const restoredOutputs = (ctx: StepContext) => (ctx.outputOf("restore-primary") as JsonObject)["outputs"] as JsonObject;
  return {
    "pin-dr": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (env.dns === undefined || f.primaryOutputs["healthCheckId"] === undefined) return { skipped: "no DNS configured" };
      // Until the data is home and checked, Route 53 must keep answering DR even though the
      // primary region answers again.
      const change = await ports.traffic.forceFailover({ healthCheckId: String(f.primaryOutputs["healthCheckId"]) });
      return { changeId: change.changeId };
    },
    "fence-dr": async (ctx) => {
      await runSql(ports, env.dr.region, factsOf(ctx).drOutputs, env, fenceStatements(true));
      return { fenced: String(factsOf(ctx).drOutputs["clusterIdentifier"]) };
    },
    "snapshot-dr": async (ctx) =>
      snapshotCluster(ctx, ports, { region: env.dr.region, clusterId: String(factsOf(ctx).drOutputs["clusterIdentifier"]), snapshotId: snapshotId(ctx), tags: { "managed-by": "pilotlight", "pilotlight:run-id": ctx.runId } }),
    "copy-home": async (ctx) =>
      copySnapshot(ctx, ports, {
        sourceArn: String((ctx.outputOf("snapshot-dr") as JsonObject)["arn"]),
        targetRegion: env.primary.region,
        targetId: snapshotId(ctx),
        kmsKeyId: String(factsOf(ctx).primaryOutputs["primaryKmsKeyArn"]),
        tags: { "managed-by": "pilotlight", "pilotlight:run-id": ctx.runId },
      }),
    "restore-primary": async (ctx) => {
      const f = factsOf(ctx);
      const arn = String((ctx.outputOf("copy-home") as JsonObject)["arn"]);
      const outputs = await upStack(ctx, ports, env.primary.stack, env.primary.region, primaryStackConfig(envName, env, { generation: f.nextGeneration, snapshotArn: arn }));
      // The previous generation stays in AWS (retainOnDelete): mark it, never delete it here.
      const previous = String(f.primaryOutputs["clusterIdentifier"]);
      if (previous !== String(outputs["clusterIdentifier"])) {
        try {
          await ports.databases.tagCluster({ region: env.primary.region, id: previous, tags: { "pilotlight:retired-by": ctx.runId } });
        } catch (error) {
          ctx.progress(`could not tag the previous cluster ${previous}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      return { outputs };
    },
    "unfence-primary": async (ctx) => {
      await runSql(ports, env.primary.region, restoredOutputs(ctx), env, fenceStatements(false));
    },
    "check-data": async (ctx) => {
      const f = factsOf(ctx);
      // The fenced DR database is the reference: every chunk must match, differences are
      // localised to keys (only keys and row hashes cross the network).
      const result = await ctx.clock.track(
        ports.validator.validate({
          open: async () => openDatabase(ports, env.primary.region, restoredOutputs(ctx), env),
          expect: { kind: "live", open: async () => openDatabase(ports, env.dr.region, f.drOutputs, env) },
          validation: env.validation,
          now: () => ctx.clock.now(),
        }),
      );
      const dr = await openDatabase(ports, env.dr.region, f.drOutputs, env);
      try {
        const expected = await summarizeData(dr, env.validation);
        if (expected.newestHeartbeatAt !== undefined && result.newestHeartbeatAt !== undefined) await ctx.measure("rpoDataMs", expected.newestHeartbeatAt - result.newestHeartbeatAt);
      } finally {
        await dr.close();
      }
      await ctx.measure("rpoMs", 0);
      if (!result.ok) throw new PilotlightError("validation.failed", `the restored primary differs from the fenced DR data: ${result.summary}`, { source: "system", details: { summary: result.summary } });
      return { summary: result.summary, tables: result.tables.length };
    },
    "switch-back": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (env.dns === undefined || f.primaryOutputs["healthCheckId"] === undefined) return { skipped: "no DNS configured" };
      const started = ctx.clock.now();
      const out = restoredOutputs(ctx);
      await ports.traffic.restorePrimary({ healthCheckId: String(f.primaryOutputs["healthCheckId"]) });
      await waitForDns(ctx, ports, env, hostOf(out["healthUrl"]), 20 * MIN);
      await ctx.measure("phase.dnsMs", ctx.clock.now() - started);
      return { host: hostOf(out["healthUrl"]) };
    },
    "verify-primary": async (ctx) => {
      await waitForHealthy(ctx, ports, String(restoredOutputs(ctx)["healthUrl"]), 20 * MIN);
      await ctx.measure("rtoMs", ctx.clock.now() - factsOf(ctx).declaredAt);
    },
    "teardown-dr": async (ctx) => {
      const f = factsOf(ctx);
      if (ctx.external === undefined) await ctx.recordExternal({ kind: "stack-destroy", id: env.dr.stack, region: env.dr.region });
      await ports.stacks.destroy(env.dr.stack, { signal: ctx.signal, deadline: ctx.deadline, remove: true });
      // The production DR cluster is retained by Pulumi; it goes only with a final snapshot.
      const id = String(f.drOutputs["clusterIdentifier"]);
      if ((await ports.databases.describeCluster({ region: env.dr.region, id })) !== undefined) {
        await ports.databases.deleteCluster({ region: env.dr.region, id, finalSnapshotId: `${id}-final-${ctx.runId.slice(-6)}`, disableProtection: true });
      }
      return { destroyed: env.dr.stack, deletedCluster: id };
    },
    "unfence-dr-unless-home": async (ctx): Promise<JsonObject> => {
      const run = ctx.run();
      const state = (id: string) => run.steps.find((s) => s.id === id)?.state;
      if (state("switch-back") === "Succeeded" || state("fence-dr") !== "Succeeded") return { action: "none" };
      // Compensation: traffic is still on DR, which must keep accepting writes.
      await runSql(ports, env.dr.region, factsOf(ctx).drOutputs, env, fenceStatements(false));
      return { action: "unfenced DR" };
    },
    report: reportStep(ports, env, `Failback of ${envName} to ${env.primary.region}`, (run) =>
      run.phase === "Completed"
        ? `The workload is home in ${env.primary.region}; the DR stack is destroyed.`
        : run.steps.find((s) => s.id === "switch-back")?.state === "Succeeded"
          ? `The workload is home in ${env.primary.region}; the DR stack was not torn down (see teardown-dr): ` +
            "resume the run to retry it."
          : `Traffic may still be on ${env.dr.region}; DR writes were re-enabled if it was.`,
    ),
  };
}
