import { readDrOutputs, readPrimaryOutputs, type DrStackOutputs, type PrimaryStackOutputs } from "../../infra/contract";
import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import type { Plan } from "../domain/plan";
import type { StepContext, StepHandlers } from "../engine/step-context";
import type { SqlClient } from "../ports/sql";
import {
  copySnapshot,
  destroyStack,
  hostOf,
  openDatabase,
  runSnapshotId,
  setGate,
  snapshotCluster,
  upStack,
  waitForDns,
  waitForHealthy,
  type DatabaseAt,
} from "./actions";
import { summarizeData, writesAfter, type WritesAfter } from "./data-checks";
import { fence, isFenced, unfence } from "./fencing";
import { reportStep } from "./report-step";
import type { Decision, Runbook, RunbookContext } from "./runbook";
import { drChange, primaryChange } from "./stack-config";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** What the operator asked for. */
export interface FailbackRequest {
  /** Fail back although the old primary accepted writes after the failover (they are reported). */
  acceptStrandedWrites: boolean;
}

/** Facts a failback acts on. */
export interface FailbackFacts {
  env: string;
  declaredAt: number;
  drStackExists: boolean;
  dr: DrStackOutputs | null;
  primary: PrimaryStackOutputs;
  nextGeneration: number;
  primaryRegionReachable: boolean;
  primaryRegionProblem: string | null;
  /** When traffic left the old primary (the failover's publish), if a failover run says so. */
  failedOverAt: number | null;
  failoverRun: string | null;
  /** Writes the old primary accepted after traffic left it: stranded unless reported and accepted. */
  stranded: WritesAfter | null;
  strandedProblem: string | null;
}

/** Looks at both stacks, the primary region, and what the old primary accepted since the failover. */
export async function gatherFailbackFacts(ctx: RunbookContext, _req: FailbackRequest): Promise<FailbackFacts> {
  const { ports, env, envName } = ctx;
  const drStackExists = await ports.stacks.exists(env.dr.stack);
  const rawDr = drStackExists ? await ports.stacks.outputs(env.dr.stack) : {};
  const dr = drStackExists && rawDr["clusterArn"] !== undefined ? readDrOutputs(env.dr.stack, rawDr) : null;
  const primary = readPrimaryOutputs(env.primary.stack, await ports.stacks.outputs(env.primary.stack));
  let reachable = true;
  let problem: string | null = null;
  try {
    await ports.databases.describeCluster({ region: env.primary.region, id: primary.clusterIdentifier });
  } catch (error) {
    reachable = false;
    problem = error instanceof Error ? error.message : String(error);
  }
  const failover = (await ctx.runs.list({ kind: "failover", limit: 50 })).find(
    (r) => r.spec["env"] === envName && r.steps.some((s) => s.id === "publish-dr" && s.state === "Succeeded"),
  );
  const failedOverAt = failover?.steps.find((s) => s.id === "publish-dr")?.endedAt ?? null;
  let stranded: WritesAfter | null = null;
  let strandedProblem: string | null = null;
  if (reachable && failedOverAt !== null) {
    try {
      const sql = await openDatabase(
        ports,
        { region: env.primary.region, clusterArn: primary.clusterArn, secretArn: primary.masterSecretArn },
        env,
        { enable: false },
      );
      try {
        stranded = await writesAfter(sql, env.validation, failedOverAt);
      } finally {
        await sql.close();
      }
    } catch (error) {
      strandedProblem = error instanceof Error ? error.message : String(error);
    }
  }
  return {
    env: envName,
    declaredAt: ports.clock.now(),
    drStackExists: dr !== null,
    dr,
    primary,
    nextGeneration: Math.max(primary.databaseGeneration, primary.newestGeneration) + 1,
    primaryRegionReachable: reachable,
    primaryRegionProblem: problem,
    failedOverAt,
    failoverRun: failover?.id ?? null,
    stranded,
    strandedProblem,
  };
}

/** Guards: a DR stack that serves, a primary region that answers, no stranded write unaccepted. */
export function decideFailback(f: FailbackFacts, req: FailbackRequest, env: EnvironmentConfig): Decision {
  if (!f.drStackExists) {
    return {
      refusal: new PilotlightError(
        "refused.not-failed-over",
        `there is no DR stack ${env.dr.stack} serving ${f.env}: nothing to fail back`,
        { source: "user", hint: "see `status`" },
      ),
      warnings: [],
    };
  }
  if (!f.primaryRegionReachable) {
    return {
      refusal: new PilotlightError(
        "refused.primary-unavailable",
        `the primary region ${env.primary.region} does not answer yet: ${f.primaryRegionProblem ?? ""}`,
        { source: "user", hint: "fail back once the primary region is stable" },
      ),
      warnings: [],
    };
  }
  const warnings: string[] = [];
  if (f.strandedProblem !== null)
    warnings.push(`could not tell whether the old primary accepted writes after the failover: ${f.strandedProblem}`);
  if (f.stranded !== null && f.stranded.total > 0) {
    const detail = f.stranded.tables
      .filter((t) => t.rows > 0)
      .map(
        (t) =>
          `${t.table}: ${t.rows} rows${t.firstKey === null ? "" : ` (keys ${t.firstKey}…${t.lastKey})`}${t.newestAt === null ? "" : `, newest ${new Date(t.newestAt).toISOString()}`}`,
      )
      .join("; ");
    if (!req.acceptStrandedWrites) {
      return {
        refusal: new PilotlightError(
          "refused.stranded-writes",
          `the old primary ${f.primary.clusterIdentifier} accepted ${f.stranded.total} writes after the failover of ${new Date(f.failedOverAt!).toISOString()}: ${detail}`,
          {
            source: "user",
            hint: "failback restores the primary from DR's data, so these writes would stay only in the retired cluster: reconcile them (they stay there, fenced), then fail back with --accept-stranded-writes",
            details: { stranded: f.stranded as unknown as JsonObject },
          },
        ),
        warnings,
      };
    }
    warnings.push(
      `accepting ${f.stranded.total} writes the old primary took after the failover (kept in the retired cluster ${f.primary.clusterIdentifier}): ${detail}`,
    );
  }
  return { warnings };
}

/** The failback plan. Step ids are persisted: never rename them. */
export function planFailback(f: FailbackFacts, _req: FailbackRequest, env: EnvironmentConfig): Plan {
  return {
    steps: [
      {
        id: "pin-dr",
        title: "Keep traffic pinned to DR until the data is home and checked",
        dependsOn: [],
        timeoutMs: 15 * MIN,
      },
      {
        id: "fence-old-primary",
        title: `Fence the old primary ${f.primary.clusterIdentifier} so nothing more lands there`,
        dependsOn: ["pin-dr"],
        timeoutMs: 10 * MIN,
      },
      {
        id: "fence-dr",
        title: `Fence writes on the DR database (${f.dr?.clusterIdentifier ?? "?"})`,
        dependsOn: ["fence-old-primary"],
        timeoutMs: 10 * MIN,
      },
      { id: "snapshot-dr", title: "Snapshot the fenced DR cluster", dependsOn: ["fence-dr"], timeoutMs: 2 * HOUR },
      {
        id: "copy-home",
        title: `Copy the snapshot to ${env.primary.region} with the primary key`,
        dependsOn: ["snapshot-dr"],
        timeoutMs: 4 * HOUR,
      },
      {
        id: "restore-primary",
        title: `Restore the primary as generation ${f.nextGeneration} (the old cluster is kept)`,
        dependsOn: ["copy-home"],
        timeoutMs: 4 * HOUR,
      },
      {
        id: "unfence-primary",
        title: "Lift the fence the snapshot carried",
        dependsOn: ["restore-primary"],
        timeoutMs: 10 * MIN,
      },
      {
        id: "check-data",
        title: "Compare the restored primary with the fenced DR data",
        dependsOn: ["unfence-primary"],
        timeoutMs: HOUR,
      },
      {
        id: "switch-back",
        title:
          env.dns === undefined
            ? "Switch traffic back (no DNS configured: skipped)"
            : `Release the pin: ${env.dns.name} answers ${env.primary.region} again`,
        dependsOn: ["check-data"],
        timeoutMs: 30 * MIN,
      },
      {
        id: "withdraw-dr",
        title: "Withdraw DR's record (its gate set) so it never answers again",
        dependsOn: ["switch-back"],
        timeoutMs: 15 * MIN,
      },
      {
        id: "verify-primary",
        title: "Verify the workload in the primary region",
        dependsOn: ["withdraw-dr"],
        timeoutMs: 30 * MIN,
      },
      {
        id: "retire-dr",
        title:
          "Lift the DR cluster's protection and retention (pilotlight set them) so the stack can go, with a final snapshot",
        dependsOn: ["verify-primary"],
        timeoutMs: HOUR,
        critical: false,
      },
      {
        id: "teardown-dr",
        title: `Destroy the DR stack (keeping Pulumi.${env.dr.stack}.yaml)`,
        dependsOn: ["retire-dr"],
        timeoutMs: 2 * HOUR,
        critical: false,
      },
      {
        id: "unfence-dr-unless-home",
        title: "If traffic never came home, lift the DR fence so the workload keeps serving",
        dependsOn: ["teardown-dr"],
        timeoutMs: 10 * MIN,
        cleanup: true,
      },
      {
        id: "report",
        title: "Write the report and notify stakeholders",
        dependsOn: ["unfence-dr-unless-home"],
        timeoutMs: 10 * MIN,
        cleanup: true,
      },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.facts<FailbackFacts>();

/** Executes the failback plan's steps through the ports. */
export function failbackHandlers(rc: RunbookContext): StepHandlers {
  const { ports, env, envName } = rc;
  const snapshotId = (ctx: StepContext) => runSnapshotId("pl-failback", ctx.runId);
  const drAt = (f: FailbackFacts): DatabaseAt => ({
    region: env.dr.region,
    clusterArn: f.dr!.clusterArn,
    secretArn: f.dr!.masterSecretArn,
  });
  const oldAt = (f: FailbackFacts): DatabaseAt => ({
    region: env.primary.region,
    clusterArn: f.primary.clusterArn,
    secretArn: f.primary.masterSecretArn,
  });
  const restoredOutputs = (ctx: StepContext) =>
    (ctx.outputOf("restore-primary") as JsonObject)["outputs"] as JsonObject;
  const restoredAt = (ctx: StepContext): DatabaseAt => ({
    region: env.primary.region,
    clusterArn: String(restoredOutputs(ctx)["clusterArn"]),
    secretArn: String(restoredOutputs(ctx)["masterSecretArn"] ?? ""),
  });
  const withSql = async <T>(at: DatabaseAt, enable: boolean, fn: (sql: SqlClient) => Promise<T>): Promise<T> => {
    const sql = await openDatabase(ports, at, env, { enable });
    try {
      return await fn(sql);
    } finally {
      await sql.close();
    }
  };
  const drChangeOf = (f: FailbackFacts, retire?: { finalSnapshot: string }) =>
    drChange(envName, env, {
      restoreSnapshot: f.dr!.restoredFrom,
      kmsKeyArn: f.primary.drKmsKeyArn,
      ...(retire === undefined ? {} : { retire }),
    });
  return {
    "pin-dr": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      // Until the data is home and checked, Route 53 must keep answering DR even though the
      // primary region answers again.
      if (env.dns === undefined || f.primary.trafficGate === undefined) return { skipped: "no DNS configured" };
      return setGate(ctx, ports, f.primary.trafficGate, 1);
    },
    "fence-old-primary": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      const c = await ports.databases.describeCluster({ region: env.primary.region, id: f.primary.clusterIdentifier });
      if (c === undefined || c.instances.length === 0)
        return { skipped: `${f.primary.clusterIdentifier} has no instance` };
      return withSql(oldAt(f), false, async (sql) => ({ fenced: f.primary.clusterIdentifier, ...(await fence(sql)) }));
    },
    "fence-dr": async (ctx) =>
      withSql(drAt(factsOf(ctx)), true, async (sql) => ({
        fenced: factsOf(ctx).dr!.clusterIdentifier,
        ...(await fence(sql)),
      })),
    "snapshot-dr": async (ctx) =>
      snapshotCluster(ctx, ports, {
        region: env.dr.region,
        clusterId: factsOf(ctx).dr!.clusterIdentifier,
        snapshotId: snapshotId(ctx),
        tags: { "managed-by": "pilotlight", "pilotlight:run-id": ctx.runId },
      }),
    "copy-home": async (ctx) =>
      copySnapshot(ctx, ports, {
        sourceArn: String((ctx.outputOf("snapshot-dr") as JsonObject)["arn"]),
        targetRegion: env.primary.region,
        targetId: snapshotId(ctx),
        kmsKeyId: factsOf(ctx).primary.primaryKmsKeyArn,
        tags: { "managed-by": "pilotlight", "pilotlight:run-id": ctx.runId },
      }),
    "restore-primary": async (ctx) => {
      const f = factsOf(ctx);
      const copy = ctx.outputOf("copy-home") as JsonObject;
      const change = primaryChange(envName, env, {
        kind: "snapshot",
        generation: f.nextGeneration,
        snapshotArn: String(copy["arn"]),
        ...(typeof copy["engineVersion"] === "string" ? { engineVersion: copy["engineVersion"] } : {}),
      });
      const outputs = await upStack(ctx, ports, env.primary.stack, env.primary.region, change);
      // The previous generation stays in AWS (retained): mark it, never delete it here.
      const previous = f.primary.clusterIdentifier;
      if (previous !== String(outputs["clusterIdentifier"])) {
        try {
          await ports.databases.tagCluster({
            region: env.primary.region,
            id: previous,
            tags: { "pilotlight:retired-by": ctx.runId },
          });
        } catch (error) {
          ctx.progress(
            `could not tag the previous cluster ${previous}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      return { outputs };
    },
    "unfence-primary": async (ctx) => {
      await withSql(restoredAt(ctx), true, unfence);
    },
    "check-data": async (ctx) => {
      const f = factsOf(ctx);
      // The fenced DR database is the reference: every chunk must match, differences are
      // localised to keys (only keys and row hashes cross the network).
      const result = await ctx.clock.track(
        ports.validator.validate({
          open: async () => openDatabase(ports, restoredAt(ctx), env, { enable: true }),
          expect: { kind: "live", open: async () => openDatabase(ports, drAt(f), env, { enable: true }) },
          validation: env.validation,
          now: () => ctx.clock.now(),
        }),
      );
      const expected = await withSql(drAt(f), true, (sql) => summarizeData(sql, env.validation));
      if (expected.newestHeartbeatAt !== undefined && result.newestHeartbeatAt !== undefined)
        await ctx.measure("rpoDataMs", expected.newestHeartbeatAt - result.newestHeartbeatAt);
      await ctx.measure("rpoMs", 0);
      if (!result.ok)
        throw new PilotlightError(
          "validation.failed",
          `the restored primary differs from the fenced DR data: ${result.summary}`,
          { source: "system", details: { summary: result.summary } },
        );
      return { summary: result.summary, tables: result.tables.length };
    },
    "switch-back": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (env.dns === undefined || f.primary.trafficGate === undefined) return { skipped: "no DNS configured" };
      const started = ctx.clock.now();
      const host = hostOf(restoredOutputs(ctx)["healthUrl"]);
      const gate = await setGate(ctx, ports, f.primary.trafficGate, 0);
      await waitForDns(
        ctx,
        ports,
        { zoneId: env.dns.zoneId, name: env.dns.name, nameServers: f.primary.nameServers ?? [] },
        host,
        20 * MIN,
      );
      await ctx.measure("phase.dnsMs", ctx.clock.now() - started);
      return { host, ...gate };
    },
    "withdraw-dr": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (f.primary.drGate === undefined) return { skipped: "no DNS configured" };
      return setGate(ctx, ports, f.primary.drGate, 1);
    },
    "verify-primary": async (ctx) => {
      const url = restoredOutputs(ctx)["healthUrl"];
      if (url !== undefined) await waitForHealthy(ctx, ports, String(url), 20 * MIN);
      await ctx.measure("rtoMs", ctx.clock.now() - factsOf(ctx).declaredAt);
    },
    "retire-dr": async (ctx) => {
      const f = factsOf(ctx);
      // The production DR cluster is protected and retained by its program; the teardown goes
      // through the program too: lifted first, then `destroy` deletes instances, the cluster
      // (with a final snapshot) and the network that cannot go while the cluster uses it.
      const finalSnapshot = runSnapshotId(`${f.dr!.clusterIdentifier}-final`, ctx.runId);
      await upStack(ctx, ports, env.dr.stack, env.dr.region, drChangeOf(f, { finalSnapshot }), { phases: false });
      return { finalSnapshot };
    },
    "teardown-dr": async (ctx) => {
      await destroyStack(ctx, ports, env.dr.stack, env.dr.region, { preserveConfig: true });
      return { destroyed: env.dr.stack };
    },
    "unfence-dr-unless-home": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      const run = ctx.run();
      if (run.steps.find((s) => s.id === "switch-back")?.state === "Succeeded")
        return { action: "none: traffic is home" };
      if (!(await ports.stacks.exists(env.dr.stack))) return { action: "none: no DR stack" };
      // Compensation from the database's own setting, not from what a step remembers.
      return withSql(drAt(f), true, async (sql) => {
        if (!(await isFenced(sql))) return { action: "none: DR is not fenced" };
        await unfence(sql);
        return { action: "unfenced DR: it keeps serving" };
      });
    },
    report: reportStep(ports, env, `Failback of ${envName} to ${env.primary.region}`, (run) =>
      run.steps.find((s) => s.id === "switch-back")?.state === "Succeeded"
        ? `The workload is home in ${env.primary.region}${run.steps.find((s) => s.id === "teardown-dr")?.state === "Succeeded" ? "; the DR stack is destroyed" : "; the DR stack could NOT be removed — see the run"}.`
        : `Traffic is still on ${env.dr.region}; DR writes were re-enabled if it was fenced. Resume with \`resume ${run.id}\`.`,
    ),
  };
}

/** The failback runbook. */
export const failbackRunbook: Runbook<FailbackRequest, FailbackFacts> = {
  kind: "failback",
  request: (raw) => ({ acceptStrandedWrites: raw["acceptStrandedWrites"] === true }),
  gather: gatherFailbackFacts,
  decide: decideFailback,
  plan: planFailback,
  handlers: failbackHandlers,
  confirm: (_f, _req, ctx) =>
    `Fail ${ctx.envName} back to ${ctx.env.primary.region}? Writes stop while the data is copied home.`,
};
