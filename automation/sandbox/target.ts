import { join } from "node:path";
import type { EnvironmentConfig } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { Reports } from "../ports/reports";
import type { EnvironmentPorts } from "../ports/runbook-ports";
import {
  SandboxBackups,
  SandboxDatabases,
  SandboxDoctorProbes,
  SandboxHealth,
  SandboxKeys,
  SandboxNotifier,
  SandboxSqlAccess,
  SandboxTraffic,
} from "./aws-services";
import type { SandboxDurations } from "./durations";
import { SandboxStacks } from "./sandbox-stacks";
import { SandboxWorld } from "./world";
import { WorldFolder } from "./world-folder";

const HOUR = 3_600_000;

/** Options of {@link SandboxTarget.open}. */
export interface SandboxTargetOptions {
  /** The world's folder (`.pilotlight/sandbox/world` by default). */
  folder: string;
  envName: string;
  environment: EnvironmentConfig;
  reports: Reports;
  /** What this process is, for the world's lock (`failover --sandbox`). */
  command: string;
  /** A world is made when the folder holds none (`true`), or never (`false`: a missing world is an error). */
  create?: boolean;
  /** For a new world: seed, virtual start time, seed rows, hours of history, durations, activity. */
  seed?: number;
  start?: number;
  rows?: number;
  historyHours?: number;
  durations?: Partial<SandboxDurations>;
  writeIntervalMs?: number;
  backupIntervalMs?: number;
  retentionMs?: number;
  /** The configuration's SNS topic: notifications are published to it (in its region). */
  snsTopicArn?: string;
}

/**
 * The simulated region pair as a target: one world in a folder, shared by every `--sandbox`
 * command and by a killed process's successor, and the ports that act on it. The library knows
 * nothing of it: the composition root opens it and hands its ports and clock over.
 */
export class SandboxTarget {
  readonly ports: EnvironmentPorts;
  readonly stacks: SandboxStacks;
  readonly traffic: SandboxTraffic;
  readonly notifier: SandboxNotifier;
  /** True when this process created the world (a new one was bootstrapped). */
  readonly created: boolean;

  private constructor(
    readonly world: SandboxWorld,
    readonly folder: WorldFolder,
    private readonly o: SandboxTargetOptions,
    created: boolean,
  ) {
    this.created = created;
    const env = o.environment;
    this.stacks = new SandboxStacks(world, (stack) =>
      stack === env.primary.stack ? env.primary.region : env.dr.region,
    );
    this.traffic = new SandboxTraffic(world);
    this.notifier = new SandboxNotifier(world, o.snsTopicArn);
    const settled = <T extends object>(port: T): T => settling(world, port);
    this.ports = {
      clock: world.clock,
      stacks: settled(this.stacks),
      backups: settled(new SandboxBackups(world)),
      databases: settled(new SandboxDatabases(world)),
      keys: settled(new SandboxKeys(world)),
      traffic: settled(this.traffic),
      health: settled(new SandboxHealth(world)),
      sqlAccess: settled(new SandboxSqlAccess(world)),
      notifier: settled(this.notifier),
      probes: settled(new SandboxDoctorProbes(world)),
      reports: o.reports,
    };
  }

  get clock() {
    return this.world.clock;
  }

  /** The world's id: runs, leases and reports of this world are scoped by it. */
  get worldId(): string {
    return this.world.id;
  }

  /**
   * Opens the world in `o.folder` for this process (a live process holding it is `sandbox.busy`;
   * a dead one's lock is taken over), or makes a new one and gives it a history: the primary
   * deployed from the real program, seed rows, `historyHours` of writes, backups and copies.
   */
  static async open(o: SandboxTargetOptions): Promise<SandboxTarget> {
    const folder = new WorldFolder(o.folder);
    folder.lock(o.command);
    try {
      if (folder.exists()) return new SandboxTarget(SandboxWorld.open(folder), folder, o, false);
      if (o.create === false) {
        throw new PilotlightError("sandbox.missing", `there is no sandbox world in ${o.folder}`, {
          source: "user",
          hint: "make one with `sandbox reset --sandbox`",
        });
      }
      const target = new SandboxTarget(SandboxWorld.create(folder, newWorldOptions(o)), folder, o, true);
      await target.bootstrap(o.rows ?? 500, o.historyHours ?? 6);
      return target;
    } catch (error) {
      folder.unlock();
      throw error;
    }
  }

  /** Removes the world in `folder` (runs and reports included) and makes a new one. */
  static async reset(o: SandboxTargetOptions): Promise<SandboxTarget> {
    const folder = new WorldFolder(o.folder);
    folder.lock(o.command);
    folder.wipe();
    folder.unlock();
    return SandboxTarget.open({ ...o, create: true });
  }

  /** Where the world keeps its runs (a store scoped to the world) and its reports. */
  static storeUrl(folder: string): string {
    return `pglite://${join(folder, "runs")}`;
  }

  static reportsDir(folder: string): string {
    return join(folder, "reports");
  }

  /**
   * Deploys the primary stack of the real program (the user's stack files, as `sandbox reset`
   * writes them), seeds the database, starts the application and the backup plan, and lets
   * `hours` of history happen.
   */
  private async bootstrap(rows: number, hours: number): Promise<void> {
    const { envName, environment: env } = this.o;
    const files = this.world.s.stackFiles;
    files[env.primary.stack] = stackFile(envName, env, "primary");
    files[env.dr.stack] = stackFile(envName, env, "dr");
    this.world.commit();
    const ctl = new AbortController();
    const result = await this.stacks.up(
      env.primary.stack,
      { set: {} },
      { signal: ctl.signal, deadline: this.world.now() + 6 * HOUR },
    );
    const clusterId = String(result.outputs["clusterIdentifier"]);
    const cluster = this.world.cluster(clusterId);
    if (cluster === undefined) throw new Error(`sandbox: the primary cluster ${clusterId} was not created`);
    await this.world.seed(cluster, rows);
    this.world.startActivity(env.dns?.name ?? "app.sandbox.internal");
    await this.world.advance(hours * HOUR);
  }

  /** Stops the world's activity, saves it and releases the folder. */
  async close(): Promise<void> {
    await this.world.close();
    this.folder.unlock();
  }
}

function newWorldOptions(o: SandboxTargetOptions) {
  return {
    seed: o.seed ?? 7,
    start: o.start ?? Math.floor(Date.now() / HOUR) * HOUR,
    environment: o.envName,
    primaryRegion: o.environment.primary.region,
    drRegion: o.environment.dr.region,
    ...(o.durations === undefined ? {} : { durations: o.durations }),
    ...(o.writeIntervalMs === undefined ? {} : { writeIntervalMs: o.writeIntervalMs }),
    ...(o.backupIntervalMs === undefined ? {} : { backupIntervalMs: o.backupIntervalMs }),
    ...(o.retentionMs === undefined ? {} : { retentionMs: o.retentionMs }),
  };
}

/** The stack files a user commits (`Pulumi.primary.yaml`, `Pulumi.dr.yaml`), for the sandbox's environment. */
export function stackFile(envName: string, env: EnvironmentConfig, role: "primary" | "dr"): Record<string, string> {
  const compact = (ms: number) => (ms % HOUR === 0 ? `${ms / HOUR}h` : `${Math.round(ms / 60_000)}m`);
  const file: Record<string, string> = {
    "aws:region": role === "primary" ? env.primary.region : env.dr.region,
    "pilotlight:role": role,
    "pilotlight:environment": envName,
    "pilotlight:rto": compact(env.objectives.rto),
    "pilotlight:rpo": compact(env.objectives.rpo),
    "pilotlight:engineVersion": "16.4",
    "pilotlight:instanceClass": "db.r6g.large",
    "pilotlight:workload": "reference",
  };
  if (role === "primary") file["pilotlight:drRegion"] = env.dr.region;
  else file["pilotlight:mode"] = "production";
  if (env.dns !== undefined) {
    file["pilotlight:dnsZoneId"] = env.dns.zoneId;
    file["pilotlight:dnsName"] = env.dns.name;
    file["pilotlight:dnsTtl"] = String(env.dns.ttlSeconds);
  }
  return file;
}

/**
 * The port with every asynchronous method settling the world before its promise settles (what a
 * real AWS call that returned has done is done): see `SandboxWorld.settle`.
 */
function settling<T extends object>(world: SandboxWorld, port: T): T {
  return new Proxy(port, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.then(
          (v) => {
            world.settle();
            return v;
          },
          (e: unknown) => {
            world.settle();
            throw e;
          },
        );
      };
    },
  });
}
