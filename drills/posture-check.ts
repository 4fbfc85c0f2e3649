import { PilotlightError } from "../automation/domain/errors";
import type { JsonObject } from "../automation/domain/json";
import { formatDuration } from "../automation/domain/objectives";
import type { Plan } from "../automation/domain/plan";
import type { StepContext, StepHandlers } from "../automation/engine/step-context";
import { readPrimaryOutputs } from "../infra/contract";
import { openDatabase } from "../automation/runbooks/actions";
import { writesAfter } from "../automation/runbooks/data-checks";
import { fence, isFenced } from "../automation/runbooks/fencing";
import { reportStep } from "../automation/runbooks/report-step";
import type { Runbook, RunbookContext } from "../automation/runbooks/runbook";

const MIN = 60_000;
/** Jobs of this period are checked (the schedule is hourly by default). */
const PERIOD_MS = 24 * 60 * MIN;

/** Facts of a posture check. */
export interface PostureFacts {
  env: string;
  declaredAt: number;
  clusterIdentifier: string;
  clusterArn: string;
  masterSecretArn: string;
  primaryKmsKeyArn: string;
  drKmsKeyArn: string;
  /** When traffic left the primary, while a failover serves from DR (the old primary must stay fenced). */
  failedOverAt: number | null;
}

/** Reads what the checks need. */
export async function gatherPostureFacts(ctx: RunbookContext): Promise<PostureFacts> {
  const { ports, env, envName } = ctx;
  const primary = readPrimaryOutputs(env.primary.stack, await ports.stacks.outputs(env.primary.stack));
  let failedOverAt: number | null = null;
  if (await ports.stacks.exists(env.dr.stack)) {
    const failover = (await ctx.runs.list({ kind: "failover", limit: 50 })).find(
      (r) => r.spec["env"] === envName && r.steps.some((s) => s.id === "publish-dr" && s.state === "Succeeded"),
    );
    failedOverAt = failover?.steps.find((s) => s.id === "publish-dr")?.endedAt ?? null;
  }
  return {
    env: envName,
    declaredAt: ports.clock.now(),
    clusterIdentifier: primary.clusterIdentifier,
    clusterArn: primary.clusterArn,
    masterSecretArn: primary.masterSecretArn,
    primaryKmsKeyArn: primary.primaryKmsKeyArn,
    drKmsKeyArn: primary.drKmsKeyArn,
    failedOverAt,
  };
}

/** Independent checks, in parallel; each fails with what it found. */
export function planPosture(): Plan {
  return {
    steps: [
      { id: "backup-jobs", title: "Backup jobs of the last day succeeded", dependsOn: [], timeoutMs: 10 * MIN },
      {
        id: "copy-jobs",
        title: "Cross-region copy jobs of the last day succeeded",
        dependsOn: [],
        timeoutMs: 10 * MIN,
      },
      {
        id: "dr-copy-fresh",
        title: "The newest copy in the DR vault is younger than the RPO",
        dependsOn: [],
        timeoutMs: 10 * MIN,
      },
      {
        id: "vaults-present",
        title: "Both backup vaults exist, the DR vault encrypted with the pilot light's DR key",
        dependsOn: [],
        timeoutMs: 10 * MIN,
      },
      { id: "keys-enabled", title: "The primary and DR KMS keys are enabled", dependsOn: [], timeoutMs: 10 * MIN },
      {
        id: "backup-opt-in",
        title: "AWS Backup is opted in to Aurora in the primary region (a tag selection backs nothing up otherwise)",
        dependsOn: [],
        timeoutMs: 10 * MIN,
      },
      {
        id: "old-primary-fenced",
        title: "While DR serves: the old primary is fenced, and what it accepted since the failover is reported",
        dependsOn: [],
        timeoutMs: 10 * MIN,
      },
      {
        id: "report",
        title: "Report and alert when something is wrong",
        dependsOn: [
          "backup-jobs",
          "copy-jobs",
          "dr-copy-fresh",
          "vaults-present",
          "keys-enabled",
          "backup-opt-in",
          "old-primary-fenced",
        ],
        timeoutMs: 10 * MIN,
        cleanup: true,
      },
    ],
  };
}

const factsOf = (ctx: StepContext) => ctx.facts<PostureFacts>();

/** Executes the posture checks. */
export function postureHandlers(rc: RunbookContext): StepHandlers {
  const { ports, envName, env } = rc;
  const jobs = (kind: "backup" | "copy") => async (ctx: StepContext) => {
    const since = factsOf(ctx).declaredAt - PERIOD_MS;
    const list = await ports.backups.listJobs({ region: env.primary.region, kind, since, signal: ctx.signal });
    const failed = list.filter(
      (j) => j.state === "FAILED" || j.state === "ABORTED" || j.state === "EXPIRED" || j.state === "PARTIAL",
    );
    if (failed.length > 0) {
      throw new PilotlightError(
        "posture.failed",
        `${failed.length} of ${list.length} ${kind} jobs since ${new Date(since).toISOString()} did not complete (${failed
          .slice(0, 3)
          .map((j) => `${j.id}: ${j.state}${j.statusMessage === undefined ? "" : ` ${j.statusMessage}`}`)
          .join("; ")})`,
        { source: "aws", details: { failed: failed.length, total: list.length } },
      );
    }
    return { total: list.length, failed: 0 };
  };
  return {
    "backup-jobs": jobs("backup"),
    "copy-jobs": jobs("copy"),
    "dr-copy-fresh": async (ctx) => {
      const f = factsOf(ctx);
      // Listing the vault also proves that it exists and that its key lets us read it.
      const points = (
        await ports.backups.listRecoveryPoints({
          region: env.dr.region,
          vault: env.dr.vault,
          resourceArn: f.clusterArn,
          signal: ctx.signal,
        })
      ).filter((p) => p.status === "COMPLETED" || p.status === "AVAILABLE");
      const newest = points.sort((a, b) => b.createdAt - a.createdAt)[0];
      if (newest === undefined)
        throw new PilotlightError(
          "posture.failed",
          `no completed copy of the primary in ${env.dr.vault} (${env.dr.region})`,
          { source: "aws" },
        );
      const age = f.declaredAt - newest.createdAt;
      await ctx.measure("rpoMs", age);
      if (age > env.objectives.rpo) {
        throw new PilotlightError(
          "posture.failed",
          `the newest DR copy is ${formatDuration(age)} old, beyond the RPO target of ${formatDuration(env.objectives.rpo)}`,
          { source: "aws", details: { ageMs: age, rpoMs: env.objectives.rpo } },
        );
      }
      return { newest: newest.arn, ageMs: age };
    },
    "vaults-present": async (ctx) => {
      const f = factsOf(ctx);
      const found: JsonObject = {};
      for (const [region, vault] of [
        [env.primary.region, env.primary.vault],
        [env.dr.region, env.dr.vault],
      ] as const) {
        const v = await ports.backups.describeVault({ region, vault });
        if (v === undefined)
          throw new PilotlightError("posture.failed", `backup vault ${vault} does not exist in ${region}`, {
            source: "aws",
            hint: "deploy the primary stack (pulumi up -s primary); the backup plan has nowhere to write",
            details: { vault, region },
          });
        found[`${region}/${vault}`] = v.recoveryPoints;
        if (
          region === env.dr.region &&
          f.drKmsKeyArn !== "" &&
          v.encryptionKeyArn !== undefined &&
          v.encryptionKeyArn !== f.drKmsKeyArn
        ) {
          throw new PilotlightError(
            "posture.failed",
            `the DR vault ${vault} is encrypted with ${v.encryptionKeyArn}, not the pilot light's DR key ${f.drKmsKeyArn}`,
            { source: "aws", details: { vault, key: v.encryptionKeyArn, expected: f.drKmsKeyArn } },
          );
        }
      }
      return { recoveryPoints: found };
    },
    "keys-enabled": async (ctx) => {
      const f = factsOf(ctx);
      const states: JsonObject = {};
      for (const [region, keyArn, role] of [
        [env.primary.region, f.primaryKmsKeyArn, "primary"],
        [env.dr.region, f.drKmsKeyArn, "DR"],
      ] as const) {
        if (keyArn === "")
          throw new PilotlightError("posture.failed", `the primary stack exports no ${role} key ARN`, {
            source: "user",
            hint: "deploy the primary program of this version (pulumi up -s primary)",
          });
        const k = await ports.keys.describeKey({ region, keyArn });
        states[role] = k?.state ?? "not found";
        // A disabled key, or one pending deletion, makes every recovery point it encrypts
        // unrestorable (AWS KMS Developer Guide, "Key states of AWS KMS keys").
        if (k === undefined || !k.enabled) {
          throw new PilotlightError(
            "posture.failed",
            `the ${role} KMS key ${keyArn} is ${k?.state ?? "not found"}: what it encrypts cannot be restored`,
            {
              source: "aws",
              hint:
                k?.state === "PendingDeletion"
                  ? "cancel the key's deletion (aws kms cancel-key-deletion) and enable it"
                  : "enable the key (aws kms enable-key)",
              details: { key: keyArn, state: k?.state ?? "not found" },
            },
          );
        }
      }
      return states;
    },
    "backup-opt-in": async () => {
      const settings = await ports.backups.regionSettings({ region: env.primary.region });
      if (settings.optIn["Aurora"] !== true) {
        throw new PilotlightError(
          "posture.failed",
          `AWS Backup is not opted in to Aurora in ${env.primary.region}: the plan's tag selection backs nothing up`,
          {
            source: "aws",
            hint: `opt in: aws backup update-region-settings --region ${env.primary.region} --resource-type-opt-in-preference Aurora=true (or set pilotlight:manageBackupOptIn on the primary stack)`,
            details: { region: env.primary.region },
          },
        );
      }
      return { aurora: true };
    },
    "old-primary-fenced": async (ctx): Promise<JsonObject> => {
      const f = factsOf(ctx);
      if (f.failedOverAt === null) return { skipped: "not failed over" };
      const cluster = await ports.databases
        .describeCluster({ region: env.primary.region, id: f.clusterIdentifier })
        .catch(() => undefined);
      if (cluster === undefined || cluster.instances.length === 0)
        return { skipped: `${f.clusterIdentifier} does not answer` };
      // The old primary is reachable again: nothing may land there any more (split brain).
      const sql = await openDatabase(
        ports,
        { region: env.primary.region, clusterArn: f.clusterArn, secretArn: f.masterSecretArn },
        env,
        { enable: false },
      );
      try {
        const wasFenced = await isFenced(sql);
        if (!wasFenced) await fence(sql);
        const stranded = await writesAfter(sql, env.validation, f.failedOverAt);
        if (stranded.total > 0) {
          throw new PilotlightError(
            "posture.failed",
            `the old primary ${f.clusterIdentifier} accepted ${stranded.total} writes after the failover (${stranded.tables
              .filter((t) => t.rows > 0)
              .map((t) => `${t.table}: ${t.rows}`)
              .join(", ")}); it is fenced now`,
            {
              source: "aws",
              hint: "reconcile these writes before failback (failback refuses without --accept-stranded-writes)",
              details: { stranded: stranded as unknown as JsonObject },
            },
          );
        }
        return { fenced: true, fencedNow: !wasFenced, strandedWrites: 0 };
      } finally {
        await sql.close();
      }
    },
    report: reportStep(ports, env, `Posture check of ${envName}`, (run) =>
      run.phase === "Completed"
        ? "Backups, copies and the DR vault are in shape."
        : "The DR posture is broken: see the failed checks.",
    ),
  };
}

/** The hourly posture check: read-only but for fencing an old primary that came back. */
export const postureRunbook: Runbook<JsonObject, PostureFacts> = {
  kind: "posture-check",
  request: () => ({}),
  gather: (ctx) => gatherPostureFacts(ctx),
  decide: () => ({ warnings: [] }),
  plan: () => planPosture(),
  handlers: postureHandlers,
};
