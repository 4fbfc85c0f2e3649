import { PilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import type { StackConfigValue, StackOperationOptions, StackProgress, StackUpdateResult, Stacks } from "../ports/stacks";
import { draw, type DurationRange } from "./durations";
import { evaluateProgram, type DeclaredResource } from "./program-under-mocks";
import type { SandboxCluster } from "./cluster";
import type { SandboxWorld } from "./world";

interface StackState {
  region: string;
  resources: DeclaredResource[];
  outputs: JsonObject;
}

const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

/** When a resource's creation started and ended, and what it waited for. */
export interface ResourceSpan {
  key: string;
  type: string;
  start: number;
  end: number;
  deps: string[];
}

/**
 * Which declared resources each one depends on: those whose id or computed outputs (ARNs, URLs,
 * hosts, endpoints) appear in its inputs — what Pulumi learns from outputs passed as inputs.
 */
export function dependencies(declared: DeclaredResource[]): Map<string, Set<string>> {
  const marks = declared.map((r) => {
    const values = new Set<string>([JSON.stringify(r.id)]);
    const visit = (v: unknown) => {
      if (typeof v === "string" && v.length > 20 && /[:.]/.test(v) && !JSON.stringify(r.inputs).includes(v)) {
        values.add(v);
        if (v.startsWith("https://")) values.add(new URL(v).host);
      } else if (Array.isArray(v)) v.forEach(visit);
      else if (typeof v === "object" && v !== null) Object.values(v).forEach(visit);
    };
    visit(r.state);
    return { key: key(r), values: [...values] };
  });
  const out = new Map<string, Set<string>>();
  for (const r of declared) {
    const text = JSON.stringify(r.inputs);
    out.set(key(r), new Set(marks.filter((m) => m.key !== key(r) && m.values.some((v) => text.includes(v))).map((m) => m.key)));
  }
  return out;
}

/**
 * Pulumi stacks in the sandbox. `up` evaluates the real infra program under runtime mocks (so the
 * sandbox deploys what the program declares, not a hand-made model), diffs it with the stack's
 * state, and plays the creations out in the world on the virtual clock with modelled durations:
 * a restored cluster comes without an instance; the instances the program declares follow.
 */
export class SandboxStacks implements Stacks {
  private readonly stacks = new Map<string, StackState>();
  /** Timing of the creations of each stack's last `up` (the RTO benchmark reads the critical path). */
  readonly spans = new Map<string, ResourceSpan[]>();
  private lock: Promise<void> = Promise.resolve();
  /** Mock id of a cluster resource → its cluster identifier (instances refer to the id). */
  private readonly clusterIds = new Map<string, string>();

  constructor(
    private readonly world: SandboxWorld,
    /** Region of a stack (`aws:region` of its config when given). */
    private readonly defaultRegion: (stack: string) => string,
  ) {}

  async exists(stack: string): Promise<boolean> {
    return this.stacks.has(stack);
  }

  async outputs(stack: string): Promise<JsonObject> {
    const s = this.stacks.get(stack);
    if (s === undefined) throw new PilotlightError("pulumi.stack-not-found", `stack ${stack} does not exist`, { source: "user" });
    return structuredClone(s.outputs);
  }

  async preview(stack: string, config: Record<string, StackConfigValue>, _opts: StackOperationOptions): Promise<StackUpdateResult> {
    const { declared, outputs, region: _r } = await this.evaluate(stack, config);
    const previous = this.stacks.get(stack)?.resources ?? [];
    return { outputs, changes: diffCounts(previous, declared) };
  }

  async up(stack: string, config: Record<string, StackConfigValue>, opts: StackOperationOptions): Promise<StackUpdateResult> {
    return this.exclusive(async () => {
      const { declared, outputs, region } = await this.evaluate(stack, config);
      const state = this.stacks.get(stack) ?? { region, resources: [], outputs: {} };
      this.stacks.set(stack, state);
      const have = new Set(state.resources.map(key));
      const changes: Record<string, number> = { create: 0, same: 0, delete: 0 };
      for (const r of declared) {
        if (!have.has(key(r))) continue;
        const i = state.resources.findIndex((x) => key(x) === key(r));
        if (JSON.stringify(state.resources[i]!.inputs) === JSON.stringify(r.inputs)) {
          changes["same"]! += 1;
        } else {
          this.update(r);
          state.resources[i] = r;
          changes["update"] = (changes["update"] ?? 0) + 1;
        }
      }
      // Creations run like Pulumi's: each resource as soon as the resources it depends on exist,
      // independent ones in parallel. A failure stops new creations; those under way finish.
      const deps = dependencies(declared);
      const pending = declared.filter((r) => !have.has(key(r)));
      const done = new Set(state.resources.map(key));
      const running = new Map<string, Promise<void>>();
      const spans: ResourceSpan[] = [];
      let failure: unknown;
      for (;;) {
        if (failure === undefined) {
          for (const r of pending.filter((x) => !running.has(key(x)) && !done.has(key(x)))) {
            if (![...(deps.get(key(r)) ?? [])].every((d) => done.has(d))) continue;
            const progress = (status: StackProgress["status"], message?: string) => opts.onProgress?.({ resource: r.name, type: r.type, op: "create", status, ...(message === undefined ? {} : { message }) });
            const started = this.world.clock.now();
            progress("started");
            running.set(
              key(r),
              this.create(r, region, opts).then(
                () => {
                  // Persisted as it lands, like Pulumi's checkpoint: a failed `up` keeps what was created.
                  state.resources.push(r);
                  done.add(key(r));
                  changes["create"]! += 1;
                  spans.push({ key: key(r), type: r.type, start: started, end: this.world.clock.now(), deps: [...(deps.get(key(r)) ?? [])] });
                  progress("done");
                },
                (error: unknown) => {
                  failure ??= error;
                  progress("failed", error instanceof Error ? error.message : String(error));
                },
              ),
            );
          }
        }
        if (running.size === 0) break;
        const finished = await Promise.race([...running.entries()].map(([k, p]) => p.then(() => k)));
        running.delete(finished);
      }
      this.spans.set(stack, spans);
      if (failure !== undefined) throw failure;
      const stuck = pending.filter((r) => !done.has(key(r)));
      if (stuck.length > 0) throw new PilotlightError("pulumi.error", `stack ${stack}: could not order ${stuck.map(key).join(", ")} (dependency cycle)`, { source: "system" });
      const wanted = new Set(declared.map(key));
      for (const r of [...state.resources].reverse()) {
        if (wanted.has(key(r))) continue;
        await this.remove(r, opts);
        state.resources = state.resources.filter((x) => key(x) !== key(r));
        changes["delete"]! += 1;
      }
      state.outputs = outputs;
      return { outputs: structuredClone(outputs), changes };
    });
  }

  async refresh(_stack: string, _opts: StackOperationOptions): Promise<void> {
    // The sandbox's state never drifts from its world.
  }

  async destroy(stack: string, opts: StackOperationOptions & { remove: boolean; preserveConfig?: boolean }): Promise<void> {
    await this.exclusive(async () => {
      const state = this.stacks.get(stack);
      if (state === undefined) return;
      if (this.world.faults.destroyFailures > 0) {
        this.world.faults.destroyFailures -= 1;
        throw new PilotlightError("pulumi.error", `stack ${stack}: deleting aws:ec2/securityGroup:SecurityGroup: DependencyViolation: resource has a dependent object`, { source: "aws" });
      }
      for (const r of [...state.resources].reverse()) {
        opts.onProgress?.({ resource: r.name, type: r.type, op: "delete", status: "started" });
        await this.remove(r, opts);
        state.resources = state.resources.filter((x) => key(x) !== key(r));
        opts.onProgress?.({ resource: r.name, type: r.type, op: "delete", status: "done" });
      }
      state.outputs = {};
      if (opts.remove) this.stacks.delete(stack);
    });
  }

  /** Names of the stacks that exist (the sweeper lists drill stacks). */
  async list(): Promise<string[]> {
    return [...this.stacks.keys()];
  }

  private async evaluate(stack: string, config: Record<string, StackConfigValue>) {
    const raw: Record<string, string> = {};
    let region = this.defaultRegion(stack);
    for (const [k, v] of Object.entries(config)) {
      if (k === "aws:region") region = v.value;
      else if (k.startsWith("pilotlight:")) raw[k.slice("pilotlight:".length)] = v.value;
    }
    let result;
    try {
      result = await this.world.clock.track(this.exclusiveEval(() => evaluateProgram({ stack, region, account: this.world.account, config: raw })));
    } catch (error) {
      // A program error (bad stack config) is what `pulumi up` prints and exits 255 for.
      throw new PilotlightError("pulumi.error", `stack ${stack}: ${error instanceof Error ? error.message : String(error)}`, {
        source: "user",
        hint: "fix the stack configuration named above",
        cause: error,
      });
    }
    return { declared: result.resources, outputs: result.outputs as JsonObject, region };
  }

  private evalLock: Promise<void> = Promise.resolve();
  private exclusiveEval<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.evalLock.then(fn);
    this.evalLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Sleeps a modelled duration, bounded by the operation's deadline and signal. */
  private async take(range: DurationRange, opts: StackOperationOptions, what: string): Promise<void> {
    const ms = draw(this.world.random, range);
    const clock = this.world.clock;
    if (clock.now() + ms > opts.deadline) {
      await clock.sleep(Math.max(0, opts.deadline - clock.now()), opts.signal);
      throw new PilotlightError("pulumi.error", `${what}: the operation's deadline passed`, { source: "aws" });
    }
    await clock.sleep(ms, opts.signal);
  }

  /** Waits until a cluster (or one of its instances) is available, bounded by the deadline and signal. */
  private async until(cluster: SandboxCluster, opts: StackOperationOptions, what: string, instance?: string): Promise<void> {
    const clock = this.world.clock;
    for (;;) {
      cluster.refresh(clock.now());
      if (cluster.status === "failed") throw new PilotlightError("pulumi.error", `${what}: restore failed: insufficient capacity for the requested configuration`, { source: "aws" });
      const ready = instance === undefined ? cluster.status === "available" : cluster.instances.includes(instance);
      if (ready) return;
      const at = instance === undefined ? cluster.readyAt : Math.max(cluster.readyAt, cluster.pendingInstances.get(instance) ?? 0);
      if (clock.now() >= opts.deadline) throw new PilotlightError("pulumi.error", `${what}: still creating at the operation's deadline`, { source: "aws" });
      await clock.sleep(Math.max(1, Math.min(at, opts.deadline) - clock.now()), opts.signal);
    }
  }

  /** Creates one resource in the world, taking its modelled time. */
  private async create(r: DeclaredResource, region: string, opts: StackOperationOptions): Promise<void> {
    const world = this.world;
    const where: string = r.inputs["region"] ?? region;
    switch (r.type) {
      case "awsx:ec2:Vpc":
        await this.take(world.durations.networkDeploy, opts, "creating the VPC");
        return;
      case "aws:backup/vault:Vault":
        world.addVault(r.inputs["name"], where, r.inputs["kmsKeyArn"]);
        return;
      case "aws:kms/key:Key":
        world.keys.set(String(r.state["arn"]), { arn: String(r.state["arn"]), region: where, state: "Enabled" });
        return;
      case "aws:rds/cluster:Cluster": {
        const identifier: string = r.inputs["clusterIdentifier"];
        let cluster = world.cluster(identifier);
        if (cluster !== undefined && cluster.status === "failed") {
          await world.deleteCluster(identifier);
          cluster = undefined;
        }
        const pitr = r.inputs["restoreToPointInTime"] as { sourceClusterIdentifier: string; restoreToTime: string } | undefined;
        if (cluster === undefined && pitr !== undefined) {
          world.api(where, "RestoreDBClusterToPointInTime");
          try {
            cluster = await world.restoreToTime(pitr.sourceClusterIdentifier, Date.parse(pitr.restoreToTime), identifier, where, r.inputs["tags"] ?? {});
          } catch (error) {
            throw new PilotlightError("pulumi.error", `creating RDS Cluster (${identifier}): ${error instanceof Error ? error.message : String(error)}`, { source: "aws" });
          }
          cluster.deletionProtection = r.inputs["deletionProtection"] === true;
        }
        if (cluster === undefined) {
          world.api(where, "CreateDBCluster");
          const snapshot: string | undefined = r.inputs["snapshotIdentifier"];
          const data = snapshot === undefined ? undefined : world.dataOf(snapshot);
          if (snapshot !== undefined && data === undefined) {
            throw new PilotlightError("pulumi.error", `creating RDS Cluster (${identifier}): DBClusterSnapshotNotFoundFault: ${snapshot} not found`, { source: "aws" });
          }
          const outcome = snapshot === undefined ? "COMPLETED" : (world.faults.restoreOutcomes.shift() ?? "COMPLETED");
          if (snapshot !== undefined) world.stats.restoresStarted += 1;
          cluster = await world.createCluster(identifier, where, r.inputs["tags"] ?? {}, data);
          cluster.deletionProtection = r.inputs["deletionProtection"] === true;
          cluster.status = "creating";
          cluster.outcome = outcome;
          cluster.readyAt = outcome === "STUCK" ? Number.POSITIVE_INFINITY : world.clock.now() + draw(world.random, snapshot === undefined ? world.durations.instanceCreate : world.durations.clusterRestore);
        }
        // A cluster whose creation an earlier, interrupted `up` started is adopted, not created
        // again (Pulumi imports pending creates after a refresh): one restore per cluster.
        this.clusterIds.set(r.id, cluster.id);
        await this.until(cluster, opts, `creating RDS Cluster (${identifier})`);
        return;
      }
      case "aws:rds/clusterInstance:ClusterInstance": {
        const identifier: string = r.inputs["identifier"];
        const target = world.cluster(this.clusterIds.get(r.inputs["clusterIdentifier"]) ?? r.inputs["clusterIdentifier"]);
        if (target === undefined) throw new PilotlightError("pulumi.error", `creating RDS Cluster Instance (${identifier}): cluster not found`, { source: "aws" });
        if (!target.instances.includes(identifier) && !target.pendingInstances.has(identifier)) {
          world.api(where, "CreateDBInstance");
          target.pendingInstances.set(identifier, world.clock.now() + draw(world.random, world.durations.instanceCreate));
        }
        await this.until(target, opts, `creating RDS Cluster Instance (${identifier})`, identifier);
        return;
      }
      case "aws:lambda/function:Function":
        world.functions.set(r.id, r.inputs["environment"]?.variables?.CLUSTER_ARN ?? "");
        return;
      case "aws:lambda/functionUrl:FunctionUrl": {
        await this.take(world.durations.workloadDeploy, opts, "deploying the workload");
        const host = new URL(r.state["functionUrl"]).host;
        world.workloads.set(host, { host, functionId: r.inputs["functionName"], region: where });
        return;
      }
      case "aws:route53/healthCheck:HealthCheck":
        world.healthChecks.set(r.id, { id: r.id, host: r.inputs["fqdn"], inverted: false });
        return;
      case "aws:route53/record:Record":
        world.dns.push({
          zoneId: r.inputs["zoneId"],
          name: r.inputs["name"],
          host: r.inputs["records"][0],
          ...(r.inputs["failoverRoutingPolicies"]?.[0]?.type === undefined ? {} : { failover: r.inputs["failoverRoutingPolicies"][0].type }),
          ...(r.inputs["healthCheckId"] === undefined ? {} : { healthCheckId: r.inputs["healthCheckId"] }),
          changedAt: world.clock.now(),
        });
        return;
      default:
        return;
    }
  }

  /** In-place updates that matter to the world (the rest is configuration only). */
  private update(r: DeclaredResource): void {
    if (r.type === "aws:lambda/function:Function") this.world.functions.set(r.id, r.inputs["environment"]?.variables?.CLUSTER_ARN ?? "");
    if (r.type === "aws:rds/cluster:Cluster") {
      // snapshotIdentifier is ignored (ignoreChanges); tags and protection follow the program.
      const c = this.world.cluster(r.inputs["clusterIdentifier"]);
      if (c !== undefined) {
        Object.assign(c.tags, r.inputs["tags"] ?? {});
        c.deletionProtection = r.inputs["deletionProtection"] === true;
      }
    }
  }

  private async remove(r: DeclaredResource, opts: StackOperationOptions): Promise<void> {
    const world = this.world;
    switch (r.type) {
      case "aws:rds/cluster:Cluster": {
        if (r.retain) return; // retainOnDelete: left in AWS; pilotlight deletes it with a final snapshot.
        const c = world.cluster(r.inputs["clusterIdentifier"]);
        if (c === undefined) return;
        if (c.deletionProtection) throw new PilotlightError("pulumi.error", `deleting RDS Cluster (${c.id}): Cannot delete protected Cluster`, { source: "aws" });
        await this.take(world.durations.clusterDelete, opts, `deleting cluster ${c.id}`);
        await world.deleteCluster(c.id);
        return;
      }
      case "aws:rds/clusterInstance:ClusterInstance": {
        if (r.retain) return;
        for (const c of world.clusters.values()) c.instances = c.instances.filter((i) => i !== r.inputs["identifier"]);
        return;
      }
      case "aws:lambda/functionUrl:FunctionUrl":
        world.workloads.delete(new URL(r.state["functionUrl"]).host);
        return;
      case "aws:lambda/function:Function":
        world.functions.delete(r.id);
        return;
      case "aws:route53/healthCheck:HealthCheck":
        world.healthChecks.delete(r.id);
        return;
      case "aws:route53/record:Record": {
        const i = world.dns.findIndex((d) => d.name === r.inputs["name"] && d.host === r.inputs["records"][0]);
        if (i >= 0) world.dns.splice(i, 1);
        return;
      }
      default:
        return;
    }
  }
}

function diffCounts(previous: DeclaredResource[], declared: DeclaredResource[]): Record<string, number> {
  const have = new Set(previous.map(key));
  const want = new Set(declared.map(key));
  return {
    create: declared.filter((r) => !have.has(key(r))).length,
    same: declared.filter((r) => have.has(key(r))).length,
    delete: previous.filter((r) => !want.has(key(r))).length,
  };
}
