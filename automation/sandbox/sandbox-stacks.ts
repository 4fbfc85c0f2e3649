import { hostname } from "node:os";
import { PilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import type {
  StackConfigChange,
  StackOperationOptions,
  StackProgress,
  StackUpdateResult,
  Stacks,
} from "../ports/stacks";
import { deleteClusterNow, dimensionKey } from "./aws-services";
import type { DurationRange } from "./durations";
import { evaluateProgram, type DeclaredResource } from "./program-under-mocks";
import { processAlive } from "./world-folder";
import { SandboxAwsError, type SandboxWorld } from "./world";
import type { StackState } from "./world-state";
import { resourceActions, type ResourceOp } from "../adapters/iam/resource-actions";
import { NODE_RUNTIMES } from "../domain/lambda-runtimes";

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
    out.set(
      key(r),
      new Set(marks.filter((m) => m.key !== key(r) && m.values.some((v) => text.includes(v))).map((m) => m.key)),
    );
  }
  return out;
}

/** Inputs with the `ignoreChanges` paths of the resource taken out. */
function comparable(r: DeclaredResource): string {
  const copy: Record<string, unknown> = { ...r.inputs };
  for (const path of r.ignoreChanges) delete copy[path.split(".")[0]!];
  return JSON.stringify(copy);
}

/**
 * Pulumi stacks in the sandbox, as the Stacks port promises them. `up` evaluates the real infra
 * program under runtime mocks (so the sandbox deploys what the program declares), diffs it with
 * the stack's state and plays creations, updates and deletions out in the world on the virtual
 * clock. What AWS and Pulumi do is reproduced, refusals included: config keys are only added by
 * `set` (`config set-all`) and only go by `remove` (`config rm`); a restored cluster comes up with
 * no instance and the Data API off; a create meets an identifier in use with
 * `DBClusterAlreadyExistsFault` unless it is this stack's own pending create; deletions go
 * dependents first and fail on what is still in use; an interrupted update leaves a lock and
 * pending creates that the next update recovers (refreshing state from the world first).
 */
export class SandboxStacks implements Stacks {
  /** Timing of the creations of each stack's last `up` (the RTO benchmark reads the critical path). */
  readonly spans = new Map<string, ResourceSpan[]>();
  private lock: Promise<void> = Promise.resolve();
  private adoptable = new Set<string>();
  private evalLock: Promise<void> = Promise.resolve();

  constructor(
    private readonly world: SandboxWorld,
    /** Region of a stack with no `aws:region` in its config. */
    private readonly defaultRegion: (stack: string) => string,
  ) {}

  async exists(stack: string): Promise<boolean> {
    return this.world.s.stacks[stack] !== undefined;
  }

  async list(): Promise<string[]> {
    return Object.keys(this.world.s.stacks);
  }

  async outputs(stack: string): Promise<JsonObject> {
    const s = this.world.s.stacks[stack];
    if (s === undefined)
      throw new PilotlightError("pulumi.stack-not-found", `stack ${stack} does not exist`, { source: "user" });
    return structuredClone(s.outputs) as JsonObject;
  }

  async fileConfig(stack: string): Promise<Record<string, string>> {
    return { ...(this.world.s.stackFiles[stack] ?? {}) };
  }

  async up(stack: string, change: StackConfigChange, opts: StackOperationOptions): Promise<StackUpdateResult> {
    return this.exclusive(async () => {
      const world = this.world;
      // `config set-all` adds or replaces; only `config rm` removes (Pulumi CLI reference).
      const file = (world.s.stackFiles[stack] ??= {});
      for (const [k, v] of Object.entries(change.defaults ?? {})) if (file[k] === undefined) file[k] = v.value;
      for (const [k, v] of Object.entries(change.set)) file[k] = v.value;
      for (const k of change.remove ?? []) delete file[k];
      world.commit();
      const { declared, outputs, region } = await this.evaluate(stack, file);
      const state: StackState = (world.s.stacks[stack] ??= { region, resources: [], outputs: {}, pendingCreates: [] });
      state.region = region;
      this.takeLock(stack, state);
      // Only what an earlier, interrupted update was creating may be adopted.
      this.adoptable = new Set(state.pendingCreates.map((p) => `${p.type}::${p.name}`));
      if (state.pendingCreates.length > 0) this.refreshState(state);
      const changes: Record<string, number> = { create: 0, same: 0, update: 0, delete: 0 };
      const byKey = new Map(state.resources.map((r) => [key(r), r]));
      for (const r of declared) {
        const had = byKey.get(key(r));
        if (had === undefined) continue;
        if (comparable(had) === comparable(r)) {
          changes["same"]! += 1;
          // State keeps what AWS holds for ignored inputs.
          for (const path of r.ignoreChanges) if (had.inputs[path] !== undefined) r.inputs[path] = had.inputs[path];
        } else {
          await this.update(had, r, region);
          changes["update"]! += 1;
        }
        state.resources[state.resources.indexOf(had)] = {
          ...r,
          state: { ...had.state, ...r.state, ...this.readBack(had) },
        };
        world.commit();
      }
      await this.createAll(
        stack,
        state,
        declared.filter((r) => !byKey.has(key(r))),
        region,
        opts,
        changes,
      );
      const wanted = new Set(declared.map(key));
      await this.deleteAll(
        state,
        state.resources.filter((r) => !wanted.has(key(r))),
        opts,
        changes,
      );
      state.outputs = outputs;
      delete state.lockedBy;
      world.commit();
      return { outputs: structuredClone(outputs) as JsonObject, changes };
    });
  }

  async destroy(
    stack: string,
    opts: StackOperationOptions & { remove: boolean; preserveConfig?: boolean; removeKeys?: string[] },
  ): Promise<void> {
    await this.exclusive(async () => {
      const world = this.world;
      const state = world.s.stacks[stack];
      if (state === undefined) return;
      this.takeLock(stack, state);
      this.adoptForDestroy(stack, state);
      const file = world.s.stackFiles[stack];
      if (file !== undefined) for (const k of opts.removeKeys ?? []) delete file[k];
      if (world.s.faults.destroyFailures > 0) {
        world.s.faults.destroyFailures -= 1;
        delete state.lockedBy;
        world.commit();
        throw new PilotlightError(
          "pulumi.error",
          `stack ${stack}: deleting aws:ec2/securityGroup:SecurityGroup: DependencyViolation: resource has a dependent object`,
          { source: "aws" },
        );
      }
      await this.deleteAll(state, [...state.resources], opts, { delete: 0 });
      state.outputs = {};
      delete state.lockedBy;
      if (opts.remove) {
        // `stack rm` refuses while resources remain (without --force).
        if (state.resources.length > 0)
          throw new PilotlightError("pulumi.error", `stack ${stack} still has resources; refusing to remove it`, {
            source: "aws",
          });
        delete world.s.stacks[stack];
        if (opts.preserveConfig === false) delete world.s.stackFiles[stack];
      }
      world.commit();
    });
  }

  /** An update that died left its lock: a dead holder's lock is recovered, a live one's is a refusal. */
  private takeLock(stack: string, state: StackState): void {
    const l = state.lockedBy;
    if (l !== undefined && !(l.pid === process.pid && l.host === hostname())) {
      if (l.host === hostname() && processAlive(l.pid)) {
        throw new PilotlightError(
          "pulumi.stack-locked",
          `stack ${stack} is locked by a running update (pid ${l.pid} on ${l.host})`,
          { source: "user", hint: "wait for that update to finish" },
        );
      }
    }
    state.lockedBy = { pid: process.pid, host: hostname() };
    this.world.commit();
  }

  /**
   * Before a destroy, what an interrupted update was creating and AWS has is imported into the
   * state (as the adapter does): otherwise the cluster it started would outlive the stack, and the
   * subnet group it uses could not be deleted (InvalidDBSubnetGroupStateFault).
   */
  private adoptForDestroy(stack: string, state: StackState): void {
    for (const p of state.pendingCreates) {
      if (state.resources.some((r) => r.type === p.type && r.name === p.name)) continue;
      const exists =
        p.type === "aws:rds/cluster:Cluster"
          ? this.world.cluster(p.identifier ?? "")?.state.createdBy?.stack === stack
          : p.type === "aws:rds/clusterInstance:ClusterInstance"
            ? this.world.liveClusters().some((c) => c.state.instances.some((i) => i.id === p.identifier))
            : false;
      if (exists) state.resources.push(p.resource);
    }
    state.pendingCreates = [];
    this.world.commit();
  }

  /**
   * What a `refresh` does: read the cloud into the state. The next update then diffs the program
   * against what AWS holds (engine versions after an automatic upgrade, a health check someone
   * inverted), so only `ignoreChanges` keeps the program from undoing them.
   */
  private refreshState(state: StackState): void {
    for (const r of state.resources) Object.assign(r.inputs, this.readBack(r));
    this.world.commit();
  }

  /** The modelled properties of a resource as AWS holds them now. */
  private readBack(r: DeclaredResource): Record<string, unknown> {
    const w = this.world;
    if (r.type === "aws:rds/cluster:Cluster") {
      const c = w.cluster(String(r.inputs["clusterIdentifier"]));
      return c === undefined
        ? {}
        : { engineVersion: c.state.engineVersion, enableHttpEndpoint: c.state.httpEndpointEnabled };
    }
    if (r.type === "aws:route53/healthCheck:HealthCheck") {
      const h = w.s.healthChecks[r.id];
      return h === undefined ? {} : { invertHealthcheck: h.inverted, disabled: h.disabled };
    }
    return {};
  }

  private async createAll(
    stack: string,
    state: StackState,
    pending: DeclaredResource[],
    region: string,
    opts: StackOperationOptions,
    changes: Record<string, number>,
  ): Promise<void> {
    const world = this.world;
    // Creations run like Pulumi's: each resource as soon as the resources it depends on exist,
    // independent ones in parallel. A failure stops new creations; those under way finish.
    const deps = dependencies([...state.resources, ...pending]);
    const done = new Set(state.resources.map(key));
    const running = new Map<string, Promise<void>>();
    const spans: ResourceSpan[] = [];
    let failure: unknown;
    for (;;) {
      if (failure === undefined) {
        for (const r of pending.filter((x) => !running.has(key(x)) && !done.has(key(x)))) {
          if (![...(deps.get(key(r)) ?? [])].every((d) => done.has(d))) continue;
          const progress = (status: StackProgress["status"], message?: string) =>
            opts.onProgress?.({
              resource: r.name,
              type: r.type,
              op: "create",
              status,
              ...(message === undefined ? {} : { message }),
            });
          const started = world.now();
          progress("started");
          // Pulumi's checkpoint records the create before it starts (a pending operation).
          if (!state.pendingCreates.some((p) => p.type === r.type && p.name === r.name)) {
            const identifier = r.inputs["clusterIdentifier"] ?? r.inputs["identifier"];
            state.pendingCreates.push({
              type: r.type,
              name: r.name,
              ...(typeof identifier === "string" ? { identifier } : {}),
              resource: r,
            });
            world.commit();
          }
          running.set(
            key(r),
            this.create(stack, state, r, region, opts).then(
              () => {
                state.resources.push(r);
                state.pendingCreates = state.pendingCreates.filter((p) => !(p.type === r.type && p.name === r.name));
                done.add(key(r));
                changes["create"]! += 1;
                spans.push({
                  key: key(r),
                  type: r.type,
                  start: started,
                  end: world.now(),
                  deps: [...(deps.get(key(r)) ?? [])],
                });
                world.commit();
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
    if (failure !== undefined) {
      delete state.lockedBy;
      world.commit();
      throw failure;
    }
  }

  /** Deletes resources dependents first (a resource goes before those its inputs name). */
  private async deleteAll(
    state: StackState,
    doomed: DeclaredResource[],
    opts: StackOperationOptions,
    changes: Record<string, number>,
  ): Promise<void> {
    const deps = dependencies(state.resources);
    const left = [...doomed];
    while (left.length > 0) {
      const keys = new Set(left.map(key));
      // A resource can go once nothing left depends on it.
      const ready = left.filter((r) => !left.some((o) => o !== r && deps.get(key(o))?.has(key(r)) && keys.has(key(o))));
      const batch = ready.length > 0 ? ready : [left[0]!];
      for (const r of batch) {
        opts.onProgress?.({ resource: r.name, type: r.type, op: "delete", status: "started" });
        try {
          await this.remove(r, state.region, opts);
        } catch (error) {
          delete state.lockedBy;
          this.world.commit();
          opts.onProgress?.({
            resource: r.name,
            type: r.type,
            op: "delete",
            status: "failed",
            message: error instanceof Error ? error.message : String(error),
          });
          throw error;
        }
        state.resources = state.resources.filter((x) => key(x) !== key(r));
        left.splice(left.indexOf(r), 1);
        changes["delete"] = (changes["delete"] ?? 0) + 1;
        this.world.commit();
        opts.onProgress?.({ resource: r.name, type: r.type, op: "delete", status: "done" });
      }
    }
  }

  private async evaluate(stack: string, file: Record<string, string>) {
    const raw: Record<string, string> = {};
    const region = file["aws:region"] ?? this.defaultRegion(stack);
    for (const [k, v] of Object.entries(file)) if (k.startsWith("pilotlight:")) raw[k.slice("pilotlight:".length)] = v;
    try {
      const result = await this.world.track(
        this.exclusiveEval(() => evaluateProgram({ stack, region, account: this.world.s.account, config: raw })),
      );
      return { declared: result.resources, outputs: result.outputs as JsonObject, region };
    } catch (error) {
      // A program error (bad stack config) is what `pulumi up` prints and exits 255 for.
      throw new PilotlightError(
        "pulumi.error",
        `stack ${stack}: ${error instanceof Error ? error.message : String(error)}`,
        { source: "user", hint: "fix the stack configuration named above", cause: error },
      );
    }
  }

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
    const ms = this.world.draw(range);
    const clock = this.world.clock;
    if (clock.now() + ms > opts.deadline) {
      await clock.sleep(Math.max(0, opts.deadline - clock.now()), opts.signal);
      throw new PilotlightError("pulumi.error", `${what}: the operation's deadline passed`, { source: "aws" });
    }
    await clock.sleep(ms, opts.signal);
  }

  /** Waits until `ready` holds, sleeping to `at()`, bounded by the deadline and signal. */
  private async until(
    ready: () => boolean,
    at: () => number,
    failed: () => string | undefined,
    opts: StackOperationOptions,
    what: string,
  ): Promise<void> {
    const clock = this.world.clock;
    for (;;) {
      const problem = failed();
      if (problem !== undefined) throw new PilotlightError("pulumi.error", `${what}: ${problem}`, { source: "aws" });
      if (ready()) return;
      if (clock.now() >= opts.deadline)
        throw new PilotlightError("pulumi.error", `${what}: still creating at the operation's deadline`, {
          source: "aws",
        });
      await clock.sleep(Math.max(1, Math.min(at(), opts.deadline) - clock.now()), opts.signal);
    }
  }

  private aws(what: string, error: unknown): PilotlightError {
    const e = error as { name?: string; message?: string };
    return new PilotlightError("pulumi.error", `${what}: ${e.name ?? "Error"}: ${e.message ?? String(error)}`, {
      source: "aws",
      cause: error,
    });
  }

  /**
   * The provider's calls for a resource operation pass the world's gate (outages, throttling;
   * Route 53's control plane for its types) and are recorded as the IAM actions the provider
   * needs ({@link RESOURCE_ACTIONS}); an operation the table lacks is recorded as such, and the
   * IAM coverage test names it.
   */
  private gate(where: string, r: DeclaredResource, op: ResourceOp): void {
    const world = this.world;
    if (!r.type.startsWith("aws:") && !r.type.startsWith("awsx:")) return; // a component: no AWS call
    const seen = (world.s.stats.resourceOps ??= {});
    seen[`${r.type} ${op}`] = (seen[`${r.type} ${op}`] ?? 0) + 1;
    const [first, ...rest] = resourceActions(r.type, op) ?? [];
    if (first === undefined) {
      world.s.stats.apiCalls += 1;
      return;
    }
    if (r.type.startsWith("aws:route53/")) world.controlPlane(first, rest);
    else world.api(where, first, rest);
  }

  /** Creates one resource in the world, taking its modelled time. */
  private async create(
    stack: string,
    state: StackState,
    r: DeclaredResource,
    region: string,
    opts: StackOperationOptions,
  ): Promise<void> {
    const world = this.world;
    const where: string = r.inputs["region"] ?? region;
    switch (r.type) {
      case "awsx:ec2:Vpc":
        this.gate(where, r, "create");
        await this.take(world.s.durations.networkDeploy, opts, "creating the VPC");
        return;
      case "aws:backup/vault:Vault":
        this.gate(where, r, "create");
        world.s.vaults[`${where}/${r.inputs["name"]}`] = {
          name: r.inputs["name"],
          region: where,
          arn: `arn:aws:backup:${where}:${world.s.account}:backup-vault:${r.inputs["name"]}`,
          kmsKeyArn: r.inputs["kmsKeyArn"],
        };
        world.commit();
        return;
      case "aws:kms/key:Key":
        this.gate(where, r, "create");
        world.s.keys[String(r.state["arn"])] = { arn: String(r.state["arn"]), region: where, state: "Enabled" };
        world.commit();
        return;
      case "aws:backup/regionSettings:RegionSettings":
        this.gate(where, r, "create");
        world.s.backupOptIn[where] = { Aurora: r.inputs["resourceTypeOptInPreference"]?.["Aurora"] === true };
        world.commit();
        return;
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        this.gate(where, r, "create");
        world.s.alarms[`${where}/${r.state["name"]}`] = {
          name: String(r.state["name"]),
          region: where,
          metric: `${r.inputs["namespace"]}/${r.inputs["metricName"]}/${dimensionKey(r.inputs["dimensions"] ?? {})}`,
          threshold: Number(r.inputs["threshold"] ?? 1),
          treatMissingData: String(r.inputs["treatMissingData"] ?? "missing"),
          state: "INSUFFICIENT_DATA",
          windowMs: Number(r.inputs["period"] ?? 60) * 1000 * Number(r.inputs["evaluationPeriods"] ?? 1),
        };
        world.commit();
        return;
      case "aws:rds/cluster:Cluster":
        await this.createCluster(stack, r, where, opts);
        return;
      case "aws:rds/clusterInstance:ClusterInstance": {
        const identifier: string = r.inputs["identifier"];
        const target = world.cluster(clusterIdOf(state, r.inputs["clusterIdentifier"]));
        if (target === undefined)
          throw new PilotlightError(
            "pulumi.error",
            `creating RDS Cluster Instance (${identifier}): DBClusterNotFoundFault`,
            { source: "aws" },
          );
        if (!target.state.instances.some((i) => i.id === identifier)) {
          try {
            this.gate(where, r, "create");
          } catch (error) {
            throw this.aws(`creating RDS Cluster Instance (${identifier})`, error);
          }
          target.state.instances.push({
            id: identifier,
            // The sandbox's writer is the first instance created, whatever it is named (world-state.ts).
            writer: !target.state.instances.some((i) => i.writer === true),
            instanceClass: String(r.inputs["instanceClass"]),
            status: "creating",
            readyAt: world.now() + world.draw(world.s.durations.instanceCreate),
          });
          world.commit();
        }
        await this.until(
          () => world.cluster(target.id) !== undefined && target.instances.includes(identifier),
          () => Math.max(target.state.readyAt, target.state.instances.find((i) => i.id === identifier)?.readyAt ?? 0),
          () => (target.status === "failed" ? "the cluster failed" : undefined),
          opts,
          `creating RDS Cluster Instance (${identifier})`,
        );
        world.commit();
        return;
      }
      case "aws:lambda/function:Function": {
        this.gate(where, r, "create");
        const runtime = String(r.inputs["runtime"]);
        const blocked = NODE_RUNTIMES[runtime];
        if (blocked !== undefined && world.now() >= blocked.blockCreate) {
          throw new PilotlightError(
            "pulumi.error",
            `creating Lambda Function (${r.name}): InvalidParameterValueException: The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions.`,
            { source: "aws" },
          );
        }
        const vars = r.inputs["environment"]?.variables ?? {};
        world.s.functions[r.id] = {
          clusterArn: vars.CLUSTER_ARN ?? "",
          ...(vars.DATABASE_PARAMETER === undefined ? {} : { parameter: vars.DATABASE_PARAMETER }),
          runtime,
          region: where,
          publicUrl: { invokeFunctionUrl: false, invokeFunction: false },
        };
        world.commit();
        return;
      }
      case "aws:lambda/permission:Permission": {
        this.gate(where, r, "create");
        // The function's name is its id here (program-under-mocks).
        const fn = world.s.functions[String(r.inputs["function"])];
        if (fn !== undefined && r.inputs["principal"] === "*") {
          if (r.inputs["action"] === "lambda:InvokeFunctionUrl" && r.inputs["functionUrlAuthType"] === "NONE")
            fn.publicUrl.invokeFunctionUrl = true;
          if (r.inputs["action"] === "lambda:InvokeFunction") fn.publicUrl.invokeFunction = true;
        }
        world.commit();
        return;
      }
      case "aws:ssm/parameter:Parameter":
        this.gate(where, r, "create");
        world.s.parameters[`${where}/${r.inputs["name"]}`] = String(r.inputs["value"]);
        world.commit();
        return;
      case "aws:lambda/functionUrl:FunctionUrl": {
        this.gate(where, r, "create");
        await this.take(world.s.durations.workloadDeploy, opts, "deploying the workload");
        const host = new URL(r.state["functionUrl"]).host;
        world.s.workloads[host] = { host, functionId: r.inputs["functionName"], region: where };
        world.commit();
        return;
      }
      case "aws:route53/healthCheck:HealthCheck":
        this.gate(where, r, "create");
        world.s.healthChecks[r.id] = {
          id: r.id,
          type: r.inputs["type"],
          ...(r.inputs["fqdn"] === undefined ? {} : { host: r.inputs["fqdn"] }),
          ...(r.inputs["childHealthchecks"] === undefined
            ? {}
            : {
                children: r.inputs["childHealthchecks"],
                healthThreshold: Number(r.inputs["childHealthThreshold"] ?? 1),
              }),
          ...(r.inputs["cloudwatchAlarmName"] === undefined
            ? {}
            : { alarm: { region: r.inputs["cloudwatchAlarmRegion"], name: r.inputs["cloudwatchAlarmName"] } }),
          ...(r.inputs["insufficientDataHealthStatus"] === undefined
            ? {}
            : { insufficientDataHealthStatus: r.inputs["insufficientDataHealthStatus"] }),
          inverted: r.inputs["invertHealthcheck"] === true,
          disabled: r.inputs["disabled"] === true,
          version: 1,
        };
        world.commit();
        return;
      case "aws:route53/record:Record":
        this.gate(where, r, "create");
        try {
          world.addRecord({
            zoneId: r.inputs["zoneId"],
            name: r.inputs["name"],
            host: r.inputs["records"][0],
            ttl: Number(r.inputs["ttl"] ?? 60),
            ...(r.inputs["setIdentifier"] === undefined ? {} : { setIdentifier: r.inputs["setIdentifier"] }),
            ...(r.inputs["failoverRoutingPolicies"]?.[0]?.type === undefined
              ? {}
              : { failover: r.inputs["failoverRoutingPolicies"][0].type }),
            ...(r.inputs["healthCheckId"] === undefined ? {} : { healthCheckId: r.inputs["healthCheckId"] }),
            changedAt: world.now(),
          });
        } catch (error) {
          throw this.aws(`creating Route53 Record (${r.inputs["name"]})`, error);
        }
        return;
      default:
        this.gate(where, r, "create");
        return;
    }
  }

  private async createCluster(
    stack: string,
    r: DeclaredResource,
    where: string,
    opts: StackOperationOptions,
  ): Promise<void> {
    const world = this.world;
    const identifier: string = r.inputs["clusterIdentifier"];
    const what = `creating RDS Cluster (${identifier})`;
    let cluster = world.cluster(identifier);
    // An update that died left this create pending: the adapter imports it by name (one restore
    // per cluster). Anything else already holding the identifier is AWS's refusal.
    const mine =
      cluster?.state.createdBy?.stack === stack &&
      cluster.state.createdBy.resource === r.name &&
      this.adoptable.has(key(r));
    if (cluster !== undefined && mine && cluster.status === "failed") {
      await world.purgeCluster(cluster);
      cluster = undefined;
    }
    if (cluster !== undefined && !mine) {
      throw this.aws(
        what,
        new SandboxAwsError("DBClusterAlreadyExistsFault", `DB cluster already exists: ${identifier}`, "client"),
      );
    }
    const pitr = r.inputs["restoreToPointInTime"] as
      { sourceClusterIdentifier: string; restoreToTime?: string; useLatestRestorableTime?: boolean } | undefined;
    if (cluster === undefined) {
      const createdBy = { stack, resource: r.name };
      const tags = r.inputs["tags"] ?? {};
      const protect = r.inputs["deletionProtection"] === true;
      const network = {
        ...(r.inputs["dbSubnetGroupName"] === undefined ? {} : { subnetGroup: String(r.inputs["dbSubnetGroupName"]) }),
        ...(r.inputs["vpcSecurityGroupIds"] === undefined
          ? {}
          : { securityGroups: (r.inputs["vpcSecurityGroupIds"] as unknown[]).map(String) }),
      };
      try {
        if (pitr !== undefined) {
          // Provider schema: ExactlyOneOf(restore_to_time, use_latest_restorable_time) counts
          // any present key, `false` included — the plan fails before any API call.
          if ("restoreToTime" in pitr && "useLatestRestorableTime" in pitr) {
            throw new PilotlightError(
              "pulumi.error",
              `${what}: "restore_to_point_in_time.0.restore_to_time": only one of \`restore_to_point_in_time.0.restore_to_time,restore_to_point_in_time.0.use_latest_restorable_time\` can be specified`,
              { source: "user" },
            );
          }
          this.gate(where, r, "create");
          const time =
            pitr.useLatestRestorableTime === true ? world.now() - 5 * 60_000 : Date.parse(String(pitr.restoreToTime));
          cluster = world.restoreToTime({
            sourceId: pitr.sourceClusterIdentifier,
            time,
            targetId: identifier,
            region: where,
            tags,
            deletionProtection: protect,
            createdBy,
            ...network,
          });
        } else {
          const snapshot: string | undefined = r.inputs["snapshotIdentifier"];
          this.gate(where, r, "create");
          const source = snapshot === undefined ? undefined : world.dataOf(snapshot);
          if (snapshot !== undefined && source === undefined)
            throw new SandboxAwsError(
              "DBClusterSnapshotNotFoundFault",
              `DBClusterSnapshot not found: ${snapshot}`,
              "client",
            );
          const requested = String(r.inputs["engineVersion"] ?? source?.engineVersion ?? "16.4");
          if (source !== undefined && compareVersions(requested, source.engineVersion) < 0) {
            throw new SandboxAwsError(
              "InvalidParameterCombination",
              `The engine version you requested for your restored DB cluster (${requested}) is earlier than the engine version of the DB cluster snapshot (${source.engineVersion}).`,
              "client",
            );
          }
          const outcome =
            snapshot === undefined ? "COMPLETED" : (world.s.faults.restoreOutcomes.shift() ?? "COMPLETED");
          cluster = world.createCluster({
            id: identifier,
            region: where,
            tags,
            source: source === undefined ? { kind: "empty" } : { kind: "data", data: source.data },
            engineVersion: requested,
            readyInMs: world.draw(
              snapshot === undefined ? world.s.durations.instanceCreate : world.s.durations.clusterRestore,
            ),
            outcome,
            deletionProtection: protect,
            // CreateDBCluster sends EnableHttpEndpoint; the restore APIs have no such field.
            httpEndpointEnabled: snapshot === undefined && r.inputs["enableHttpEndpoint"] === true,
            createdBy,
            ...network,
          });
        }
      } catch (error) {
        if (error instanceof PilotlightError) throw error;
        throw this.aws(what, error);
      }
    }
    const c = cluster;
    await this.until(
      () => world.cluster(c.id) !== undefined && c.status === "available",
      () => c.state.readyAt,
      () =>
        c.status === "failed" ? "restore failed: insufficient capacity for the requested configuration" : undefined,
      opts,
      what,
    );
    // What the provider's Read records: the Data API as AWS has it (off after a restore).
    r.inputs["enableHttpEndpoint"] = c.state.httpEndpointEnabled;
    r.inputs["engineVersion"] = c.state.engineVersion;
    world.commit();
  }

  /** In-place updates with an effect on the world (the rest is configuration only). */
  private async update(had: DeclaredResource, r: DeclaredResource, region: string): Promise<void> {
    const world = this.world;
    const where: string = r.inputs["region"] ?? region;
    this.gate(where, r, "update");
    if (r.type === "aws:lambda/function:Function") {
      const runtime = String(r.inputs["runtime"]);
      const blocked = NODE_RUNTIMES[runtime];
      if (blocked !== undefined && world.now() >= blocked.blockUpdate) {
        throw new PilotlightError(
          "pulumi.error",
          `updating Lambda Function (${r.name}): InvalidParameterValueException: The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions.`,
          { source: "aws" },
        );
      }
      const vars = r.inputs["environment"]?.variables ?? {};
      const fn = world.s.functions[r.id];
      if (fn !== undefined) {
        fn.clusterArn = vars.CLUSTER_ARN ?? "";
        fn.runtime = runtime;
      }
    }
    if (r.type === "aws:rds/cluster:Cluster") {
      const c = world.cluster(String(r.inputs["clusterIdentifier"]));
      if (c !== undefined) {
        const wanted = String(r.inputs["engineVersion"] ?? c.state.engineVersion);
        if (!r.ignoreChanges.includes("engineVersion") && compareVersions(wanted, c.state.engineVersion) < 0) {
          throw this.aws(
            `updating RDS Cluster (${c.id})`,
            new SandboxAwsError(
              "InvalidParameterCombination",
              `Cannot upgrade aurora-postgresql from ${c.state.engineVersion} to ${wanted}`,
              "client",
            ),
          );
        }
        Object.assign(c.state.tags, r.inputs["tags"] ?? {});
        c.state.deletionProtection = r.inputs["deletionProtection"] === true;
        // The provider's update path turns the Data API on with rds:EnableHttpEndpoint.
        if (r.inputs["enableHttpEndpoint"] === true && had.inputs["enableHttpEndpoint"] !== true) {
          c.state.httpEndpointEnabled = true;
        }
      }
    }
    if (r.type === "aws:route53/healthCheck:HealthCheck") {
      const h = world.s.healthChecks[r.id];
      if (h !== undefined) {
        if (!r.ignoreChanges.includes("invertHealthcheck")) h.inverted = r.inputs["invertHealthcheck"] === true;
        if (!r.ignoreChanges.includes("disabled")) h.disabled = r.inputs["disabled"] === true;
        h.version += 1;
      }
    }
    world.commit();
  }

  private async remove(r: DeclaredResource, region: string, opts: StackOperationOptions): Promise<void> {
    const world = this.world;
    const where: string = r.inputs["region"] ?? region;
    if (r.retain) return; // retainOnDelete: left in AWS, gone from the state.
    try {
      switch (r.type) {
        case "aws:rds/cluster:Cluster": {
          const c = world.cluster(String(r.inputs["clusterIdentifier"]));
          if (c === undefined) return;
          // The provider retries a delete while the cluster is still being created.
          await this.until(
            () => world.cluster(c.id) === undefined || c.status !== "creating",
            () => c.state.readyAt,
            () => undefined,
            opts,
            `deleting RDS Cluster (${c.id})`,
          );
          this.gate(where, r, "delete");
          if (
            r.inputs["skipFinalSnapshot"] !== true &&
            r.inputs["finalSnapshotIdentifier"] !== undefined &&
            c.status === "available"
          ) {
            const arn = `arn:aws:rds:${c.region}:${world.s.account}:cluster-snapshot:${r.inputs["finalSnapshotIdentifier"]}`;
            if (world.s.snapshots[arn] !== undefined)
              throw new SandboxAwsError(
                "DBClusterSnapshotAlreadyExistsFault",
                `Cannot create the snapshot because a snapshot with the identifier ${r.inputs["finalSnapshotIdentifier"]} already exists.`,
                "client",
              );
            world.s.snapshots[arn] = {
              id: String(r.inputs["finalSnapshotIdentifier"]),
              arn,
              region: c.region,
              status: "creating",
              clusterId: c.id,
              createdAt: world.now(),
              readyAt: world.now() + world.draw(world.s.durations.snapshotCreate),
              tags: { ...c.tags },
              engineVersion: c.state.engineVersion,
              data: await c.copy(world.dataFile("final")),
            };
          }
          deleteClusterNow(world, c);
          // The provider waits until the cluster is gone.
          await this.until(
            () => world.cluster(c.id) === undefined,
            () => c.state.deletingUntil ?? world.now(),
            () => undefined,
            opts,
            `deleting RDS Cluster (${c.id})`,
          );
          await world.purgeCluster(c);
          return;
        }
        case "aws:rds/clusterInstance:ClusterInstance": {
          for (const c of world.liveClusters()) {
            const i = c.state.instances.find((x) => x.id === r.inputs["identifier"]);
            if (i === undefined) continue;
            await this.until(
              () => (world.cluster(c.id), i.status !== "creating"),
              () => i.readyAt,
              () => undefined,
              opts,
              `deleting RDS Cluster Instance (${i.id})`,
            );
            this.gate(where, r, "delete");
            i.status = "deleting";
            i.readyAt = world.now() + world.draw(world.s.durations.instanceDelete);
            world.commit();
            await this.until(
              () => (world.cluster(c.id), !c.state.instances.includes(i)),
              () => i.readyAt,
              () => undefined,
              opts,
              `deleting RDS Cluster Instance (${i.id})`,
            );
          }
          return;
        }
        case "aws:rds/subnetGroup:SubnetGroup": {
          this.gate(where, r, "delete");
          const user = world.liveClusters().find((c) => c.state.subnetGroup === r.state["name"]);
          if (user !== undefined)
            throw new SandboxAwsError(
              "InvalidDBSubnetGroupStateFault",
              `Cannot delete the subnet group '${String(r.state["name"])}' because at least one database cluster: ${user.id} is still using it.`,
              "client",
            );
          return;
        }
        case "aws:ec2/securityGroup:SecurityGroup": {
          this.gate(where, r, "delete");
          const user = world.liveClusters().find((c) => (c.state.securityGroups ?? []).includes(r.id));
          if (user !== undefined)
            throw new SandboxAwsError("DependencyViolation", `resource ${r.id} has a dependent object`, "client");
          return;
        }
        case "aws:lambda/functionUrl:FunctionUrl":
          this.gate(where, r, "delete");
          delete world.s.workloads[new URL(r.state["functionUrl"]).host];
          return;
        case "aws:lambda/function:Function":
          this.gate(where, r, "delete");
          delete world.s.functions[r.id];
          return;
        case "aws:ssm/parameter:Parameter":
          this.gate(where, r, "delete");
          delete world.s.parameters[`${where}/${r.inputs["name"]}`];
          return;
        case "aws:route53/healthCheck:HealthCheck":
          this.gate(where, r, "delete");
          delete world.s.healthChecks[r.id];
          return;
        case "aws:cloudwatch/metricAlarm:MetricAlarm":
          this.gate(where, r, "delete");
          delete world.s.alarms[`${where}/${r.state["name"]}`];
          return;
        case "aws:route53/record:Record": {
          this.gate(where, r, "delete");
          const i = world.s.dns.findIndex((d) => d.name === r.inputs["name"] && d.host === r.inputs["records"][0]);
          if (i >= 0) world.s.dns.splice(i, 1);
          return;
        }
        default:
          this.gate(where, r, "delete");
          return;
      }
    } catch (error) {
      if (error instanceof PilotlightError) throw error;
      throw this.aws(`deleting ${r.type} (${r.name})`, error);
    } finally {
      world.commit();
    }
  }
}

/** The identifier of the cluster an instance's `clusterIdentifier` input refers to (the cluster resource's id). */
function clusterIdOf(state: StackState, ref: string): string {
  const owner = state.resources.find((x) => x.type === "aws:rds/cluster:Cluster" && x.id === ref);
  return owner === undefined ? ref : String(owner.inputs["clusterIdentifier"]);
}

/** Orders dotted versions numerically ("16.10" after "16.4"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
