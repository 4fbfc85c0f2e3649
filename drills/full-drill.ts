import { readPrimaryOutputs } from "../infra/contract";
import type { EnvironmentConfig } from "../automation/config/schema";
import { PilotlightError } from "../automation/domain/errors";
import type { JsonObject } from "../automation/domain/json";
import type { Plan } from "../automation/domain/plan";
import type { StepContext, StepHandlers } from "../automation/engine/step-context";
import {
  copySnapshot,
  hostOf,
  openDatabase,
  runSnapshotId,
  snapshotCluster,
  upStack,
  waitForDns,
  waitForHealthy,
  type DatabaseAt,
} from "../automation/runbooks/actions";
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
const HOME = "home";

/** Facts of a full drill. */
export interface FullDrillFacts extends DrillFacts {
  /** The drill's own DNS name; never the production record. */
  drillName: string | null;
  nameServers: string[];
}

export async function gatherFullDrillFacts(ctx: RunbookContext): Promise<FullDrillFacts> {
  const facts = await gatherDrillFacts(ctx);
  const primary = readPrimaryOutputs(ctx.env.primary.stack, await ctx.ports.stacks.outputs(ctx.env.primary.stack));
  return { ...facts, drillName: ctx.env.dns?.drillName ?? null, nameServers: primary.nameServers ?? [] };
}

/** A full drill needs a DR copy and a drill DNS name of its own; it never switches the production record. */
export function decideFullDrill(f: FullDrillFacts, _req: JsonObject, env: EnvironmentConfig): Decision {
  if (f.drillName === null) {
    return {
      refusal: new PilotlightError(
        "config.invalid",
        `environments.${f.env}.dns.drillName is not set: a full drill switches a DNS name of its own, never ${env.dns?.name ?? "the production record"}`,
        {
          source: "user",
          hint: "set dns.drillName (e.g. drill.app.example.com in the same hosted zone) and run the drill again; nothing was changed",
        },
      ),
      warnings: [],
    };
  }
  if (f.recoveryPoint === null) return { refusal: noRecoveryPoint(env), warnings: [] };
  if (f.primaryKmsKeyArn === "") {
    return {
      refusal: new PilotlightError(
        "config.invalid",
        `the primary stack ${env.primary.stack} has no primaryKmsKeyArn output: the drill cannot copy its snapshot home`,
        { source: "user", hint: "deploy the primary program of this version (pulumi up on the primary stack)" },
      ),
      warnings: [],
    };
  }
  return { warnings: [] };
}

/**
 * Failover then failback, rehearsed on throw-away stacks against the drill's own DNS name: the
 * newest DR copy is restored into a drill stack of the DR program in the DR region, the drill
 * name is switched to it, the data is validated and the workload smoke-checked (a read/write
 * probe), then — as a failback would — the DR data is snapshotted, copied home with the primary's
 * key, restored into a second drill stack in the primary region, compared key by key with DR, and
 * the drill name is switched home. Both stacks and both snapshots are always removed.
 */
export function planFullDrill(env: EnvironmentConfig): Plan {
  return {
    steps: [
      {
        id: "stand-up-dr",
        title: `Restore the newest DR copy into a drill stack in ${env.dr.region}, with the drill record`,
        dependsOn: [],
        timeoutMs: 4 * HOUR,
      },
      {
        id: "validate-dr",
        title: "Prove the restored data intact and fresh",
        dependsOn: ["stand-up-dr"],
        timeoutMs: HOUR,
      },
      {
        id: "switch-to-dr",
        title: "Publish the drill record now that the data passed, and wait for the drill name to answer DR",
        dependsOn: ["validate-dr"],
        timeoutMs: 30 * MIN,
      },
      {
        id: "smoke-dr",
        title: "Smoke-check the workload on DR (read/write probe): the drill's RTO",
        dependsOn: ["switch-to-dr"],
        timeoutMs: 30 * MIN,
      },
      {
        id: "snapshot-dr",
        title: "Snapshot the DR drill cluster (failback starts)",
        dependsOn: ["smoke-dr"],
        timeoutMs: 2 * HOUR,
      },
      {
        id: "copy-home",
        title: `Copy the snapshot to ${env.primary.region} with the primary key`,
        dependsOn: ["snapshot-dr"],
        timeoutMs: 4 * HOUR,
      },
      {
        id: "restore-home",
        title: `Restore it into a drill stack in ${env.primary.region}`,
        dependsOn: ["copy-home"],
        timeoutMs: 4 * HOUR,
      },
      {
        id: "check-home",
        title: "Compare the data home with DR, key by key, including the smoke write",
        dependsOn: ["restore-home"],
        timeoutMs: HOUR,
      },
      {
        id: "switch-home",
        title: "Move the drill record from DR to home and wait for the drill name to answer home",
        dependsOn: ["check-home"],
        timeoutMs: HOUR,
      },
      {
        id: "verify-home",
        title: "Smoke-check the workload home: the drill's failback time",
        dependsOn: ["switch-home"],
        timeoutMs: 30 * MIN,
      },
      {
        id: "destroy-home",
        title: "Destroy the home drill stack and remove it",
        dependsOn: ["verify-home"],
        timeoutMs: 2 * HOUR,
        cleanup: true,
      },
      {
        id: "destroy-dr",
        title: "Destroy the DR drill stack and remove it",
        dependsOn: ["verify-home"],
        timeoutMs: 2 * HOUR,
        cleanup: true,
      },
      {
        id: "delete-snapshots",
        title: "Delete the drill's snapshots in both regions",
        dependsOn: ["destroy-home", "destroy-dr"],
        timeoutMs: 2 * HOUR,
        cleanup: true,
      },
      {
        id: "report",
        title: "Report, record the measurements, alert on failure",
        dependsOn: ["delete-snapshots"],
        timeoutMs: 10 * MIN,
        cleanup: true,
      },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.facts<FullDrillFacts>();
const outputsFrom = (ctx: StepContext, step: string) =>
  ((ctx.outputOf(step) as JsonObject | undefined)?.["outputs"] ?? {}) as JsonObject;

/** Executes the full drill. */
export function fullDrillHandlers(rc: RunbookContext): StepHandlers {
  const { ports, env, envName } = rc;
  const snapshotId = (ctx: StepContext) => runSnapshotId("pl-drill", ctx.runId);
  const drillTags = (ctx: StepContext) => ({
    "managed-by": "pilotlight",
    "pilotlight:run-id": ctx.runId,
    "pilotlight:expires-at": new Date(factsOf(ctx).declaredAt + factsOf(ctx).ttlMs).toISOString(),
  });
  const drConfig = (ctx: StepContext, record: boolean) => {
    const f = factsOf(ctx);
    const p = f.recoveryPoint!;
    return drillChange(envName, env, f.drFile, {
      restoreSnapshot: p.arn,
      kmsKeyArn: f.drKmsKeyArn,
      ...(p.engineVersion === null ? {} : { engineVersion: p.engineVersion }),
      runId: ctx.runId,
      expiresAt: f.declaredAt + f.ttlMs,
      publish: record,
    });
  };
  const homeConfig = (ctx: StepContext, record: boolean) => {
    const f = factsOf(ctx);
    const copy = ctx.outputOf<JsonObject>("copy-home")!;
    const engineVersion = typeof copy["engineVersion"] === "string" ? copy["engineVersion"] : undefined;
    return drillChange(envName, env, f.drFile, {
      restoreSnapshot: String(copy["arn"]),
      kmsKeyArn: f.primaryKmsKeyArn,
      ...(engineVersion === undefined ? {} : { engineVersion }),
      runId: ctx.runId,
      expiresAt: f.declaredAt + f.ttlMs,
      region: env.primary.region,
      label: HOME,
      publish: record,
    });
  };
  const atOf = (outputs: JsonObject, region: string): DatabaseAt => ({
    region,
    clusterArn: String(outputs["clusterArn"] ?? ""),
    secretArn: String(outputs["masterSecretArn"] ?? ""),
  });
  const dr = (ctx: StepContext) => ({
    ...atOf(outputsFrom(ctx, "stand-up-dr"), env.dr.region),
    outputs: outputsFrom(ctx, "stand-up-dr"),
  });
  const home = (ctx: StepContext) => ({
    ...atOf(outputsFrom(ctx, "restore-home"), env.primary.region),
    outputs: outputsFrom(ctx, "restore-home"),
  });
  const drillDns = (ctx: StepContext) => ({
    zoneId: env.dns!.zoneId,
    name: factsOf(ctx).drillName!,
    nameServers: factsOf(ctx).nameServers,
  });
  const probes = async (at: DatabaseAt): Promise<{ rows: number; newest: string | null }> => {
    const sql = await openDatabase(ports, at, env, { enable: true });
    try {
      const exists = await sql.query<{ t: string | null }>("SELECT to_regclass('public.pilotlight_probe')::text AS t");
      if (exists.rows[0]?.t == null) return { rows: 0, newest: null };
      const r = await sql.query<{ n: number; newest: string | null }>(
        "SELECT count(*)::int AS n, max(at)::text AS newest FROM pilotlight_probe",
      );
      return { rows: Number(r.rows[0]?.n ?? 0), newest: r.rows[0]?.newest ?? null };
    } finally {
      await sql.close();
    }
  };

  return {
    "stand-up-dr": async (ctx) => {
      const f = factsOf(ctx);
      const outputs = await upStack(ctx, ports, drillStackName(ctx.runId), env.dr.region, drConfig(ctx, false));
      await ctx.measure("rpoMs", f.declaredAt - f.recoveryPoint!.createdAt);
      return { outputs };
    },
    "switch-to-dr": async (ctx) => {
      // Traffic follows the data: the drill record is declared once the drill's data passed.
      const started = ctx.clock.now();
      await upStack(ctx, ports, drillStackName(ctx.runId), env.dr.region, drConfig(ctx, true), { phases: false });
      await waitForDns(ctx, ports, drillDns(ctx), hostOf(dr(ctx).outputs["healthUrl"]), 20 * MIN);
      await ctx.measure("phase.dnsMs", ctx.clock.now() - started);
      return { name: factsOf(ctx).drillName, host: hostOf(dr(ctx).outputs["healthUrl"]) };
    },
    "validate-dr": async (ctx) =>
      validateDrillData(
        ctx,
        ports,
        envName,
        env,
        await drillDatabase(ports, drillStackName(ctx.runId), env.dr.region),
        factsOf(ctx).recoveryPoint!,
        factsOf(ctx).declaredAt,
      ),
    "smoke-dr": async (ctx) => {
      // The read/write probe writes a row through the workload: it must come home in the failback.
      await waitForHealthy(ctx, ports, String(dr(ctx).outputs["healthUrl"]), 20 * MIN);
      await ctx.measure("rtoMs", ctx.clock.now() - factsOf(ctx).declaredAt);
      return { probes: await ctx.clock.track(probes(dr(ctx))) };
    },
    "snapshot-dr": async (ctx) =>
      snapshotCluster(ctx, ports, {
        region: env.dr.region,
        clusterId: String(dr(ctx).outputs["clusterIdentifier"]),
        snapshotId: snapshotId(ctx),
        tags: drillTags(ctx),
      }),
    "copy-home": async (ctx) =>
      copySnapshot(ctx, ports, {
        sourceArn: String((ctx.outputOf("snapshot-dr") as JsonObject)["arn"]),
        targetRegion: env.primary.region,
        targetId: snapshotId(ctx),
        kmsKeyId: factsOf(ctx).primaryKmsKeyArn,
        tags: drillTags(ctx),
      }),
    "restore-home": async (ctx) => {
      // Without the drill record for now: Route 53 holds one CNAME per name, and DR owns it.
      const outputs = await upStack(
        ctx,
        ports,
        drillStackName(ctx.runId, HOME),
        env.primary.region,
        homeConfig(ctx, false),
        { phases: "home." },
      );
      return { outputs };
    },
    "check-home": async (ctx) => {
      const result = await ctx.clock.track(
        ports.validator.validate({
          open: async () => openDatabase(ports, home(ctx), env, { enable: true }),
          expect: { kind: "live", open: async () => openDatabase(ports, dr(ctx), env, { enable: true }) },
          validation: env.validation,
          now: () => ctx.clock.now(),
        }),
      );
      if (!result.ok)
        throw new PilotlightError("validation.failed", `the data copied home differs from DR: ${result.summary}`, {
          source: "system",
          details: { summary: result.summary },
        });
      const written = (ctx.outputOf("smoke-dr") as { probes: { rows: number; newest: string | null } }).probes;
      const arrived = await ctx.clock.track(probes(home(ctx)));
      if (arrived.rows < written.rows || arrived.newest !== written.newest) {
        throw new PilotlightError(
          "validation.failed",
          `the workload's write on DR did not come home: DR had ${written.rows} probe rows (newest ${written.newest}), home has ${arrived.rows} (newest ${arrived.newest})`,
          { source: "system" },
        );
      }
      return { summary: result.summary, probeRows: arrived.rows };
    },
    "switch-home": async (ctx) => {
      const started = ctx.clock.now();
      // The record moves: DR's stack drops it, then the home stack creates it.
      await upStack(ctx, ports, drillStackName(ctx.runId), env.dr.region, drConfig(ctx, false), { phases: false });
      const outputs = await upStack(
        ctx,
        ports,
        drillStackName(ctx.runId, HOME),
        env.primary.region,
        homeConfig(ctx, true),
        { phases: false },
      );
      await waitForDns(ctx, ports, drillDns(ctx), hostOf(outputs["healthUrl"]), 30 * MIN);
      await ctx.measure("phase.switchBackMs", ctx.clock.now() - started);
      return { outputs };
    },
    "verify-home": async (ctx) => {
      await waitForHealthy(ctx, ports, String(home(ctx).outputs["healthUrl"]), 20 * MIN);
      const failbackStarted = ctx.run().steps.find((s) => s.id === "snapshot-dr")?.startedAt ?? ctx.clock.now();
      await ctx.measure("failbackMs", ctx.clock.now() - failbackStarted);
    },
    "destroy-home": async (ctx) => destroyDrillStack(ctx, ports, drillStackName(ctx.runId, HOME), env.primary.region),
    "destroy-dr": async (ctx) => destroyDrillStack(ctx, ports, drillStackName(ctx.runId), env.dr.region),
    "delete-snapshots": async (ctx) => {
      const deleted: string[] = [];
      for (const region of [env.dr.region, env.primary.region]) {
        const s = await ports.databases.describeClusterSnapshot({ region, id: snapshotId(ctx) });
        if (s === undefined) continue;
        // A snapshot still being created or copied cannot be deleted yet: wait for it (bounded).
        if (s.status !== "available")
          await ports.databases.waitForSnapshotAvailable({
            region,
            id: s.id,
            maxWaitMs: Math.max(0, ctx.deadline - ctx.clock.now()),
            signal: ctx.signal,
          });
        await ports.databases.deleteClusterSnapshot({ region, id: s.id });
        deleted.push(`${region}:${s.id}`);
      }
      return { deleted };
    },
    report: reportStep(ports, env, `Full drill of ${envName}`, (run) =>
      run.phase === "Completed"
        ? `Failover to ${env.dr.region} and failback to ${env.primary.region} both worked on throw-away stacks, against the drill's own DNS name.`
        : "The full drill FAILED: the failover or failback path cannot be trusted until this is fixed.",
    ),
  };
}

/** The quarterly full drill: failover then failback on throw-away stacks against the drill name. */
export const fullDrillRunbook: Runbook<JsonObject, FullDrillFacts> = {
  kind: "full-drill",
  request: () => ({}),
  gather: (ctx) => gatherFullDrillFacts(ctx),
  decide: decideFullDrill,
  plan: (_f, _req, env) => planFullDrill(env),
  handlers: fullDrillHandlers,
};
