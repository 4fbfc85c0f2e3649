import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import type { StepContext } from "../engine/step-context";
import { waitFor } from "../engine/wait";
import type { StackConfigValue } from "../ports/stacks";
import type { SqlClient } from "../store/sql";
import type { RunbookPorts } from "./ports";

/** Resource types whose completion marks a restore phase, and the measurement it sets. */
const PHASE_OF: Record<string, string> = {
  "aws:rds/cluster:Cluster": "phase.clusterMs",
  "aws:rds/clusterInstance:ClusterInstance": "phase.instanceMs",
  "aws:lambda/functionUrl:FunctionUrl": "phase.workloadMs",
};

/**
 * `up` of a stack as a step: the stack is recorded as the step's external reference before the
 * update starts (a resumed step runs `up` again, which converges instead of restoring twice),
 * progress is forwarded, and the time to each restore phase is measured from the step's start.
 */
export async function upStack(
  ctx: StepContext,
  ports: RunbookPorts,
  stack: string,
  region: string,
  config: Record<string, StackConfigValue>,
  o: { /** Prefix of the phase measurements (a run's second stand-up), or `false` for none. */ phases?: string | false } = {},
): Promise<JsonObject> {
  if (ctx.external === undefined) await ctx.recordExternal({ kind: "stack", id: stack, region });
  const started = ctx.clock.now();
  const phases: Record<string, number> = {};
  const result = await ports.stacks.up(stack, config, {
    signal: ctx.signal,
    deadline: ctx.deadline,
    onProgress: (p) => {
      if (p.status === "done" && p.type !== undefined && PHASE_OF[p.type] !== undefined) phases[PHASE_OF[p.type]!] = ctx.clock.now() - started;
      if (p.status !== "started") ctx.progress(`${stack}: ${p.op ?? "update"} ${p.type ?? ""} ${p.resource ?? ""} ${p.status}`.replace(/\s+/g, " "), { status: p.status });
    },
  });
  if (o.phases !== false) for (const [name, ms] of Object.entries(phases)) await ctx.measure(`${o.phases ?? ""}${name}`, ms);
  return result.outputs;
}

/** Opens SQL access to a cluster from a stack's outputs. */
export async function openDatabase(ports: RunbookPorts, region: string, outputs: JsonObject, env: EnvironmentConfig): Promise<SqlClient> {
  const clusterArn = String(outputs["clusterArn"] ?? "");
  const secretArn = outputs["masterSecretArn"] === undefined ? undefined : String(outputs["masterSecretArn"]);
  return ports.sqlAccess.open({ region, clusterArn, ...(secretArn === undefined ? {} : { secretArn }), database: env.validation.database });
}

/** Waits until the record name (the production one unless `name` is given) answers with `host` (bounded); `traffic.not-switched` otherwise. */
export async function waitForDns(ctx: StepContext, ports: RunbookPorts, env: EnvironmentConfig, host: string, maxWaitMs: number, name?: string): Promise<void> {
  const dns = { ...env.dns!, ...(name === undefined ? {} : { name }) };
  let seen: string[] = [];
  try {
    await waitFor({
      clock: ctx.clock,
      what: `${dns.name} answering ${host}`,
      maxWaitMs: Math.min(maxWaitMs, Math.max(0, ctx.deadline - ctx.clock.now())),
      signal: ctx.signal,
      minDelayMs: 10_000,
      maxDelayMs: 30_000,
      check: async () => {
        seen = await ports.traffic.resolve({ zoneId: dns.zoneId, name: dns.name, type: "CNAME" });
        return seen.includes(host) ? { state: "SUCCESS", value: undefined } : { state: "RETRY", observed: seen.join(", ") || "no answer" };
      },
      onRetry: (observed) => ctx.progress(`waiting for ${dns.name} to answer ${host} (now: ${observed ?? "?"})`),
    });
  } catch (error) {
    if (error instanceof PilotlightError && error.code === "wait.timed-out") {
      throw new PilotlightError("traffic.not-switched", `${dns.name} still answers ${seen.join(", ") || "nothing"}, not ${host}`, {
        source: "aws",
        hint: "check the failover records and health checks in Route 53; then resume the run",
        details: { name: dns.name, expected: host, answers: seen },
      });
    }
    throw error;
  }
}

/** Waits until the workload answers healthy with a read/write probe (bounded); `workload.unhealthy` otherwise. */
export async function waitForHealthy(ctx: StepContext, ports: RunbookPorts, url: string, maxWaitMs: number): Promise<void> {
  let reason = "";
  try {
    await waitFor({
      clock: ctx.clock,
      what: `${url} healthy`,
      maxWaitMs: Math.min(maxWaitMs, Math.max(0, ctx.deadline - ctx.clock.now())),
      signal: ctx.signal,
      minDelayMs: 10_000,
      maxDelayMs: 30_000,
      check: async () => {
        const r = await ports.health.probe({ url, timeoutMs: 5_000, signal: ctx.signal, readWrite: true });
        reason = r.reason ?? "";
        return r.ok ? { state: "SUCCESS", value: undefined } : { state: "RETRY", observed: r.reason ?? `status ${r.status}` };
      },
    });
  } catch (error) {
    if (error instanceof PilotlightError && error.code === "wait.timed-out") {
      throw new PilotlightError("workload.unhealthy", `the workload at ${url} did not answer healthy: ${reason}`, { source: "aws", details: { url, reason } });
    }
    throw error;
  }
}

/** The host of a URL output. */
export function hostOf(url: unknown): string {
  return new URL(String(url)).host;
}

/** The id of a run's manual cluster snapshot (at most 63 characters, no trailing hyphen). */
export function runSnapshotId(prefix: string, runId: string): string {
  return `${prefix}-${runId.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(-40)}`.replace(/-+$/, "");
}

/** A manual snapshot of a cluster as a step: started once (its id is the step's external reference), then waited for. */
export async function snapshotCluster(ctx: StepContext, ports: RunbookPorts, q: { region: string; clusterId: string; snapshotId: string; tags: Record<string, string> }): Promise<JsonObject> {
  if (ctx.external === undefined) {
    await ports.databases.createClusterSnapshot(q);
    await ctx.recordExternal({ kind: "cluster-snapshot", id: q.snapshotId, region: q.region });
  }
  const s = await ports.databases.waitForSnapshotAvailable({ region: q.region, id: q.snapshotId, maxWaitMs: ctx.deadline - ctx.clock.now(), signal: ctx.signal });
  return { arn: s.arn };
}

/**
 * A cross-region snapshot copy as a step: called in the destination region with the source ARN and
 * a destination-region key (RDS API Reference, CopyDBClusterSnapshot), then waited for.
 */
export async function copySnapshot(ctx: StepContext, ports: RunbookPorts, q: { sourceArn: string; targetRegion: string; targetId: string; kmsKeyId: string; tags: Record<string, string> }): Promise<JsonObject> {
  if (ctx.external === undefined) {
    await ports.databases.copyClusterSnapshot(q);
    await ctx.recordExternal({ kind: "cluster-snapshot-copy", id: q.targetId, region: q.targetRegion });
  }
  const s = await ports.databases.waitForSnapshotAvailable({ region: q.targetRegion, id: q.targetId, maxWaitMs: ctx.deadline - ctx.clock.now(), signal: ctx.signal });
  return { arn: s.arn };
}
