import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { isHolderDeadOnThisHost } from "./adapters/process-liveness";
import { SystemClock } from "./adapters/system-clock";
import { loadConfig, validateConfig } from "./config/load";
import { SANDBOX_CONFIG } from "./config/sandbox-default";
import type { Config, ConfigInput, EnvironmentConfig } from "./config/schema";
import { PilotlightError } from "./domain/errors";
import type { EventSink, PilotEvent } from "./domain/events";
import type { Run, RunKind, RunPhase } from "./domain/run";
import { Engine } from "./engine/engine";
import type { StepHandlers } from "./engine/step-context";
import type { Clock } from "./ports/clock";
import type { Lease, LeaseHolder, RunStore } from "./ports/run-store";
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
  /** Folder relative paths resolve against (default: the config file's folder, else the cwd). */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Receives every event of every run; the library itself never prints. */
  onEvent?: EventSink;
  /** An already open run store (the library then does not close it). */
  store?: RunStore;
  clock?: Clock;
  /** Runbooks in addition to (or replacing, by kind) the built-in ones. */
  runbooks?: Runbook[];
}

/** Common options of operations that start runs. */
export interface RunRequest {
  /** Environment name; may be omitted when the configuration declares exactly one. */
  env?: string;
  signal?: AbortSignal;
  dryRun?: boolean;
}

/** What a runbook is given to build its handlers: ports and configuration. */
export interface RunbookDeps {
  config: Config;
  environment: EnvironmentConfig;
  envName: string;
  clock: Clock;
  target: Target;
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
}

/** The operations of pilotlight, for the CLI and for platform APIs embedding it. */
export interface Pilotlight {
  readonly config: Config;
  readonly target: Target;
  failover(req: RunRequest & Record<string, unknown>): Promise<Run>;
  failback(req: RunRequest): Promise<Run>;
  restore(req: RunRequest & { to?: string }): Promise<Run>;
  drill(kind: "restore" | "full" | "posture", req: RunRequest): Promise<Run>;
  resume(runId: string, opts?: { signal?: AbortSignal }): Promise<Run>;
  status(env?: string): Promise<EnvironmentStatus[]>;
  runs: {
    list(filter?: { env?: string; kind?: RunKind; phase?: RunPhase; limit?: number }): Promise<Run[]>;
    show(id: string): Promise<RunDetails>;
  };
  close(): Promise<void>;
}

/** The lease key of an environment's runs: failover, failback and restores exclude each other. */
export function environmentTarget(env: string): string {
  return `env:${env}`;
}

/** A sortable, unique run id: `<kind>-<yyyymmddThhmmss>-<6 hex>`. */
export function newRunId(kind: string, now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "");
  return `${kind}-${stamp}-${randomBytes(3).toString("hex")}`;
}

/** Runbooks this build can execute (filled in as runbooks land). */
const RUNBOOKS = new Map<RunKind, Runbook>();

/** Registers a runbook so that its runs can be started and resumed. */
export function registerRunbook(runbook: Runbook): void {
  RUNBOOKS.set(runbook.kind, runbook);
}

function notBuilt(what: string): PilotlightError {
  return new PilotlightError("runbook.not-built", `${what} is not built yet in this version of pilotlight`, {
    source: "system",
    hint: "see the README's roadmap; nothing was changed",
  });
}

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
  if (options.config !== undefined) {
    config = validateConfig(options.config);
  } else {
    const loaded = options.target === "sandbox" && options.configFile === undefined && env["PILOTLIGHT_CONFIG"] === undefined
      ? undefined
      : loadConfig({ file: options.configFile, cwd: baseDir, env });
    if (loaded !== undefined) {
      config = loaded.config;
      baseDir = options.cwd ?? loaded.baseDir;
    } else if (options.target === "sandbox") {
      config = validateConfig(SANDBOX_CONFIG, "the sandbox's default configuration");
    } else {
      throw new PilotlightError("config.not-found", `no configuration: ${resolve(baseDir, "pilotlight.yaml")} does not exist`, {
        source: "user",
        hint: "write pilotlight.yaml (see the README's configuration reference), name one with --config, or rehearse with --sandbox",
      });
    }
  }
  const clock = options.clock ?? new SystemClock();
  const sink: EventSink = options.onEvent ?? (() => undefined);
  const ownsStore = options.store === undefined;
  const store = options.store ?? (await openRunStore(config.store.url, baseDir));
  const holder: LeaseHolder = { host: hostname(), pid: process.pid, instance: randomBytes(6).toString("hex") };

  const engine = (kind: string) =>
    new Engine({
      store,
      clock,
      holder,
      sink,
      newRunId: () => newRunId(kind, clock.now()),
      isHolderDead: (h) => isHolderDeadOnThisHost(h),
    });

  const pickEnv = (name?: string): [string, EnvironmentConfig] => {
    const names = Object.keys(config.environments);
    const chosen = name ?? (names.length === 1 ? names[0] : undefined);
    if (chosen === undefined) {
      throw new PilotlightError("environment.unknown", `several environments are configured (${names.join(", ")}); name one`, {
        source: "user",
        hint: "pass --env NAME",
      });
    }
    const environment = config.environments[chosen];
    if (environment === undefined) {
      throw new PilotlightError("environment.unknown", `no environment "${chosen}" in the configuration (known: ${names.join(", ")})`, {
        source: "user",
        hint: "pass --env with one of the names above",
      });
    }
    return [chosen, environment];
  };

  const runbooks = new Map(RUNBOOKS);
  for (const rb of options.runbooks ?? []) runbooks.set(rb.kind, rb);

  const handlersFor = (run: Run): StepHandlers => {
    const runbook = runbooks.get(run.kind);
    if (runbook === undefined) {
      throw new PilotlightError("run.not-resumable", `this build cannot execute ${run.kind} runs`, { source: "user" });
    }
    const envName = typeof run.spec["env"] === "string" ? run.spec["env"] : undefined;
    const [name, environment] = pickEnv(envName);
    return runbook.handlers({ config, environment, envName: name, clock, target: options.target });
  };

  return {
    config,
    target: options.target,
    async failover(req) {
      pickEnv(req.env);
      throw notBuilt("failover");
    },
    async failback(req) {
      pickEnv(req.env);
      throw notBuilt("failback");
    },
    async restore(req) {
      pickEnv(req.env);
      throw notBuilt("point-in-time restore");
    },
    async drill(kind, req) {
      pickEnv(req.env);
      throw notBuilt(`the ${kind} drill`);
    },
    async resume(runId, opts = {}) {
      const run = await store.loadRun(runId);
      if (run === undefined) {
        throw new PilotlightError("run.not-found", `no run ${runId} in the run store`, { source: "user", hint: "list runs with `pilotlight runs list`" });
      }
      return engine(run.kind).resume(runId, handlersFor(run), opts.signal);
    },
    async status(name) {
      const entries = name === undefined ? Object.entries(config.environments) : [pickEnv(name)];
      const result: EnvironmentStatus[] = [];
      for (const [envName, environment] of entries) {
        const target = environmentTarget(envName);
        const runs = (await store.listRuns({ limit: 200 })).filter((r) => r.spec["env"] === envName);
        const lastRuns: EnvironmentStatus["lastRuns"] = {};
        for (const r of runs) {
          if (lastRuns[r.kind] === undefined) lastRuns[r.kind] = r.endedAt === undefined ? { id: r.id, phase: r.phase } : { id: r.id, phase: r.phase, endedAt: r.endedAt };
        }
        const lease = await store.readLease(target);
        const status: EnvironmentStatus = {
          name: envName,
          primaryRegion: environment.primary.region,
          drRegion: environment.dr.region,
          objectives: { rtoMs: environment.objectives.rto, rpoMs: environment.objectives.rpo },
          lastRuns,
        };
        if (lease !== undefined && lease.expiresAt > clock.now()) status.activeLease = lease;
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
      async show(id) {
        const run = await store.loadRun(id);
        if (run === undefined) {
          throw new PilotlightError("run.not-found", `no run ${id} in the run store`, { source: "user", hint: "list runs with `pilotlight runs list`" });
        }
        return { run, events: await store.listEvents(id) };
      },
    },
    async close() {
      if (ownsStore) await store.close();
    },
  };
}
