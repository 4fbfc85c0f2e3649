import { OWNED_KEYS, readDrOutputs, readPrimaryOutputs } from "../../infra/contract";
import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import type { Plan } from "../domain/plan";
import type { Run } from "../domain/run";
import type { StepContext, StepHandlers } from "../engine/step-context";
import { destroyStack, openDatabase, runSnapshotId, setGate, upStack, type DatabaseAt } from "./actions";
import { writesAfter, type WritesAfter } from "./data-checks";
import type { FailoverFacts } from "./failover";
import { isFenced, unfence } from "./fencing";
import type { RestoreFacts } from "./point-in-time-restore";
import { reportStep } from "./report-step";
import type { Decision, Runbook, RunbookContext } from "./runbook";
import { drChange } from "./stack-config";

const MIN = 60_000;
const HOUR = 60 * MIN;

/** What to abandon. */
export interface AbandonRequest {
  run: string;
}

/** Facts of an abandon: the run and what it left. */
export interface AbandonFacts {
  env: string;
  declaredAt: number;
  run: string;
  of: "failover" | "point-in-time-restore";
  /** Failover: the DR stack, whether its record was published, what DR accepted since. */
  drStackExists: boolean;
  drPublished: boolean;
  pinned: boolean;
  drWrites: WritesAfter | null;
  /** Restore: the damaged cluster (its fence is lifted) and the candidate (dropped). */
  damaged: DatabaseAt | null;
  candidateCluster: string | null;
  primaryKeys: Record<string, string>;
  refusal: string | null;
}

/** The run an abandon refers to, with what it left behind. */
export async function gatherAbandonFacts(ctx: RunbookContext, req: AbandonRequest): Promise<AbandonFacts> {
  const { ports, env, envName } = ctx;
  const run = await ctx.runs.load(req.run);
  const base = {
    env: envName,
    declaredAt: ports.clock.now(),
    run: req.run,
    drStackExists: false,
    drPublished: false,
    pinned: false,
    drWrites: null,
    damaged: null,
    candidateCluster: null,
    primaryKeys: {},
  };
  const refuse = (why: string): AbandonFacts => ({ ...base, of: "failover", refusal: why });
  if (run === undefined) return refuse(`no run ${req.run} in the run store`);
  if (run.spec["env"] !== envName) return refuse(`run ${req.run} belongs to environment ${String(run.spec["env"])}`);
  if (run.spec["target"] !== undefined && run.spec["target"] !== ctx.target)
    return refuse(`run ${req.run} acted on ${String(run.spec["target"])}, not on ${ctx.target}`);
  const done = (id: string) => run.steps.find((s) => s.id === id)?.state === "Succeeded";
  if (run.kind === "failover") {
    const prepare = (run.spec["request"] as JsonObject | undefined)?.["prepare"] === true;
    if (run.phase === "Completed" && !prepare)
      return refuse(`failover ${req.run} completed: the workload is served from DR; bring it home with \`failback\``);
    const drStackExists = await ports.stacks.exists(env.dr.stack);
    let drWrites: WritesAfter | null = null;
    const publish = run.steps.find((s) => s.id === "publish-dr");
    if (drStackExists && publish?.state === "Succeeded" && publish.endedAt !== undefined) {
      const dr = readDrOutputs(env.dr.stack, await ports.stacks.outputs(env.dr.stack));
      try {
        const sql = await openDatabase(
          ports,
          { region: env.dr.region, clusterArn: dr.clusterArn, secretArn: dr.masterSecretArn },
          env,
          { enable: true },
        );
        try {
          drWrites = await writesAfter(sql, env.validation, publish.endedAt);
        } finally {
          await sql.close();
        }
      } catch {
        drWrites = null;
      }
    }
    return {
      ...base,
      of: "failover",
      drStackExists,
      drPublished: publish?.state === "Succeeded",
      pinned: done("pin-dr"),
      drWrites,
      refusal: null,
    };
  }
  if (run.kind === "point-in-time-restore") {
    if (run.phase === "Completed")
      return refuse(`restore ${req.run} completed: the restored data serves; nothing to abandon`);
    if (done("cut-over")) return refuse(`restore ${req.run} already cut over to the restored data: resume it instead`);
    const f = run.spec["facts"] as unknown as RestoreFacts;
    const primary = readPrimaryOutputs(env.primary.stack, await ports.stacks.outputs(env.primary.stack));
    return {
      ...base,
      of: "point-in-time-restore",
      damaged: { region: env.primary.region, clusterArn: f.damagedClusterArn, secretArn: f.primary.masterSecretArn },
      candidateCluster:
        primary.newestGeneration > primary.databaseGeneration ? primary.newestClusterIdentifier : f.candidateCluster,
      primaryKeys: f.primaryKeys,
      refusal: null,
    };
  }
  return refuse(`${run.kind} runs have nothing to abandon: their cleanup steps already ran`);
}

/** Guards: an abandonable run, not one that is still running elsewhere. */
export function decideAbandon(f: AbandonFacts, _req: AbandonRequest, _env: EnvironmentConfig): Decision {
  if (f.refusal !== null)
    return {
      refusal: new PilotlightError("refused.not-abandonable", f.refusal, {
        source: "user",
        hint: "see `runs list` and `runs show RUN`",
      }),
      warnings: [],
    };
  const warnings: string[] = [];
  if (f.drWrites !== null && f.drWrites.total > 0) {
    warnings.push(
      `DR accepted ${f.drWrites.total} writes after it was published: they are kept in the DR cluster's final snapshot, not brought home`,
    );
  }
  return { warnings };
}

/** The plan: undo what the run left, in the order that keeps traffic safe. */
export function planAbandon(f: AbandonFacts): Plan {
  const report = {
    id: "report",
    title: "Write the report and notify stakeholders",
    dependsOn: [] as string[],
    timeoutMs: 10 * MIN,
    cleanup: true,
  };
  if (f.of === "failover") {
    return {
      steps: [
        {
          id: "withdraw-dr",
          title: "Withdraw DR's record (its gate set): no client goes there",
          dependsOn: [],
          timeoutMs: 15 * MIN,
        },
        {
          id: "release-pin",
          title: f.pinned ? "Release the pin the failover set" : "Release the pin (the failover never set it)",
          dependsOn: ["withdraw-dr"],
          timeoutMs: 15 * MIN,
        },
        {
          id: "retire-dr",
          title: "Lift the DR cluster's protection and retention so the stack can go (final snapshot kept)",
          dependsOn: ["release-pin"],
          timeoutMs: HOUR,
        },
        {
          id: "destroy-dr",
          title: "Destroy the DR stack, cluster included",
          dependsOn: ["retire-dr"],
          timeoutMs: 2 * HOUR,
        },
        { ...report, dependsOn: ["destroy-dr"] },
      ],
    };
  }
  return {
    steps: [
      {
        id: "drop-candidate",
        title: `Drop the candidate generation from the program (${f.candidateCluster ?? "?"})`,
        dependsOn: [],
        timeoutMs: HOUR,
      },
      {
        id: "delete-candidate",
        title: `Delete the candidate cluster ${f.candidateCluster ?? "?"}`,
        dependsOn: ["drop-candidate"],
        timeoutMs: HOUR,
      },
      {
        id: "unfence-primary",
        title: "Lift the fence on the primary: it takes writes again",
        dependsOn: ["delete-candidate"],
        timeoutMs: 10 * MIN,
      },
      { ...report, dependsOn: ["unfence-primary"] },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.facts<AbandonFacts>();

/** Executes an abandon. */
export function abandonHandlers(rc: RunbookContext): StepHandlers {
  const { ports, env, envName } = rc;
  const failoverFacts = async (ctx: StepContext): Promise<FailoverFacts> =>
    (await rc.runs.load(factsOf(ctx).run))!.spec["facts"] as unknown as FailoverFacts;
  return {
    "withdraw-dr": async (ctx): Promise<JsonObject> => {
      const f = await failoverFacts(ctx);
      if (f.primary.drGate === undefined) return { skipped: "no DNS configured" };
      return setGate(ctx, ports, f.primary.drGate, 1);
    },
    "release-pin": async (ctx): Promise<JsonObject> => {
      const f = await failoverFacts(ctx);
      if (!factsOf(ctx).pinned || f.primary.trafficGate === undefined)
        return { skipped: "not pinned by the abandoned run" };
      return setGate(ctx, ports, f.primary.trafficGate, 0);
    },
    "retire-dr": async (ctx): Promise<JsonObject> => {
      if (!(await ports.stacks.exists(env.dr.stack))) return { skipped: "no DR stack" };
      const dr = readDrOutputs(env.dr.stack, await ports.stacks.outputs(env.dr.stack));
      const f = await failoverFacts(ctx);
      const finalSnapshot = runSnapshotId(`${dr.clusterIdentifier}-final`, ctx.runId);
      await upStack(
        ctx,
        ports,
        env.dr.stack,
        env.dr.region,
        drChange(envName, env, {
          restoreSnapshot: dr.restoredFrom,
          kmsKeyArn: f.primary.drKmsKeyArn,
          retire: { finalSnapshot },
        }),
        { phases: false },
      );
      return { finalSnapshot };
    },
    "destroy-dr": async (ctx) => {
      await destroyStack(ctx, ports, env.dr.stack, env.dr.region, { preserveConfig: true });
      return { destroyed: env.dr.stack };
    },
    "drop-candidate": async (ctx) => {
      const f = factsOf(ctx);
      // The primary stack file's keys as they were before the restore: the candidate leaves the
      // program (it is retained, being protected) and the serving generation stays as it was.
      const set = Object.fromEntries(Object.entries(f.primaryKeys).map(([k, value]) => [k, { value }]));
      const remove = OWNED_KEYS.map((k) => `pilotlight:${k}`).filter((k) => f.primaryKeys[k] === undefined);
      await upStack(ctx, ports, env.primary.stack, env.primary.region, { set, remove }, { phases: false });
      return { keys: f.primaryKeys };
    },
    "delete-candidate": async (ctx): Promise<JsonObject> => {
      const id = factsOf(ctx).candidateCluster;
      if (id === null) return { skipped: "no candidate" };
      const c = await ports.databases.describeCluster({ region: env.primary.region, id });
      if (c === undefined) return { skipped: `${id} does not exist` };
      await ports.databases.deleteCluster({
        region: env.primary.region,
        id,
        maxWaitMs: Math.max(0, ctx.deadline - ctx.clock.now()),
        signal: ctx.signal,
      });
      return { deleted: id };
    },
    "unfence-primary": async (ctx): Promise<JsonObject> => {
      const at = factsOf(ctx).damaged!;
      const sql = await openDatabase(ports, at, env, { enable: false });
      try {
        if (!(await isFenced(sql))) return { action: "none: not fenced" };
        await unfence(sql);
        return { action: "unfenced" };
      } finally {
        await sql.close();
      }
    },
    report: reportStep(
      ports,
      env,
      (run) => `Abandon of ${String((run.spec["request"] as JsonObject)["run"])}`,
      (run) =>
        run.steps.every((s) => s.id === "report" || s.state === "Succeeded")
          ? "Everything the abandoned run left was undone; a new run may start."
          : `Not everything was undone: resume with \`resume ${run.id}\`.`,
    ),
  };
}

/** Abandons a failed failover (or a prepared one) or a point-in-time restore that did not cut over. */
export const abandonRunbook: Runbook<AbandonRequest, AbandonFacts> = {
  kind: "abandon",
  request: (raw) => {
    if (typeof raw["run"] !== "string" || raw["run"] === "")
      throw new PilotlightError("config.invalid", "abandon needs the id of the run to abandon", {
        source: "user",
        hint: "e.g. failover --abandon failover-20260101T120000-abc123",
      });
    return { run: raw["run"] };
  },
  gather: gatherAbandonFacts,
  decide: decideAbandon,
  plan: (f) => planAbandon(f),
  handlers: abandonHandlers,
  confirm: (f, _req, ctx) =>
    f.of === "failover"
      ? `Abandon failover ${f.run} of ${ctx.envName}: withdraw DR, destroy the DR stack (its cluster goes with a final snapshot)?`
      : `Abandon restore ${f.run} of ${ctx.envName}: delete the candidate cluster and lift the fence on the primary?`,
};

/** Whether a run was abandoned, by which run (the newest completed abandon naming it). */
export function abandonedBy(run: Run, runs: Run[]): string | undefined {
  return runs.find(
    (r) =>
      r.kind === "abandon" &&
      (r.spec["request"] as JsonObject | undefined)?.["run"] === run.id &&
      r.phase === "Completed",
  )?.id;
}
