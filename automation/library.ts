import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { readPrimaryOutputs } from "../infra/contract";
import { isHolderDeadOnThisHost } from "./adapters/process-liveness";
import type { Locations } from "./config/locations";
import type { Config, EnvironmentConfig } from "./config/schema";
import type { DrillKind, DrillKit, SweepReport } from "./drill-kit";
import type { DoctorFinding } from "./doctor";
import { PilotlightError, isPilotlightError } from "./domain/errors";
import { redactDeep } from "./domain/redact";
import type { EventSink, PilotEvent } from "./domain/events";
import type { JsonObject } from "./domain/json";
import type { Plan } from "./domain/plan";
import type { Run, RunKind, RunPhase } from "./domain/run";
import { computeTrends, type Trend } from "./domain/trends";
import { Engine } from "./engine/engine";
import type { Clock } from "./ports/clock";
import type { Lease, LeaseHolder, RunStore } from "./ports/run-store";
import type { Validator } from "./ports/validator";
import { abandonRunbook } from "./runbooks/abandon";
import { openDatabase } from "./runbooks/actions";
import { failbackRunbook } from "./runbooks/failback";
import { failoverRunbook } from "./runbooks/failover";
import { restoreRunbook } from "./runbooks/point-in-time-restore";
import type { EnvironmentPorts, RunbookPorts } from "./ports/runbook-ports";
import type { AnyRunbook, RunbookContext } from "./runbooks/runbook";

/** What the library acts on: real AWS, one sandbox world, or a host's own ports. */
export interface TargetInfo {
  kind: "real" | "sandbox" | "custom";
  /** Scopes runs and leases: `real`, `sandbox:<world id>`, or the host's own. */
  id: string;
  /** True when nothing here touches AWS (runs and reports are marked simulated). */
  simulated: boolean;
}

/** Options of {@link createPilotlight}: everything is given; the library opens nothing itself. */
export interface PilotlightOptions {
  config: Config;
  target: TargetInfo;
  /** The ports of an environment, built by the target; asked once per environment. */
  ports: (envName: string, env: EnvironmentConfig) => Promise<EnvironmentPorts> | EnvironmentPorts;
  clock: Clock;
  store: RunStore;
  /** Runbooks in addition to (or replacing, by kind) the built-in failover, failback, restore and abandon. */
  runbooks?: AnyRunbook[];
  /** Validation, drills, sweeper and scheduler (`drills/`); without it those fail with `kit.missing`. */
  kit?: DrillKit;
  /** Receives every event of every run; the library itself never prints. */
  onEvent?: EventSink;
  holder?: LeaseHolder;
  /** Released by `close()` (the store and target the host opened for this library). */
  onClose?: () => Promise<void>;
  /** Where the host keeps state (store, state backend, reports), for status and reports. */
  locations?: Locations;
}

/** Common options of operations that start runs. */
export interface RunRequest {
  /** Environment name; may be omitted when the configuration declares exactly one. */
  env?: string;
  signal?: AbortSignal;
  /** Print the plan and the facts it would act on; change nothing. */
  dryRun?: boolean;
  /** Proceed without asking. Without it, `confirm` is asked, and without `confirm` the run is refused. */
  yes?: boolean;
  confirm?: (question: string) => Promise<boolean>;
}

/** What a dry run returns instead of a run. */
export interface PlanPreview {
  dryRun: true;
  kind: RunKind;
  env: string;
  request: JsonObject;
  facts: JsonObject;
  plan: Plan;
  warnings: string[];
}

/** A run with its persisted events. */
export interface RunDetails {
  run: Run;
  events: PilotEvent[];
}

/** Per-environment status. */
export interface EnvironmentStatus {
  name: string;
  primaryRegion: string;
  drRegion: string;
  objectives: { rtoMs: number; rpoMs: number };
  activeLease?: Lease;
  lastRuns: Partial<Record<RunKind, { id: string; phase: RunPhase; endedAt?: number }>>;
  /** Facts read from AWS (or the sandbox); `error` says why they could not be read. */
  live?: {
    traffic?: string[];
    servedBy?: "primary" | "dr" | "unknown";
    primaryHealth?: string;
    pinnedToDr?: boolean | "unknown";
    drPublished?: boolean | "unknown";
    drStack: "absent" | "present" | "unknown";
    newestRecoveryPoint?: { arn: string; createdAt: number; ageMs: number };
    error?: string;
  };
}

/** The operations of pilotlight, for the CLI and for platform APIs embedding it. */
export interface Pilotlight {
  readonly config: Config;
  readonly target: TargetInfo;
  readonly store: RunStore;
  readonly clock: Clock;
  /** The resolved store, state backend, reports and project folders, when the host said. */
  readonly locations: Locations | undefined;
  /** Any registered runbook, by kind: gather, decide, plan, then (unless a dry run) run. */
  run(kind: RunKind, req: RunRequest & object, leaseKind?: string): Promise<Run | PlanPreview>;
  failover(
    req: RunRequest & {
      force?: boolean;
      critical?: boolean;
      recoveryPoint?: string;
      before?: string | number;
      acceptDataLoss?: boolean;
      outageSince?: string | number;
      prepare?: boolean;
    },
  ): Promise<Run | PlanPreview>;
  failback(req: RunRequest & { acceptStrandedWrites?: boolean }): Promise<Run | PlanPreview>;
  restore(req: RunRequest & { to?: string | number }): Promise<Run | PlanPreview>;
  /** Undoes what a failed failover or restore left (DR stack, candidate, fence), so a new run may start. */
  abandon(req: RunRequest & { run: string }): Promise<Run | PlanPreview>;
  drill(kind: DrillKind, req: RunRequest): Promise<Run | PlanPreview>;
  /** Removes drill leftovers whose TTL passed; never anything without pilotlight's tag. */
  sweep(req: { env?: string; signal?: AbortSignal; dryRun?: boolean }): Promise<SweepReport>;
  /** Records a validation manifest of the primary (cheap enough to run after each backup). */
  recordManifest(req: { env?: string }): Promise<{ env: string; recordedAt: number; tables: number; rows: number }>;
  /** The drill scheduler (and a metrics endpoint on `metricsPort`) until `signal` aborts. */
  serveDrills(o: { signal: AbortSignal; metricsPort?: number }): Promise<void>;
  resume(runId: string, opts?: { signal?: AbortSignal }): Promise<Run>;
  status(env?: string): Promise<EnvironmentStatus[]>;
  /** The read-only readiness check of an environment: each finding with its fix (nothing changes). */
  doctor(req?: { env?: string }): Promise<{ env: string; findings: DoctorFinding[] }>;
  runs: {
    list(filter?: { env?: string; kind?: RunKind; phase?: RunPhase; limit?: number }): Promise<Run[]>;
    show(id: string): Promise<RunDetails>;
    /** Restore duration, RTO and RPO over the last `days` (default 90), per environment and kind. */
    trends(filter?: { env?: string; kind?: RunKind; days?: number }): Promise<Trend[]>;
  };
  close(): Promise<void>;
}

/** A sortable, unique run id: `<kind>-<yyyymmddThhmmss>-<6 hex>`. */
export function newRunId(kind: string, now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "");
  return `${kind}-${stamp}-${randomBytes(3).toString("hex")}`;
}

/** The lease of an environment on a target: failover, failback, restores and abandons exclude each other. */
export function environmentLease(target: TargetInfo, env: string): string {
  return target.kind === "real" ? `env:${env}` : `${target.id}:env:${env}`;
}

/** The run kind of each drill. */
export const DRILL_RUN_KINDS: Record<DrillKind, RunKind> = {
  restore: "restore-drill",
  full: "full-drill",
  posture: "posture-check",
};

function isPreview(x: unknown): x is PlanPreview {
  return typeof x === "object" && x !== null && (x as PlanPreview).dryRun === true;
}
export { isPreview };

function kitMissing(what: string): PilotlightError {
  return new PilotlightError("kit.missing", `${what} needs the drills kit, and this library was created without one`, {
    source: "system",
    hint: "create the library with createPilotlight from the package's entry (drills/index.ts), which plugs in validation and drills",
  });
}

/** Stands in for the validator when no kit was given: fails when used, not before. */
const NO_VALIDATOR: Validator = {
  validate: async () => Promise.reject(kitMissing("data validation")),
  recordManifest: async () => Promise.reject(kitMissing("recording a manifest")),
};

const BUILT_IN: AnyRunbook[] = [failoverRunbook, failbackRunbook, restoreRunbook, abandonRunbook];

/**
 * Creates the library over what the host opened: configuration, target ports, clock, store.
 * Knows nothing of the sandbox or of AWS; never prints, never exits.
 */
export function createPilotlight(options: PilotlightOptions): Pilotlight {
  const { config, clock, store, target } = options;
  const sink: EventSink = options.onEvent ?? (() => undefined);
  const holder: LeaseHolder = options.holder ?? {
    host: hostname(),
    pid: process.pid,
    instance: randomBytes(6).toString("hex"),
  };
  const kit = options.kit;
  const runbooks = new Map<RunKind, AnyRunbook>();
  for (const rb of [...BUILT_IN, ...(kit?.runbooks ?? []), ...(options.runbooks ?? [])]) runbooks.set(rb.kind, rb);

  const pickEnv = (name?: string): [string, EnvironmentConfig] => {
    const names = Object.keys(config.environments);
    const chosen = name ?? (names.length === 1 ? names[0] : undefined);
    if (chosen === undefined) {
      throw new PilotlightError(
        "environment.unknown",
        `several environments are configured (${names.join(", ")}); name one`,
        { source: "user", hint: "pass --env NAME" },
      );
    }
    const environment = config.environments[chosen];
    if (environment === undefined) {
      throw new PilotlightError(
        "environment.unknown",
        `no environment "${chosen}" in the configuration (known: ${names.join(", ")})`,
        { source: "user", hint: "pass --env with one of the names above" },
      );
    }
    return [chosen, environment];
  };

  // A target builds an environment's ports once: no adapter is rebuilt per call.
  const built = new Map<string, Promise<RunbookPorts>>();
  const portsFor = (envName: string, env: EnvironmentConfig): Promise<RunbookPorts> => {
    let p = built.get(envName);
    if (p === undefined) {
      p = Promise.resolve(options.ports(envName, env)).then((ports) => ({
        ...ports,
        manifests: store,
        validator: kit?.validator ?? NO_VALIDATOR,
      }));
      p.catch(() => built.delete(envName));
      built.set(envName, p);
    }
    return p;
  };
  const context = async (envName: string, env: EnvironmentConfig): Promise<RunbookContext> => ({
    config,
    envName,
    env,
    ports: await portsFor(envName, env),
    target: target.id,
    runs: {
      load: (id) => store.loadRun(id),
      list: async (f) =>
        (await store.listRuns({ ...(f.kind === undefined ? {} : { kind: f.kind }), limit: f.limit ?? 50 })).filter(
          (r) => r.spec["target"] === undefined || r.spec["target"] === target.id,
        ),
    },
  });

  const engine = (kind: string) =>
    new Engine({
      store,
      clock,
      holder,
      sink,
      newRunId: () => newRunId(kind, clock.now()),
      isHolderDead: (h) => isHolderDeadOnThisHost(h),
    });

  const emit = (code: PilotEvent["code"], message: string, data?: JsonObject, level: PilotEvent["level"] = "info") => {
    try {
      sink(redactDeep({ time: clock.now(), level, code, message, ...(data === undefined ? {} : { data }) }));
    } catch {
      // A host's sink never breaks an operation.
    }
  };

  /** Refuses unless confirmed: `--yes`, or a yes on a TTY. The clock stands still while asking. */
  const confirmed = async (req: RunRequest, question: string): Promise<void> => {
    if (req.yes === true) return;
    if (req.confirm === undefined) {
      throw new PilotlightError(
        "refused.confirmation-required",
        "this changes production and needs a confirmation, but there is no terminal to ask on",
        {
          source: "user",
          hint: "pass --yes to proceed non-interactively (check the plan first with --dry-run)",
        },
      );
    }
    if (!(await clock.track(req.confirm(question))))
      throw new PilotlightError("refused.declined", "not confirmed; nothing was changed", { source: "user" });
  };

  const REQUEST_OPTIONS = new Set(["env", "signal", "dryRun", "yes", "confirm"]);

  const run = async (kind: RunKind, req: RunRequest & object, leaseOf?: string): Promise<Run | PlanPreview> => {
    const runbook = runbooks.get(kind);
    if (runbook === undefined) {
      throw kind === "restore-drill" || kind === "full-drill" || kind === "posture-check"
        ? kitMissing(`the ${kind}`)
        : new PilotlightError("config.invalid", `this build has no ${kind} runbook`, { source: "user" });
    }
    const [envName, env] = pickEnv(req.env);
    const raw: JsonObject = {};
    for (const [k, v] of Object.entries(req))
      if (!REQUEST_OPTIONS.has(k) && v !== undefined) raw[k] = v as JsonObject[string];
    const request = runbook.request(raw, clock.now()) as JsonObject;
    const rc = await context(envName, env);
    const facts = (await runbook.gather(rc, request)) as JsonObject;
    const decision = runbook.decide(facts, request, env);
    const plan = runbook.plan(facts, request, env);
    emit("plan.ready", `${kind} of ${envName}: ${plan.steps.length} steps`, {
      request,
      facts,
      warnings: decision.warnings,
    });
    for (const w of decision.warnings) emit("run.warning", w, { kind }, "warn");
    if (decision.refusal !== undefined) throw decision.refusal;
    if (req.dryRun === true) {
      emit("dry-run", `dry run of ${kind}: nothing was changed`);
      return { dryRun: true, kind, env: envName, request, facts, plan, warnings: decision.warnings };
    }
    if (runbook.confirm !== undefined) await confirmed(req, runbook.confirm(facts, request, rc));
    const envLease = environmentLease(target, envName);
    const lease = leaseOf ?? runbook.leaseKey?.(envLease) ?? envLease;
    return engine(kind).start({
      kind,
      target: lease,
      spec: {
        env: envName,
        target: target.id,
        simulated: target.simulated,
        request,
        facts,
        warnings: decision.warnings,
      },
      plan,
      handlers: runbook.handlers(rc),
      ...(req.signal === undefined ? {} : { signal: req.signal }),
    });
  };

  /** What AWS says now: where the name points, gates, DR stack, newest DR copy. Never throws. */
  const liveStatus = async (
    envName: string,
    environment: EnvironmentConfig,
  ): Promise<NonNullable<EnvironmentStatus["live"]>> => {
    const live: NonNullable<EnvironmentStatus["live"]> = { drStack: "unknown" };
    try {
      const ports = await portsFor(envName, environment);
      live.drStack = (await ports.stacks.exists(environment.dr.stack)) ? "present" : "absent";
      const primary = readPrimaryOutputs(
        environment.primary.stack,
        await ports.stacks.outputs(environment.primary.stack),
      );
      if (primary.healthCheckId !== undefined) {
        const h = await ports.traffic.healthCheckStatus({ healthCheckId: primary.healthCheckId });
        live.primaryHealth = h.state + (h.reason === undefined ? "" : ` (${h.reason})`);
      }
      if (primary.trafficGate !== undefined) {
        const g = await ports.traffic.gateState({ gate: primary.trafficGate });
        live.pinnedToDr = g === "unknown" ? "unknown" : g === "ALARM";
      }
      if (primary.drGate !== undefined) {
        const g = await ports.traffic.gateState({ gate: primary.drGate });
        live.drPublished = g === "unknown" ? "unknown" : g === "OK";
      }
      if (environment.dns !== undefined) {
        live.traffic = await ports.traffic.resolve({
          zoneId: environment.dns.zoneId,
          name: environment.dns.name,
          nameServers: primary.nameServers ?? [],
        });
        const hostOf = (u?: string) => (u === undefined ? undefined : new URL(u).host);
        live.servedBy = live.traffic.includes(hostOf(primary.healthUrl) ?? "\0")
          ? "primary"
          : live.traffic.includes(hostOf(primary.drHealthUrl) ?? "\0")
            ? "dr"
            : "unknown";
      }
      const points = (
        await ports.backups.listRecoveryPoints({
          region: environment.dr.region,
          vault: environment.dr.vault,
          resourceArn: primary.clusterArn,
        })
      )
        .filter((p) => p.status === "COMPLETED" || p.status === "AVAILABLE")
        .sort((a, b) => b.createdAt - a.createdAt);
      if (points[0] !== undefined)
        live.newestRecoveryPoint = {
          arn: points[0].arn,
          createdAt: points[0].createdAt,
          ageMs: clock.now() - points[0].createdAt,
        };
    } catch (error) {
      live.error = isPilotlightError(error) || error instanceof Error ? error.message : String(error);
    }
    return live;
  };

  const mine = (r: Run) => r.spec["target"] === undefined || r.spec["target"] === target.id;

  const lib: Pilotlight = {
    config,
    target,
    store,
    clock,
    locations: options.locations,
    run,
    failover: (req) => run("failover", req),
    failback: (req) => run("failback", req),
    restore: (req) => run("point-in-time-restore", req),
    abandon: (req) => run("abandon", req),
    async drill(kind, req) {
      const runKind = DRILL_RUN_KINDS[kind];
      if (runKind === undefined)
        throw new PilotlightError("config.invalid", `no drill "${String(kind)}" (known: restore, full, posture)`, {
          source: "user",
        });
      const [envName] = pickEnv(req.env);
      // Drills hold leases of their own, per kind: a drill never blocks a real failover of the
      // environment, and the read-only posture check never waits for a restore drill.
      return run(runKind, { ...req, yes: true }, `drill:${kind}:${environmentLease(target, envName)}`);
    },
    async sweep(req) {
      if (kit === undefined) throw kitMissing("the sweeper");
      const [envName, environment] = pickEnv(req.env);
      const ports = await portsFor(envName, environment);
      const drillRuns = [
        ...(await store.listRuns({ kind: "restore-drill", limit: 1000 })),
        ...(await store.listRuns({ kind: "full-drill", limit: 1000 })),
      ].filter(mine);
      const report = await kit.sweep(ports, environment, {
        now: clock.now(),
        signal: req.signal ?? new AbortController().signal,
        drillRuns,
        dryRun: req.dryRun === true,
        leaseLive: async (r) => {
          const lease = await store.readLease(r.target);
          return lease !== undefined && lease.runId === r.id && lease.expiresAt > clock.now();
        },
      });
      emit(
        "sweep.finished",
        `sweep of ${envName}${req.dryRun === true ? " (dry run)" : ""}: ${report.destroyedStacks.length} stacks, ${report.deletedClusters.length} clusters, ${report.deletedSnapshots.length} snapshots`,
        report,
      );
      return report;
    },
    async recordManifest(req) {
      if (kit === undefined) throw kitMissing("recording a manifest");
      const [envName, environment] = pickEnv(req.env);
      const ports = await portsFor(envName, environment);
      const primary = readPrimaryOutputs(
        environment.primary.stack,
        await ports.stacks.outputs(environment.primary.stack),
      );
      const at = {
        region: environment.primary.region,
        clusterArn: primary.clusterArn,
        secretArn: primary.masterSecretArn,
      };
      const manifest = await clock.track(
        kit.validator.recordManifest({
          open: async () => openDatabase(ports, at, environment, { enable: false }),
          validation: environment.validation,
          now: () => clock.now(),
        }),
      );
      await store.saveManifest(envName, manifest.recordedAt, manifest as unknown as JsonObject);
      emit("validation.result", `manifest of ${envName} recorded: ${manifest.tables.length} tables`, {
        recordedAt: manifest.recordedAt,
      });
      return {
        env: envName,
        recordedAt: manifest.recordedAt,
        tables: manifest.tables.length,
        rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
      };
    },
    async serveDrills(o) {
      if (kit === undefined) throw kitMissing("the drill scheduler");
      await kit.serve(lib, {
        sink,
        signal: o.signal,
        ...(o.metricsPort === undefined ? {} : { metricsPort: o.metricsPort }),
      });
    },
    async resume(runId, opts = {}) {
      const stored = await store.loadRun(runId);
      if (stored === undefined)
        throw new PilotlightError("run.not-found", `no run ${runId} in the run store`, {
          source: "user",
          hint: "list runs with `runs list`",
        });
      if (!mine(stored)) {
        throw new PilotlightError(
          "run.other-target",
          `run ${runId} acted on ${String(stored.spec["target"])}, not on ${target.id}: it is resumed only there`,
          {
            source: "user",
            hint:
              stored.spec["target"] === "real"
                ? "resume it without --sandbox"
                : "resume it with --sandbox in the world it ran in",
            details: { runTarget: String(stored.spec["target"]), target: target.id },
          },
        );
      }
      const runbook = runbooks.get(stored.kind);
      if (runbook === undefined)
        throw new PilotlightError("run.not-resumable", `this build cannot execute ${stored.kind} runs`, {
          source: "user",
        });
      const [envName, env] = pickEnv(typeof stored.spec["env"] === "string" ? stored.spec["env"] : undefined);
      return engine(stored.kind).resume(runId, runbook.handlers(await context(envName, env)), opts.signal);
    },
    async doctor(req = {}) {
      const [envName, environment] = pickEnv(req.env);
      const ports = await portsFor(envName, environment);
      if (ports.probes === undefined)
        throw new PilotlightError("config.invalid", "this target answers no readiness questions", { source: "system" });
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { runDoctor } = require("./doctor") as typeof import("./doctor");
      const { actionsOf } = require("./adapters/iam/policy") as typeof import("./adapters/iam/policy");
      /* eslint-enable @typescript-eslint/no-require-imports */
      const findings = await runDoctor({
        config,
        envName,
        env: environment,
        ports,
        probes: ports.probes,
        now: clock.now(),
        requiredActions: [...actionsOf("all")].sort(),
      });
      return { env: envName, findings };
    },
    async status(name) {
      const entries = name === undefined ? Object.entries(config.environments) : [pickEnv(name)];
      const result: EnvironmentStatus[] = [];
      for (const [envName, environment] of entries) {
        const lastRuns: EnvironmentStatus["lastRuns"] = {};
        for (const kind of [
          "failover",
          "failback",
          "point-in-time-restore",
          "abandon",
          "restore-drill",
          "full-drill",
          "posture-check",
        ] as const) {
          const r = (await store.listRuns({ kind, limit: 20 })).find((x) => x.spec["env"] === envName && mine(x));
          if (r !== undefined)
            lastRuns[kind] =
              r.endedAt === undefined ? { id: r.id, phase: r.phase } : { id: r.id, phase: r.phase, endedAt: r.endedAt };
        }
        const lease = await store.readLease(environmentLease(target, envName));
        const status: EnvironmentStatus = {
          name: envName,
          primaryRegion: environment.primary.region,
          drRegion: environment.dr.region,
          objectives: { rtoMs: environment.objectives.rto, rpoMs: environment.objectives.rpo },
          lastRuns,
        };
        if (lease !== undefined && lease.expiresAt > clock.now()) status.activeLease = lease;
        status.live = await liveStatus(envName, environment);
        result.push(status);
      }
      return result;
    },
    runs: {
      async list(filter = {}) {
        const runs = (
          await store.listRuns({ kind: filter.kind, phase: filter.phase, limit: Math.max(500, filter.limit ?? 50) })
        ).filter(mine);
        const wanted = filter.env === undefined ? runs : runs.filter((r) => r.spec["env"] === filter.env);
        return wanted.slice(0, filter.limit ?? 50);
      },
      async trends(filter = {}) {
        const since = clock.now() - (filter.days ?? 90) * 24 * 3_600_000;
        const runs = (await store.listRuns({ kind: filter.kind, limit: 5000 })).filter(
          (r) => mine(r) && r.createdAt >= since && (filter.env === undefined || r.spec["env"] === filter.env),
        );
        return computeTrends(runs, (name) => {
          const e = config.environments[name];
          return e === undefined ? undefined : { rtoMs: e.objectives.rto, rpoMs: e.objectives.rpo };
        });
      },
      async show(id) {
        const r = await store.loadRun(id);
        if (r === undefined)
          throw new PilotlightError("run.not-found", `no run ${id} in the run store`, {
            source: "user",
            hint: "list runs with `runs list`",
          });
        return { run: r, events: await store.listEvents(id) };
      },
    },
    async close() {
      await options.onClose?.();
    },
  };
  return lib;
}
