import {
  OWNED_KEYS,
  primaryClusterIdentifier,
  readPrimaryOutputs,
  type PrimaryStackOutputs,
} from "../../infra/contract";
import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { Json, JsonObject } from "../domain/json";
import { formatDuration } from "../domain/objectives";
import type { Plan } from "../domain/plan";
import { describeTime, resolveTime } from "../domain/time";
import type { StepContext, StepHandlers } from "../engine/step-context";
import type { SqlClient } from "../ports/sql";
import { openDatabase, upStack, waitForHealthy, type DatabaseAt } from "./actions";
import { summarizeData } from "./data-checks";
import { fence, isFenced } from "./fencing";
import { reportStep } from "./report-step";
import type { Decision, Runbook, RunbookContext } from "./runbook";
import { primaryChange } from "./stack-config";

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Continuous backups keep this window (the primary program's backup retention). */
const RETENTION_MS = 7 * 24 * HOUR;
/** Aurora's latest restorable time trails now by about five minutes (aws.md). */
const LATEST_LAG_MS = 5 * MIN;

/** What the operator asked for: an absolute time, resolved once, or the latest restorable time. */
export interface RestoreRequest {
  /** Epoch ms; null with `latest`. */
  to: number | null;
  /** Same-region recovery of a lost cluster: its latest restorable time. */
  latest: boolean;
}

/** Facts a point-in-time restore acts on. */
export interface RestoreFacts {
  env: string;
  declaredAt: number;
  /** The time restored to (for `latest`: the latest restorable time at declaration). */
  to: number;
  latest: boolean;
  damagedCluster: string;
  damagedClusterArn: string;
  /** Instances of the damaged cluster still available: none means nothing to fence or compare. */
  damagedInstances: number;
  servingGeneration: number;
  candidateGeneration: number;
  candidateCluster: string;
  drStackExists: boolean;
  primary: PrimaryStackOutputs;
  /** pilotlight's keys of the primary stack file before the restore (an abandon puts them back). */
  primaryKeys: Record<string, string>;
}

/** Parses the request: `to` is an ISO time, a duration before now (`-45m`), or `latest`. */
export function restoreRequest(raw: JsonObject, now: number): RestoreRequest {
  if (raw["to"] === "latest" || raw["latest"] === true) return { to: null, latest: true };
  return { to: resolveTime(raw["to"], now, "--to"), latest: false };
}

/** Gathers the facts. Changes nothing. */
export async function gatherRestoreFacts(ctx: RunbookContext, req: RestoreRequest): Promise<RestoreFacts> {
  const { ports, env, envName } = ctx;
  const declaredAt = ports.clock.now();
  const primary = readPrimaryOutputs(env.primary.stack, await ports.stacks.outputs(env.primary.stack));
  const file = await ports.stacks.fileConfig(env.primary.stack);
  const primaryKeys = Object.fromEntries(
    Object.entries(file).filter(
      ([k]) => k.startsWith("pilotlight:") && OWNED_KEYS.includes(k.slice(11) as (typeof OWNED_KEYS)[number]),
    ),
  );
  const cluster = await ports.databases.describeCluster({ region: env.primary.region, id: primary.clusterIdentifier });
  const serving = primary.databaseGeneration;
  const candidate = Math.max(serving, primary.newestGeneration) + 1;
  return {
    env: envName,
    declaredAt,
    to: req.to ?? cluster?.latestRestorableTime ?? declaredAt - LATEST_LAG_MS,
    latest: req.latest,
    damagedCluster: primary.clusterIdentifier,
    damagedClusterArn: primary.clusterArn,
    damagedInstances: (cluster?.instances ?? []).filter((i) => i.status === undefined || i.status === "available")
      .length,
    servingGeneration: serving,
    candidateGeneration: candidate,
    candidateCluster: primaryClusterIdentifier(envName, candidate),
    drStackExists: await ports.stacks.exists(env.dr.stack),
    primary,
    primaryKeys,
  };
}

/** Guards: no failover active; the time lies in the restorable window. */
export function decideRestore(f: RestoreFacts, _req: RestoreRequest, env: EnvironmentConfig): Decision {
  if (f.drStackExists) {
    return {
      refusal: new PilotlightError(
        "refused.dr-active",
        `${f.env} is failed over to ${env.dr.region}: restore into the serving DR database is not supported`,
        { source: "user", hint: "fail back first" },
      ),
      warnings: [],
    };
  }
  if (f.primary.newestGeneration > f.servingGeneration) {
    return {
      refusal: new PilotlightError(
        "refused.candidate-exists",
        `generation ${f.primary.newestGeneration} (${f.primary.newestClusterIdentifier}) of ${f.env} is still a candidate from an earlier restore`,
        {
          source: "user",
          hint: "resume that restore, or abandon it with `restore --abandon RUN` (see `runs list --kind point-in-time-restore`)",
        },
      ),
      warnings: [],
    };
  }
  const latest = f.declaredAt - LATEST_LAG_MS;
  if (!f.latest && (f.to > latest || f.to < f.declaredAt - RETENTION_MS)) {
    return {
      refusal: new PilotlightError(
        "refused.restore-time",
        `${new Date(f.to).toISOString()} is outside the restorable window (${new Date(f.declaredAt - RETENTION_MS).toISOString()} … ${new Date(latest).toISOString()})`,
        {
          source: "user",
          hint: "pick a time before the corruption and at least 5 minutes ago, e.g. --to=-45m",
          details: { to: f.to, earliest: f.declaredAt - RETENTION_MS, latest },
        },
      ),
      warnings: [],
    };
  }
  const warnings = [
    `writes after ${new Date(f.to).toISOString()} (${formatDuration(f.declaredAt - f.to)}) are not in the restore; the damaged cluster is kept for forensics`,
  ];
  if (f.damagedInstances === 0)
    warnings.push(
      `${f.damagedCluster} has no available instance: nothing to fence or compare; restoring its latest data`,
    );
  return { warnings };
}

/** The plan. Step ids are persisted: never rename them. */
export function planRestore(f: RestoreFacts): Plan {
  const when = f.latest ? "its latest restorable time" : new Date(f.to).toISOString();
  return {
    steps: [
      {
        id: "fence-primary",
        title: `Stop writes on the damaged cluster ${f.damagedCluster}`,
        dependsOn: [],
        timeoutMs: 10 * MIN,
      },
      {
        id: "restore-candidate",
        title: `Restore generation ${f.candidateGeneration} to ${when} beside the serving one`,
        dependsOn: ["fence-primary"],
        timeoutMs: 4 * HOUR,
      },
      {
        id: "compare",
        title: "Validate the candidate and show what differs from the damaged cluster",
        dependsOn: ["restore-candidate"],
        timeoutMs: HOUR,
      },
      {
        id: "cut-over",
        title: `Serve from generation ${f.candidateGeneration}`,
        dependsOn: ["compare"],
        timeoutMs: HOUR,
      },
      {
        id: "keep-damaged",
        title: `Tag ${f.damagedCluster} for forensics (never deleted by pilotlight)`,
        dependsOn: ["cut-over"],
        timeoutMs: 10 * MIN,
      },
      {
        id: "verify",
        title: "Verify the workload end to end (health, read/write)",
        dependsOn: ["cut-over"],
        timeoutMs: 30 * MIN,
      },
      {
        id: "report",
        title: "Write the report and notify stakeholders",
        dependsOn: ["verify", "keep-damaged"],
        timeoutMs: 10 * MIN,
        cleanup: true,
      },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.facts<RestoreFacts>();

/** Executes the point-in-time restore through the ports. */
export function restoreHandlers(rc: RunbookContext): StepHandlers {
  const { ports, env, envName } = rc;
  const change = (f: RestoreFacts, serving: number) =>
    primaryChange(envName, env, {
      kind: "time",
      generation: f.candidateGeneration,
      serving,
      time: f.latest ? "latest" : new Date(f.to).toISOString(),
      sourceCluster: f.damagedCluster,
    });
  const candidate = (ctx: StepContext): DatabaseAt => {
    const out = (ctx.outputOf("restore-candidate") as JsonObject)["outputs"] as JsonObject;
    return {
      region: env.primary.region,
      clusterArn: String(out["newestClusterArn"] ?? ""),
      secretArn: String(out["newestSecretArn"] ?? ""),
    };
  };
  const damaged = (f: RestoreFacts): DatabaseAt => ({
    region: env.primary.region,
    clusterArn: f.primary.clusterArn,
    secretArn: f.primary.masterSecretArn,
  });
  return {
    "fence-primary": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (f.damagedInstances === 0) return { skipped: `${f.damagedCluster} has no instance: nothing accepts writes` };
      const sql = await openDatabase(ports, damaged(f), env, { enable: false });
      try {
        // Works on an already fenced database (a restore retried after a wrong time).
        const sessions = await fence(sql);
        return { fenced: f.damagedCluster, ...sessions };
      } finally {
        await sql.close();
      }
    },
    "restore-candidate": async (ctx) => {
      const f = factsOf(ctx);
      return {
        outputs: await upStack(ctx, ports, env.primary.stack, env.primary.region, change(f, f.servingGeneration)),
      };
    },
    compare: async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      const open = (at: DatabaseAt, enable: boolean) => async (): Promise<SqlClient> =>
        openDatabase(ports, at, env, { enable });
      const restored = await open(candidate(ctx), true)();
      try {
        // The restore must be clean: the configured checks (e.g. "no negative totals") hold on it.
        const quick = await summarizeData(restored, env.validation);
        await ctx.measure("rpoMs", f.declaredAt - f.to);
        if (quick.problems.length > 0) {
          throw new PilotlightError(
            "validation.failed",
            `the data restored to ${new Date(f.to).toISOString()} still fails checks: ${quick.problems.join("; ")}`,
            {
              source: "user",
              hint: `choose an earlier --to (before the corruption began); nothing was cut over. Lift the fence and drop the candidate with \`restore --abandon ${ctx.runId}\``,
              details: { problems: quick.problems },
            },
          );
        }
        if (f.damagedInstances === 0)
          return { summary: "the damaged cluster has no instance: no comparison", differences: [] };
        const result = await ctx.clock.track(
          ports.validator.validate({
            open: open(candidate(ctx), true),
            expect: { kind: "live", open: open(damaged(f), false), watermark: f.to },
            validation: env.validation,
            now: () => ctx.clock.now(),
          }),
        );
        const differences: Json = result.tables
          .filter((t) => t.verdict !== "ok")
          .map((t) => ({
            table: t.table,
            rows: t.rows,
            verdict: t.verdict,
            // Everything that differs, drift or not: the damage being undone was written after the restore time.
            changedKeys: t.counts.changed + t.driftByKind.changed,
            missingKeys: t.counts.missing + t.driftByKind.missing,
            extraKeys: t.counts.unexpected + t.driftByKind.unexpected,
            sample: [...t.keys.changed, ...t.keys.missing, ...t.keys.unexpected, ...t.keys.drift].slice(0, 10),
          }));
        ctx.progress(`restored vs damaged: ${result.summary}`, { differences });
        return { summary: result.summary, schemaDifferences: result.schema.differences, differences };
      } finally {
        await restored.close();
      }
    },
    "cut-over": async (ctx) => {
      const f = factsOf(ctx);
      return {
        outputs: await upStack(ctx, ports, env.primary.stack, env.primary.region, change(f, f.candidateGeneration)),
      };
    },
    "keep-damaged": async (ctx) => {
      await ports.databases.tagCluster({
        region: env.primary.region,
        id: factsOf(ctx).damagedCluster,
        tags: { "pilotlight:forensics": ctx.runId },
      });
    },
    verify: async (ctx): Promise<JsonObject> => {
      const out = (ctx.outputOf("cut-over") as JsonObject)["outputs"] as JsonObject;
      if (out["healthUrl"] === undefined) return { skipped: "no workload" };
      await waitForHealthy(ctx, ports, String(out["healthUrl"]), 20 * MIN);
      await ctx.measure("rtoMs", ctx.clock.now() - factsOf(ctx).declaredAt);
      return { healthUrl: String(out["healthUrl"]) };
    },
    report: reportStep(ports, env, `Point-in-time restore of ${envName}`, (run) =>
      run.phase === "Completed" || run.steps.find((s) => s.id === "verify")?.state === "Succeeded"
        ? `The workload serves the data as of the chosen time; the damaged cluster is kept, tagged pilotlight:forensics.`
        : `Writes on the damaged cluster stay fenced and nothing was cut over unless cut-over succeeded: resume with \`resume ${run.id}\`, or lift the fence and drop the candidate with \`restore --abandon ${run.id}\`.`,
    ),
  };
}

/** Whether a primary database is fenced now (for status and the abandon runbook). */
export async function primaryFenced(rc: RunbookContext, at: DatabaseAt): Promise<boolean | "unknown"> {
  try {
    const sql = await openDatabase(rc.ports, at, rc.env, { enable: false });
    try {
      return await isFenced(sql);
    } finally {
      await sql.close();
    }
  } catch {
    return "unknown";
  }
}

/** The point-in-time restore runbook. */
export const restoreRunbook: Runbook<RestoreRequest, RestoreFacts> = {
  kind: "point-in-time-restore",
  request: restoreRequest,
  gather: gatherRestoreFacts,
  decide: decideRestore,
  plan: (f) => planRestore(f),
  handlers: restoreHandlers,
  confirm: (f, _req, ctx) =>
    `Restore ${ctx.envName} to ${f.latest ? "its latest restorable time" : describeTime(f.to, f.declaredAt)}, fencing writes on ${f.damagedCluster} now and serving the restored data once it passes its checks?`,
};
