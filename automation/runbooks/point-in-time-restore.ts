import { fenceStatements } from "../adapters/fencing-sql";
import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { Json, JsonObject } from "../domain/json";
import { formatDuration } from "../domain/objectives";
import type { Plan } from "../domain/plan";
import type { StepContext, StepHandlers } from "../engine/step-context";
import type { SqlClient } from "../store/sql";
import { openDatabase, upStack, waitForHealthy } from "./actions";
import { summarizeData } from "./data-checks";
import type { RunbookPorts } from "./ports";
import { reportStep } from "./report-step";
import { primaryStackConfig } from "./stack-config";

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Continuous backups keep this window (the primary program's backup retention). */
const RETENTION_MS = 7 * 24 * HOUR;
/** Aurora's latest restorable time trails now by about five minutes (aws.md). */
const LATEST_LAG_MS = 5 * MIN;

/** Facts a point-in-time restore acts on. */
export interface RestoreFacts extends JsonObject {
  env: string;
  declaredAt: number;
  to: number;
  damagedCluster: string;
  servingGeneration: number;
  candidateGeneration: number;
  drStackExists: boolean;
  primaryOutputs: JsonObject;
}

/** Gathers the facts. Changes nothing. */
export async function gatherRestoreFacts(ports: RunbookPorts, envName: string, env: EnvironmentConfig, to: number): Promise<RestoreFacts> {
  const primaryOutputs = await ports.stacks.outputs(env.primary.stack);
  const serving = Number(primaryOutputs["databaseGeneration"] ?? 1);
  return {
    env: envName,
    declaredAt: ports.clock.now(),
    to,
    damagedCluster: String(primaryOutputs["clusterIdentifier"] ?? ""),
    servingGeneration: serving,
    candidateGeneration: serving + 1,
    drStackExists: await ports.stacks.exists(env.dr.stack),
    primaryOutputs,
  };
}

/** Guards: the time lies in the restorable window; no failover is active. */
export function decideRestore(f: RestoreFacts, env: EnvironmentConfig): { refusal?: PilotlightError; warnings: string[] } {
  if (f.drStackExists) {
    return { refusal: new PilotlightError("refused.dr-active", `${f.env} is failed over to ${env.dr.region}: restore into the serving DR database is not supported`, { source: "user", hint: "fail back first" }), warnings: [] };
  }
  const latest = f.declaredAt - LATEST_LAG_MS;
  if (f.to > latest || f.to < f.declaredAt - RETENTION_MS) {
    return {
      refusal: new PilotlightError("refused.restore-time", `${new Date(f.to).toISOString()} is outside the restorable window (${new Date(f.declaredAt - RETENTION_MS).toISOString()} … ${new Date(latest).toISOString()})`, {
        source: "user",
        hint: "pick a time before the corruption and at least 5 minutes ago, e.g. --to=-45m",
        details: { to: f.to, earliest: f.declaredAt - RETENTION_MS, latest },
      }),
      warnings: [],
    };
  }
  return { warnings: [`writes after ${new Date(f.to).toISOString()} (${formatDuration(f.declaredAt - f.to)}) are not in the restore; the damaged cluster is kept for forensics`] };
}

/** The plan. Step ids are persisted: never rename them. */
export function planRestore(f: RestoreFacts): Plan {
  return {
    steps: [
      { id: "fence-primary", title: `Stop writes on the damaged cluster ${f.damagedCluster}`, dependsOn: [], timeoutMs: 10 * MIN },
      { id: "restore-candidate", title: `Restore generation ${f.candidateGeneration} to ${new Date(f.to).toISOString()} beside the serving one`, dependsOn: ["fence-primary"], timeoutMs: 4 * HOUR },
      { id: "compare", title: "Validate the candidate and show what differs from the damaged cluster", dependsOn: ["restore-candidate"], timeoutMs: HOUR },
      { id: "cut-over", title: `Serve from generation ${f.candidateGeneration}`, dependsOn: ["compare"], timeoutMs: HOUR },
      { id: "keep-damaged", title: `Tag ${f.damagedCluster} for forensics (never deleted by pilotlight)`, dependsOn: ["cut-over"], timeoutMs: 10 * MIN },
      { id: "verify", title: "Verify the workload end to end (health, read/write)", dependsOn: ["cut-over"], timeoutMs: 30 * MIN },
      { id: "report", title: "Write the report and notify stakeholders", dependsOn: ["verify", "keep-damaged"], timeoutMs: 10 * MIN, cleanup: true },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.spec["facts"] as RestoreFacts;

/** Executes the point-in-time restore through the ports. */
export function restoreHandlers(ports: RunbookPorts, envName: string, env: EnvironmentConfig): StepHandlers {
  const config = (f: RestoreFacts, serving: number) => ({
    ...primaryStackConfig(envName, env),
    "pilotlight:databaseGeneration": { value: String(f.candidateGeneration) },
    "pilotlight:servingGeneration": { value: String(serving) },
    "pilotlight:restoreToTime": { value: new Date(f.to).toISOString() },
    "pilotlight:restoreSourceCluster": { value: f.damagedCluster },
  });
  const candidate = (ctx: StepContext): JsonObject => {
    const out = (ctx.outputOf("restore-candidate") as JsonObject)["outputs"] as JsonObject;
    return { clusterArn: out["newestClusterArn"] ?? null, masterSecretArn: out["newestSecretArn"] ?? null };
  };
  return {
    "fence-primary": async (ctx) => {
      const sql = await openDatabase(ports, env.primary.region, factsOf(ctx).primaryOutputs, env);
      try {
        for (const s of fenceStatements(true)) await sql.query(s);
      } finally {
        await sql.close();
      }
    },
    "restore-candidate": async (ctx) => {
      const f = factsOf(ctx);
      return { outputs: await upStack(ctx, ports, env.primary.stack, env.primary.region, config(f, f.servingGeneration)) };
    },
    compare: async (ctx) => {
      const f = factsOf(ctx);
      const open = (outputs: JsonObject) => async (): Promise<SqlClient> => openDatabase(ports, env.primary.region, outputs, env);
      const restored = await open(candidate(ctx))();
      try {
        // The restore must be clean: the configured checks (e.g. "no negative totals") hold on it.
        const quick = await summarizeData(restored, env.validation);
        const result = await ctx.clock.track(
          ports.validator.validate({ open: open(candidate(ctx)), expect: { kind: "live", open: open(f.primaryOutputs), watermark: f.to }, validation: env.validation, now: () => ctx.clock.now() }),
        );
        await ctx.measure("rpoMs", f.declaredAt - f.to);
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
        if (quick.problems.length > 0) {
          throw new PilotlightError("validation.failed", `the data restored to ${new Date(f.to).toISOString()} still fails checks: ${quick.problems.join("; ")}`, {
            source: "user",
            hint: "choose an earlier --to (before the corruption began); nothing was cut over",
            details: { problems: quick.problems },
          });
        }
        return { summary: result.summary, schemaDifferences: result.schema.differences, differences };
      } finally {
        await restored.close();
      }
    },
    "cut-over": async (ctx) => {
      const f = factsOf(ctx);
      return { outputs: await upStack(ctx, ports, env.primary.stack, env.primary.region, config(f, f.candidateGeneration)) };
    },
    "keep-damaged": async (ctx) => {
      await ports.databases.tagCluster({ region: env.primary.region, id: factsOf(ctx).damagedCluster, tags: { "pilotlight:forensics": ctx.runId } });
    },
    verify: async (ctx) => {
      const out = (ctx.outputOf("cut-over") as JsonObject)["outputs"] as JsonObject;
      await waitForHealthy(ctx, ports, String(out["healthUrl"]), 20 * MIN);
      await ctx.measure("rtoMs", ctx.clock.now() - factsOf(ctx).declaredAt);
    },
    report: reportStep(ports, env, `Point-in-time restore of ${envName}`, (run) =>
      run.phase === "Completed"
        ? `The workload serves the data as of the chosen time; the damaged cluster is kept, tagged pilotlight:forensics.`
        : `Writes on the damaged cluster stay fenced; nothing was cut over unless the cut-over step succeeded.`,
    ),
  };
}
