import { OWNED_KEYS } from "../../infra/contract";
import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError, isPilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import type { StepContext } from "../engine/step-context";
import { waitFor } from "../engine/wait";
import { assertDeletable } from "../domain/tag-guard";
import type { StackConfigChange } from "../ports/stacks";
import type { TrafficGate } from "../ports/traffic";
import type { SqlClient } from "../ports/sql";
import type { RunbookPorts } from "../ports/runbook-ports";

const MIN = 60_000;

/** Resource types whose completion marks a restore phase, and the measurement it sets. */
const PHASE_OF: Record<string, string> = {
  "aws:rds/cluster:Cluster": "phase.clusterMs",
  "aws:rds/clusterInstance:ClusterInstance": "phase.instanceMs",
  "aws:lambda/functionUrl:FunctionUrl": "phase.workloadMs",
  "aws:ssm/parameter:Parameter": "phase.workloadMs",
};

/** The remaining time of a step, for a wait inside it. */
export function remaining(ctx: StepContext, atMost = Number.POSITIVE_INFINITY): number {
  return Math.min(atMost, Math.max(0, ctx.deadline - ctx.clock.now()));
}

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
  change: StackConfigChange,
  o: {
    /** Prefix of the phase measurements (a run's second stand-up), or `false` for none. */ phases?: string | false;
  } = {},
): Promise<JsonObject> {
  if (ctx.external === undefined) await ctx.recordExternal({ kind: "stack", id: stack, region });
  const started = ctx.clock.now();
  const phases: Record<string, number> = {};
  const result = await ports.stacks.up(stack, change, {
    signal: ctx.signal,
    deadline: ctx.deadline,
    onProgress: (p) => {
      if (p.status === "done" && p.type !== undefined && PHASE_OF[p.type] !== undefined)
        phases[PHASE_OF[p.type]!] ??= ctx.clock.now() - started;
      if (p.status !== "started")
        ctx.progress(
          `${stack}: ${p.op ?? "update"} ${p.type ?? ""} ${p.resource ?? ""} ${p.status}`.replace(/\s+/g, " "),
          { status: p.status },
        );
    },
  });
  if (o.phases !== false)
    for (const [name, ms] of Object.entries(phases)) await ctx.measure(`${o.phases ?? ""}${name}`, ms);
  return result.outputs;
}

/**
 * Destroys a stack, the one way pilotlight removes a stack: refused when one of its clusters is
 * kept for forensics or is not pilotlight's (the tag guard every deletion passes).
 */
export async function destroyStack(
  ctx: StepContext,
  ports: RunbookPorts,
  stack: string,
  region: string,
  o: { preserveConfig: boolean },
): Promise<void> {
  if (!(await ports.stacks.exists(stack))) return;
  const outputs = await ports.stacks.outputs(stack);
  const id = outputs["clusterIdentifier"];
  if (typeof id === "string") {
    const c = await ports.databases.describeCluster({ region, id });
    if (c !== undefined) assertDeletable("stack", `${stack} (cluster ${id})`, region, c.tags);
  }
  if (ctx.external === undefined) await ctx.recordExternal({ kind: "stack-destroy", id: stack, region });
  // The kept stack file loses what runs set (config set-all never removes a key).
  const removeKeys = o.preserveConfig ? OWNED_KEYS.map((k) => `pilotlight:${k}`) : [];
  await ports.stacks.destroy(stack, {
    signal: ctx.signal,
    deadline: ctx.deadline,
    remove: true,
    preserveConfig: o.preserveConfig,
    removeKeys,
  });
}

/** Where a database is: its cluster and the secret the Data API uses. */
export interface DatabaseAt {
  region: string;
  clusterArn: string;
  secretArn?: string;
}

/**
 * Opens SQL access to a cluster through the Data API — after checking that the API is on. A
 * cluster restored through the provider comes up with it off (the restore APIs have no such
 * field; fidelity ledger); pilotlight turns it on for the clusters it restored (`enable`), and
 * names the fix for any other.
 */
export async function openDatabase(
  ports: RunbookPorts,
  at: DatabaseAt,
  env: EnvironmentConfig,
  o: { enable: boolean },
): Promise<SqlClient> {
  const id = at.clusterArn.split(":").pop() ?? at.clusterArn;
  const cluster = await ports.databases.describeCluster({ region: at.region, id });
  if (cluster === undefined) {
    throw new PilotlightError("aws.not-found", `cluster ${id} does not exist in ${at.region}`, {
      source: "aws",
      details: { cluster: id, region: at.region },
    });
  }
  if (!cluster.httpEndpointEnabled) {
    if (!o.enable) {
      throw new PilotlightError(
        "dataapi.disabled",
        `the RDS Data API is off on cluster ${id}: pilotlight reads and fences the database through it`,
        {
          source: "user",
          hint: `turn it on: aws rds enable-http-endpoint --resource-arn ${at.clusterArn} --region ${at.region} (or enableHttpEndpoint in the program)`,
          details: { cluster: id, region: at.region },
        },
      );
    }
    await ports.databases.enableHttpEndpoint({ region: at.region, clusterArn: at.clusterArn });
  }
  // The member flagged as writer, not the first listed: the order of DBClusterMembers is not documented.
  const writer = cluster.instances.find((i) => i.writer);
  if (writer?.instanceClass !== undefined && writer.instanceClass.startsWith("db.t")) {
    throw new PilotlightError(
      "dataapi.unsupported",
      `cluster ${id}'s writer is a ${writer.instanceClass}: the RDS Data API does not serve T instance classes`,
      {
        source: "user",
        hint: "use a db.r*/db.x* class or db.serverless (Aurora User Guide, Limitations for the Amazon RDS Data API)",
        details: { cluster: id, instanceClass: writer.instanceClass },
      },
    );
  }
  return ports.sqlAccess.open({
    region: at.region,
    clusterArn: at.clusterArn,
    ...(at.secretArn === undefined || at.secretArn === "" ? {} : { secretArn: at.secretArn }),
    database: env.validation.database,
  });
}

/** The names clients use, and where to ask what they answer. */
export interface DnsTarget {
  zoneId: string;
  name: string;
  nameServers: string[];
}

/**
 * Waits until the zone's authoritative servers answer `host` for the name (bounded);
 * `traffic.not-switched` otherwise. Clients follow within the TTL.
 */
export async function waitForDns(
  ctx: StepContext,
  ports: RunbookPorts,
  dns: DnsTarget,
  host: string,
  maxWaitMs: number,
): Promise<void> {
  let seen: string[] = [];
  try {
    await waitFor({
      clock: ctx.clock,
      what: `${dns.name} answering ${host}`,
      maxWaitMs: remaining(ctx, maxWaitMs),
      signal: ctx.signal,
      minDelayMs: 10_000,
      maxDelayMs: 30_000,
      check: async () => {
        seen = await ports.traffic.resolve(dns);
        return seen.includes(host)
          ? { state: "SUCCESS", value: undefined }
          : { state: "RETRY", observed: seen.join(", ") || "no answer" };
      },
      onRetry: (observed) => ctx.progress(`waiting for ${dns.name} to answer ${host} (now: ${observed ?? "?"})`),
    });
  } catch (error) {
    if (isPilotlightError(error) && error.code === "wait.timed-out") {
      throw new PilotlightError(
        "traffic.not-switched",
        `${dns.name} still answers ${seen.join(", ") || "nothing"}, not ${host}`,
        {
          source: "aws",
          hint: "check the failover records, the health checks and the traffic gates; then resume the run",
          details: { name: dns.name, expected: host, answers: seen },
        },
      );
    }
    throw error;
  }
}

/** Waits until the workload answers healthy with a read/write probe (bounded); `workload.unhealthy` otherwise. */
export async function waitForHealthy(
  ctx: StepContext,
  ports: RunbookPorts,
  url: string,
  maxWaitMs: number,
): Promise<void> {
  let reason = "";
  try {
    await waitFor({
      clock: ctx.clock,
      what: `${url} healthy`,
      maxWaitMs: remaining(ctx, maxWaitMs),
      signal: ctx.signal,
      minDelayMs: 10_000,
      maxDelayMs: 30_000,
      check: async () => {
        const r = await ports.health.probe({ url, timeoutMs: 5_000, signal: ctx.signal, readWrite: true });
        reason = r.reason ?? "";
        return r.ok
          ? { state: "SUCCESS", value: undefined }
          : { state: "RETRY", observed: r.reason ?? `status ${r.status}` };
      },
    });
  } catch (error) {
    if (isPilotlightError(error) && error.code === "wait.timed-out") {
      throw new PilotlightError("workload.unhealthy", `the workload at ${url} did not answer healthy: ${reason}`, {
        source: "aws",
        details: { url, reason },
      });
    }
    throw error;
  }
}

/**
 * Sets a traffic gate and waits until its alarm says so (bounded): the gate's metric is set in
 * the DR region, a data-plane call; Route 53 reads the alarm on its own data plane.
 */
export async function setGate(
  ctx: StepContext,
  ports: RunbookPorts,
  gate: TrafficGate,
  value: 0 | 1,
  maxWaitMs = 10 * MIN,
): Promise<JsonObject> {
  const change = await ports.traffic.setGate({ gate, value });
  const want = value === 1 ? "ALARM" : "OK";
  await waitFor({
    clock: ctx.clock,
    what: `${gate.metric}=${value} (${want})`,
    maxWaitMs: remaining(ctx, maxWaitMs),
    signal: ctx.signal,
    minDelayMs: 20_000,
    maxDelayMs: 30_000,
    check: async () => {
      const state = await ports.traffic.gateState({ gate });
      return state === want ? { state: "SUCCESS", value: undefined } : { state: "RETRY", observed: state };
    },
  });
  return { gate: gate.metric, value, changeId: change.changeId };
}

/** The host of a URL output. */
export function hostOf(url: unknown): string {
  return new URL(String(url)).host;
}

/** The id of a run's manual cluster snapshot (at most 63 characters, no trailing hyphen). */
export function runSnapshotId(prefix: string, runId: string): string {
  return `${prefix}-${runId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(-40)}`
    .replace(/-+/g, "-")
    .replace(/-+$/, "");
}

/** A manual snapshot of a cluster as a step: started once (its id is the step's external reference), then waited for. */
export async function snapshotCluster(
  ctx: StepContext,
  ports: RunbookPorts,
  q: { region: string; clusterId: string; snapshotId: string; tags: Record<string, string> },
): Promise<JsonObject> {
  // Recorded before it is started, and started only if absent: a process killed in between
  // leaves a run whose resume starts it once.
  if (ctx.external === undefined)
    await ctx.recordExternal({ kind: "cluster-snapshot", id: q.snapshotId, region: q.region });
  if ((await ports.databases.describeClusterSnapshot({ region: q.region, id: q.snapshotId })) === undefined)
    await ports.databases.createClusterSnapshot(q);
  const s = await ports.databases.waitForSnapshotAvailable({
    region: q.region,
    id: q.snapshotId,
    maxWaitMs: remaining(ctx),
    signal: ctx.signal,
  });
  return { arn: s.arn, ...(s.engineVersion === undefined ? {} : { engineVersion: s.engineVersion }) };
}

/**
 * A cross-region snapshot copy as a step: called in the destination region with the source ARN and
 * a destination-region key (RDS API Reference, CopyDBClusterSnapshot), then waited for.
 */
export async function copySnapshot(
  ctx: StepContext,
  ports: RunbookPorts,
  q: { sourceArn: string; targetRegion: string; targetId: string; kmsKeyId: string; tags: Record<string, string> },
): Promise<JsonObject> {
  if (ctx.external === undefined)
    await ctx.recordExternal({ kind: "cluster-snapshot-copy", id: q.targetId, region: q.targetRegion });
  if ((await ports.databases.describeClusterSnapshot({ region: q.targetRegion, id: q.targetId })) === undefined)
    await ports.databases.copyClusterSnapshot(q);
  const s = await ports.databases.waitForSnapshotAvailable({
    region: q.targetRegion,
    id: q.targetId,
    maxWaitMs: remaining(ctx),
    signal: ctx.signal,
  });
  return { arn: s.arn, ...(s.engineVersion === undefined ? {} : { engineVersion: s.engineVersion }) };
}
