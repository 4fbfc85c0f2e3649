import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { FileReports } from "./adapters/file-reports";
import { isHolderDeadOnThisHost } from "./adapters/process-liveness";
import { SystemClock } from "./adapters/system-clock";
import { loadConfig, validateConfig } from "./config/load";
import { describeLocations, type Locations } from "./config/locations";
import { SANDBOX_CONFIG } from "./config/sandbox-default";
import type { Config, ConfigInput, EnvironmentConfig } from "./config/schema";
import { PilotlightError } from "./domain/errors";
import { redactDeep } from "./domain/redact";
import type { EventSink, PilotEvent } from "./domain/events";
import type { JsonObject } from "./domain/json";
import type { Plan } from "./domain/plan";
import type { Run, RunKind, RunPhase } from "./domain/run";
import { Engine } from "./engine/engine";
import type { StepHandlers } from "./engine/step-context";
import type { Clock } from "./ports/clock";
import type { Lease, LeaseHolder, RunStore } from "./ports/run-store";
import { decideFailback, failbackHandlers, gatherFailbackFacts, planFailback } from "./runbooks/failback";
import { decideFailover, failoverHandlers, gatherFailoverFacts, planFailover, type FailoverRequest } from "./runbooks/failover";
import type { EnvironmentPorts, RunbookPorts } from "./runbooks/ports";
import { decideRestore, gatherRestoreFacts, planRestore, restoreHandlers } from "./runbooks/point-in-time-restore";
import { readRestoreTime } from "./domain/times";
import type { SandboxSession } from "./sandbox/session";
import { openDatabase } from "./runbooks/actions";
import { computeTrends, type Trend } from "./domain/trends";
import type { DrillKind, DrillKit, SweepReport } from "./drill-kit";
import type { Validator } from "./ports/validator";
import { openRunStore } from "./store/open-store";

/** Where pilotlight acts: real AWS and Pulumi, or the simulated region pair. Always explicit. */
export type Target = "real" | "sandbox";

/** Options of {@link createPilotlight}. */
export interface PilotlightOptions {
  /** `real` or `sandbox`; there is no default, so nothing falls back to simulation silently. */
  target: Target;
  /** A configuration object; when absent it is loaded from `configFile` / `$PILOTLIGHT_CONFIG` / `pilotlight.yaml`. */
  config?: ConfigInput;
  configFile?: string;
  /**
   * Working directory (default: the process's): where `configFile` and `pilotlight.yaml` are
   * looked up, what relative paths of an in-memory `config` and of environment overrides resolve
   * against. A file's own relative paths resolve against the file's folder, wherever it runs.
   */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Receives every event of every run; the library itself never prints. */
  onEvent?: EventSink;
  /** An already open run store (the library then does not close it). */
  store?: RunStore;
  clock?: Clock;
  /** Ports to act through (embedding, tests); by default real adapters or the sandbox, per target. */
  ports?: EnvironmentPorts;
  /**
   * Validation, drills, sweeper and scheduler (`drills/`). The package's entry (`drills/index.ts`)
   * passes it; without it, runs that need it fail with `kit.missing`.
   */
  kit?: DrillKit;
  /** Runbooks in addition to (or replacing, by kind) the built-in ones. */
  runbooks?: Runbook[];
  /** Sandbox only: seed and start time of the simulated world. */
  sandbox?: { seed?: number; start?: number };
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
  facts: JsonObject;
  plan: Plan;
  warnings: string[];
}

/** What a runbook is given to build its handlers. */
export interface RunbookDeps {
  config: Config;
  environment: EnvironmentConfig;
  envName: string;
  ports: RunbookPorts;
}

/** A runbook registered with the library: how to execute the steps of its kind of run. */
export interface Runbook {
  kind: RunKind;
  handlers(deps: RunbookDeps): StepHandlers;
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
    drStack: "absent" | "present" | "unknown";
    newestRecoveryPoint?: { arn: string; createdAt: number; ageMs: number };
    error?: string;
  };
}

/** The operations of pilotlight, for the CLI and for platform APIs embedding it. */
export interface Pilotlight {
  readonly config: Config;
  readonly target: Target;
  /** The run store (history, leases, manifests, schedule claims). */
  readonly store: RunStore;
  /** The clock runs are timed with (virtual on the sandbox). */
  readonly clock: Clock;
  /** The resolved store, state backend, reports and project folders (for status and reports). */
  readonly locations: Locations;
  /** The simulated world, when the target is the sandbox. */
  readonly sandbox?: SandboxSession;
  failover(req: RunRequest & FailoverRequest): Promise<Run | PlanPreview>;
  /** Removes drill leftovers whose TTL passed; never anything without pilotlight's tag. */
  sweep(req: { env?: string; signal?: AbortSignal }): Promise<SweepReport>;
  /** Records a validation manifest of the primary (cheap enough to run after each backup). */
  recordManifest(req: { env?: string }): Promise<{ env: string; recordedAt: number; tables: number; rows: number }>;
  failback(req: RunRequest): Promise<Run | PlanPreview>;
  restore(req: RunRequest & { to?: string }): Promise<Run | PlanPreview>;
  drill(kind: DrillKind, req: RunRequest): Promise<Run | PlanPreview>;
  /** The drill scheduler (and a metrics endpoint on `metricsPort`) until `signal` aborts. */
  serveDrills(o: { signal: AbortSignal; metricsPort?: number }): Promise<void>;
  resume(runId: string, opts?: { signal?: AbortSignal }): Promise<Run>;
  status(env?: string): Promise<EnvironmentStatus[]>;
  runs: {
    list(filter?: { env?: string; kind?: RunKind; phase?: RunPhase; limit?: number }): Promise<Run[]>;
    show(id: string): Promise<RunDetails>;
    /** Restore duration, RTO and RPO over the last `days` (default 90), per environment and kind. */
    trends(filter?: { env?: string; kind?: RunKind; days?: number }): Promise<Trend[]>;
  };
  close(): Promise<void>;
}

/** The lease key of an environment's runs: failover, failback and restores exclude each other. */
export function environmentTarget(env: string, world?: string): string {
  return world === undefined ? `env:${env}` : `sandbox:${world}:env:${env}`;
}

/** A sortable, unique run id: `<kind>-<yyyymmddThhmmss>-<6 hex>`. */
export function newRunId(kind: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "");
  return `${kind}-${stamp}-${randomBytes(3).toString("hex")}`;
}

const BUILT_IN: Runbook[] = [
  { kind: "failover", handlers: (d) => failoverHandlers(d.ports, d.envName, d.environment) },
  { kind: "failback", handlers: (d) => failbackHandlers(d.ports, d.envName, d.environment) },
  { kind: "point-in-time-restore", handlers: (d) => restoreHandlers(d.ports, d.envName, d.environment) },
];

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

/** `--to`: an ISO time, or a duration before now such as `-45m`. */
export function parseRestoreTime(text: string | undefined, now: number): number {
  if (text === undefined) throw new PilotlightError("config.invalid", "a point-in-time restore needs --to TIME", { source: "user", hint: "e.g. --to 2026-01-19T13:00:00Z or --to=-45m" });
  const reading = readRestoreTime(text, now);
  const hint = "e.g. --to 2026-01-19T13:00:00Z or --to=-45m";
  if (!reading.ok) {
    throw new PilotlightError("config.invalid", `--to "${text}" ${reading.problem}`, { source: "user", hint });
  }
  return reading.ms;
}

function isPreview(x: unknown): x is PlanPreview {
  return typeof x === "object" && x !== null && (x as PlanPreview).dryRun === true;
}
export { isPreview };

/**
 * Creates the library. Loads and validates the configuration (every problem at once, nothing
 * opened when it is invalid), then opens the run store. Never prints, never exits.
 */
export async function createPilotlight(options: PilotlightOptions): Promise<Pilotlight> {
  if (options.target !== "real" && options.target !== "sandbox") {
    throw new PilotlightError("config.invalid", `target must be "real" or "sandbox", got ${JSON.stringify(options.target)}`, { source: "user" });
  }
  const env = options.env ?? process.env;
  let config: Config;
  let baseDir = options.cwd ?? process.cwd();
  let configFile: string | undefined;
  if (options.config !== undefined) {
    config = validateConfig(options.config);
  } else {
    const loaded =
      options.target === "sandbox" && options.configFile === undefined && env["PILOTLIGHT_CONFIG"] === undefined
        ? undefined
        : loadConfig({ file: options.configFile, cwd: baseDir, env });
    if (loaded !== undefined) {
      config = loaded.config;
      // The README's promise: a file's relative paths resolve against its folder, so that every
      // working directory finds one store, one state backend and one reports folder.
      baseDir = loaded.baseDir;
      configFile = loaded.file;
    } else if (options.target === "sandbox") {
      config = validateConfig(SANDBOX_CONFIG, "the sandbox's default configuration");
    } else {
      throw new PilotlightError("config.not-found", `no configuration: ${resolve(baseDir, "pilotlight.yaml")} does not exist`, {
        source: "user",
        hint: "write pilotlight.yaml (see the README's configuration reference), name one with --config, or rehearse with --sandbox",
      });
    }
  }
  const sink: EventSink = options.onEvent ?? (() => undefined);
  const reports = new FileReports(resolve(baseDir, config.reportsDir));

  const pickEnv = (name?: string): [string, EnvironmentConfig] => {
    const names = Object.keys(config.environments);
    const chosen = name ?? (names.length === 1 ? names[0] : undefined);
    if (chosen === undefined) {
      throw new PilotlightError("environment.unknown", `several environments are configured (${names.join(", ")}); name one`, { source: "user", hint: "pass --env NAME" });
    }
    const environment = config.environments[chosen];
    if (environment === undefined) {
      throw new PilotlightError("environment.unknown", `no environment "${chosen}" in the configuration (known: ${names.join(", ")})`, { source: "user", hint: "pass --env with one of the names above" });
    }
    return [chosen, environment];
  };

  // The sandbox exists only when asked for by name; one world per library instance.
  let session: SandboxSession | undefined;
  if (options.target === "sandbox" && options.ports === undefined) {
    const [envName, environment] = pickEnv(undefined);
    // Loaded only when the sandbox is asked for: it evaluates the Pulumi program (@pulumi/aws).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SandboxSession } = require("./sandbox/session") as typeof import("./sandbox/session");
    session = new SandboxSession({ envName, environment, reports, ...(options.sandbox?.seed === undefined ? {} : { seed: options.sandbox.seed }), ...(options.sandbox?.start === undefined ? {} : { start: options.sandbox.start }) });
  }
  const clock = options.clock ?? options.ports?.clock ?? session?.clock ?? new SystemClock();
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openRunStore(config.store.url, baseDir));
  const locations = describeLocations(config, baseDir, configFile, options.store !== undefined);
  const holder: LeaseHolder = { host: hostname(), pid: process.pid, instance: randomBytes(6).toString("hex") };
  const target = (envName: string) => environmentTarget(envName, session?.worldId);
  // Drills hold leases of their own, per kind: a drill never blocks a real failover of the
  // environment, and the read-only posture check never waits for a restore drill.
  const drillTarget = (kind: string) => (envName: string) => `drill:${kind}:${target(envName)}`;

  const kit = options.kit;
  const needKit = (what: string): DrillKit => {
    if (kit === undefined) throw kitMissing(what);
    return kit;
  };
  const portsFor = async (): Promise<RunbookPorts> => ({ manifests: store, validator: kit?.validator ?? NO_VALIDATOR, ...(await basePorts()) });
  const basePorts = async (): Promise<EnvironmentPorts> => {
    if (options.ports !== undefined) return options.ports;
    if (session !== undefined) return session.ports;
    // Loaded only for real runs: the AWS SDK clients and the Automation API are heavy.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createAwsPorts } = require("./adapters/aws-ports") as typeof import("./adapters/aws-ports");
    return createAwsPorts({ config, baseDir, clock, reports, env });
  };

  const engine = (kind: string) =>
    new Engine({ store, clock, holder, sink, newRunId: () => newRunId(kind, clock.now()), isHolderDead: (h) => isHolderDeadOnThisHost(h) });

  const runbooks = new Map<RunKind, Runbook>([...BUILT_IN, ...(kit?.runbooks ?? [])].map((r) => [r.kind, r]));
  for (const rb of options.runbooks ?? []) runbooks.set(rb.kind, rb);

  const handlersFor = async (run: Run): Promise<StepHandlers> => {
    const runbook = runbooks.get(run.kind);
    if (runbook === undefined) throw new PilotlightError("run.not-resumable", `this build cannot execute ${run.kind} runs`, { source: "user" });
    const envName = typeof run.spec["env"] === "string" ? run.spec["env"] : undefined;
    const [name, environment] = pickEnv(envName);
    return runbook.handlers({ config, environment, envName: name, ports: await portsFor() });
  };

  const emit = (code: PilotEvent["code"], message: string, data?: JsonObject) => {
    try {
      sink(redactDeep({ time: clock.now(), level: "info", code, message, ...(data === undefined ? {} : { data }) }));
    } catch {
      // A host's sink never breaks an operation.
    }
  };

  /** What AWS says now: where the name points, DR stack, newest DR copy. Never throws. */
  const liveStatus = async (environment: EnvironmentConfig): Promise<NonNullable<EnvironmentStatus["live"]>> => {
    const live: NonNullable<EnvironmentStatus["live"]> = { drStack: "unknown" };
    try {
      const ports = await portsFor();
      live.drStack = (await ports.stacks.exists(environment.dr.stack)) ? "present" : "absent";
      const primary = await ports.stacks.outputs(environment.primary.stack).catch(() => ({}) as JsonObject);
      if (primary["healthCheckId"] !== undefined) live.primaryHealth = (await ports.traffic.healthCheckStatus({ healthCheckId: String(primary["healthCheckId"]) })).state;
      if (environment.dns !== undefined) {
        live.traffic = await ports.traffic.resolve({ zoneId: environment.dns.zoneId, name: environment.dns.name, type: "CNAME" });
        const primaryHost = primary["healthUrl"] === undefined ? undefined : new URL(String(primary["healthUrl"])).host;
        live.servedBy = primaryHost === undefined ? "unknown" : live.traffic.includes(primaryHost) ? "primary" : live.drStack === "present" ? "dr" : "unknown";
      }
      const points = (await ports.backups.listRecoveryPoints({ region: environment.dr.region, vault: environment.dr.vault, ...(primary["clusterArn"] === undefined ? {} : { resourceArn: String(primary["clusterArn"]) }) }))
        .filter((p) => p.status === "COMPLETED")
        .sort((a, b) => b.createdAt - a.createdAt);
      if (points[0] !== undefined) live.newestRecoveryPoint = { arn: points[0].arn, createdAt: points[0].createdAt, ageMs: clock.now() - points[0].createdAt };
    } catch (error) {
      live.error = error instanceof Error ? error.message : String(error);
    }
    return live;
  };

  /** Refuses unless confirmed: `--yes`, or a yes on a TTY. */
  const confirmed = async (req: RunRequest, question: string): Promise<void> => {
    if (req.yes === true) return;
    if (req.confirm === undefined) {
      throw new PilotlightError("refused.confirmation-required", "this changes production and needs a confirmation, but there is no terminal to ask on", {
        source: "user",
        hint: "pass --yes to proceed non-interactively (check the plan first with --dry-run)",
      });
    }
    if (!(await req.confirm(question))) throw new PilotlightError("refused.declined", "not confirmed; nothing was changed", { source: "user" });
  };

  /** Gathers facts, applies guards, previews or confirms, then starts the run. */
  const operate = async <F extends JsonObject>(
    kind: RunKind,
    req: RunRequest,
    request: JsonObject,
    steps: {
      gather: (ports: RunbookPorts, envName: string, env: EnvironmentConfig) => Promise<F>;
      decide: (facts: F, env: EnvironmentConfig) => { refusal?: PilotlightError; warnings: string[] };
      plan: (facts: F, env: EnvironmentConfig) => Plan;
      question: (facts: F, envName: string, env: EnvironmentConfig) => string;
    },
    leaseKey: (envName: string) => string = target,
  ): Promise<Run | PlanPreview> => {
    const [envName, environment] = pickEnv(req.env);
    const ports = await portsFor();
    const facts = await steps.gather(ports, envName, environment);
    const decision = steps.decide(facts, environment);
    const plan = steps.plan(facts, environment);
    emit("plan.ready", `${kind} of ${envName}: ${plan.steps.length} steps`, { facts, warnings: decision.warnings });
    if (decision.refusal !== undefined) throw decision.refusal;
    if (req.dryRun === true) {
      emit("dry-run", `dry run of ${kind}: nothing was changed`);
      return { dryRun: true, kind, env: envName, facts, plan, warnings: decision.warnings };
    }
    await confirmed(req, steps.question(facts, envName, environment));
    const handlers = runbooks.get(kind)!.handlers({ config, environment, envName, ports });
    return engine(kind).start({ kind, target: leaseKey(envName), spec: { env: envName, request, facts }, plan, handlers, ...(req.signal === undefined ? {} : { signal: req.signal }) });
  };

  const lib: Pilotlight = {
    config,
    target: options.target,
    store,
    clock,
    locations,
    ...(session === undefined ? {} : { sandbox: session }),
    async failover(req) {
      if (session !== undefined) await session.stageFor("failover");
      const request: FailoverRequest = {};
      for (const k of ["force", "critical", "recoveryPoint", "before", "acceptDataLoss", "outageSince"] as const) if (req[k] !== undefined) (request as Record<string, unknown>)[k] = req[k];
      return operate("failover", req, request as JsonObject, {
        gather: (ports, envName, env) => gatherFailoverFacts(ports, envName, env, request),
        decide: (facts, env) => decideFailover(facts, request, env),
        plan: (facts, env) => planFailover(facts, env),
        question: (f, envName, env) => `Fail ${envName} over to ${env.dr.region}, restoring ${f.recoveryPoint?.arn} (${f.primaryHealth})?`,
      });
    },
    async sweep(req) {
      const { sweep } = needKit("the sweeper");
      const [envName, environment] = pickEnv(req.env);
      if (session !== undefined) await session.stageFor("status");
      const ports = await portsFor();
      const drillRuns = [...(await store.listRuns({ kind: "restore-drill", limit: 1000 })), ...(await store.listRuns({ kind: "full-drill", limit: 1000 }))];
      const report = await sweep(ports, environment, {
        now: clock.now(),
        signal: req.signal ?? new AbortController().signal,
        drillRuns,
        leaseLive: async (run) => {
          const lease = await store.readLease(run.target);
          return lease !== undefined && lease.runId === run.id && lease.expiresAt > clock.now();
        },
      });
      emit("step.progress", `sweep of ${envName}: ${report.destroyedStacks.length} stacks, ${report.deletedClusters.length} clusters, ${report.deletedSnapshots.length} snapshots removed`, report);
      return report;
    },
    async recordManifest(req) {
      const { validator } = needKit("recording a manifest");
      const [envName, environment] = pickEnv(req.env);
      if (session !== undefined) await session.stageFor("status");
      const ports = await portsFor();
      const primary = await ports.stacks.outputs(environment.primary.stack);
      const manifest = await clock.track(
        validator.recordManifest({ open: async () => openDatabase(ports, environment.primary.region, primary, environment), validation: environment.validation, now: () => clock.now() }),
      );
      await store.saveManifest(envName, manifest.recordedAt, manifest as unknown as JsonObject);
      emit("validation.result", `manifest of ${envName} recorded: ${manifest.tables.length} tables`, { recordedAt: manifest.recordedAt });
      return { env: envName, recordedAt: manifest.recordedAt, tables: manifest.tables.length, rows: manifest.tables.reduce((n, t) => n + t.rows, 0) };
    },
    async failback(req) {
      if (session !== undefined && !(await session.ports.stacks.exists(pickEnv(req.env)[1].dr.stack))) {
        // On the sandbox a failback needs a failover first: rehearse it, then let the primary recover.
        const first = await lib.failover({ ...req, yes: true, dryRun: false });
        if (isPreview(first) || first.phase !== "Completed") return first;
        session.recover();
        await session.advance(60 * 60_000);
      }
      return operate("failback", req, {}, {
        gather: (ports, envName, env) => gatherFailbackFacts(ports, envName, env),
        decide: (facts, env) => decideFailback(facts, env),
        plan: (facts, env) => planFailback(facts, env),
        question: (_f, envName, env) => `Fail ${envName} back to ${env.primary.region}? Writes stop while the data is copied home.`,
      });
    },
    async restore(req) {
      pickEnv(req.env);
      if (session !== undefined) await session.stageFor("restore");
      const to = parseRestoreTime(req.to, clock.now());
      return operate("point-in-time-restore", req, { to }, {
        gather: (ports, envName, env) => gatherRestoreFacts(ports, envName, env, to),
        decide: (facts, env) => decideRestore(facts, env),
        plan: (facts) => planRestore(facts),
        question: (f, envName) => `Restore ${envName} to ${new Date(f.to).toISOString()}, fencing writes on ${f.damagedCluster} now and serving the restored data?`,
      });
    },
    async drill(kind, req) {
      pickEnv(req.env);
      const op = needKit(`the ${kind} drill`).drills[kind];
      if (op === undefined) throw new PilotlightError("config.invalid", `no drill "${String(kind)}" (known: restore, full, posture)`, { source: "user" });
      if (session !== undefined) await session.stageFor("status");
      // Drills are unattended by design: they change nothing the business uses.
      return operate(op.runKind, { ...req, yes: true }, {}, { gather: op.gather, decide: op.decide, plan: op.plan, question: () => "" }, drillTarget(kind));
    },
    async serveDrills(o) {
      await needKit("the drill scheduler").serve(lib, { sink, signal: o.signal, ...(o.metricsPort === undefined ? {} : { metricsPort: o.metricsPort }) });
    },
    async resume(runId, opts = {}) {
      const run = await store.loadRun(runId);
      if (run === undefined) throw new PilotlightError("run.not-found", `no run ${runId} in the run store`, { source: "user", hint: "list runs with `pilotlight runs list`" });
      return engine(run.kind).resume(runId, await handlersFor(run), opts.signal);
    },
    async status(name) {
      const entries = name === undefined ? Object.entries(config.environments) : [pickEnv(name)];
      if (session !== undefined) await session.stageFor("status");
      const result: EnvironmentStatus[] = [];
      for (const [envName, environment] of entries) {
        const runs = (await store.listRuns({ limit: 200 })).filter((r) => r.spec["env"] === envName);
        const lastRuns: EnvironmentStatus["lastRuns"] = {};
        for (const r of runs) {
          if (lastRuns[r.kind] === undefined) lastRuns[r.kind] = r.endedAt === undefined ? { id: r.id, phase: r.phase } : { id: r.id, phase: r.phase, endedAt: r.endedAt };
        }
        const lease = await store.readLease(target(envName));
        const status: EnvironmentStatus = {
          name: envName,
          primaryRegion: environment.primary.region,
          drRegion: environment.dr.region,
          objectives: { rtoMs: environment.objectives.rto, rpoMs: environment.objectives.rpo },
          lastRuns,
        };
        if (lease !== undefined && lease.expiresAt > clock.now()) status.activeLease = lease;
        status.live = await liveStatus(environment);
        result.push(status);
      }
      return result;
    },
    runs: {
      async list(filter = {}) {
        const runs = await store.listRuns({ kind: filter.kind, phase: filter.phase, limit: filter.env === undefined ? filter.limit : 500 });
        const mine = filter.env === undefined ? runs : runs.filter((r) => r.spec["env"] === filter.env);
        return mine.slice(0, filter.limit ?? 50);
      },
      async trends(filter = {}) {
        const since = clock.now() - (filter.days ?? 90) * 24 * 3_600_000;
        const runs = (await store.listRuns({ kind: filter.kind, limit: 5000 })).filter((r) => r.createdAt >= since && (filter.env === undefined || r.spec["env"] === filter.env));
        return computeTrends(runs, (name) => {
          const e = config.environments[name];
          return e === undefined ? undefined : { rtoMs: e.objectives.rto, rpoMs: e.objectives.rpo };
        });
      },
      async show(id) {
        const run = await store.loadRun(id);
        if (run === undefined) throw new PilotlightError("run.not-found", `no run ${id} in the run store`, { source: "user", hint: "list runs with `pilotlight runs list`" });
        return { run, events: await store.listEvents(id) };
      },
    },
    async close() {
      if (session !== undefined) await session.close();
      if (ownsStore) await store.close();
    },
  };
  return lib;
}
