import type { EnvironmentConfig } from "../config/schema";
import { formatDuration } from "../domain/objectives";
import type { Clock } from "../ports/clock";
import type { StackConfigValue } from "../ports/stacks";
import { SandboxBackups, SandboxDatabases, SandboxHealth, SandboxNotifier, SandboxSqlAccess, SandboxTraffic } from "./aws-services";
import type { SandboxDurations } from "./durations";
import { SandboxStacks } from "./sandbox-stacks";
import { SandboxWorld } from "./world";

/** The ports of a sandbox, as the runbooks use them. */
export interface SandboxPorts {
  world: SandboxWorld;
  stacks: SandboxStacks;
  backups: SandboxBackups;
  databases: SandboxDatabases;
  traffic: SandboxTraffic;
  health: SandboxHealth;
  sqlAccess: SandboxSqlAccess;
  notifier: SandboxNotifier;
}

/** Options of {@link createSandbox}. */
export interface SandboxOptions {
  clock: Clock;
  envName: string;
  environment: EnvironmentConfig;
  seed?: number;
  durations?: Partial<SandboxDurations>;
}

/** Stack config of an environment's primary stack, as pilotlight sets it. */
export function primaryStackConfig(envName: string, env: EnvironmentConfig): Record<string, StackConfigValue> {
  const c: Record<string, StackConfigValue> = {
    "aws:region": { value: env.primary.region },
    "pilotlight:role": { value: "primary" },
    "pilotlight:environment": { value: envName },
    "pilotlight:drRegion": { value: env.dr.region },
    "pilotlight:rto": { value: compact(env.objectives.rto) },
    "pilotlight:rpo": { value: compact(env.objectives.rpo) },
    "pilotlight:workload": { value: "reference" },
  };
  if (env.dns !== undefined) {
    c["pilotlight:dnsZoneId"] = { value: env.dns.zoneId };
    c["pilotlight:dnsName"] = { value: env.dns.name };
    c["pilotlight:dnsTtl"] = { value: String(env.dns.ttlSeconds) };
    if (env.dns.drillName !== undefined) c["pilotlight:dnsDrillName"] = { value: env.dns.drillName };
  }
  return c;
}

/** A duration as the program's tags want it (`4h`, `90m`). */
export function compact(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return formatDuration(ms).replace(/\s+/g, "");
}

/**
 * Builds the simulated region pair for one environment and its ports. Nothing is deployed until
 * {@link bootstrapSandbox}.
 */
export function createSandbox(o: SandboxOptions): SandboxPorts {
  const world = new SandboxWorld({
    clock: o.clock,
    seed: o.seed ?? 7,
    primaryRegion: o.environment.primary.region,
    drRegion: o.environment.dr.region,
    environment: o.envName,
    ...(o.durations === undefined ? {} : { durations: o.durations }),
  });
  const stacks = new SandboxStacks(world, (stack) => (stack === o.environment.primary.stack ? o.environment.primary.region : o.environment.dr.region));
  return {
    world,
    stacks,
    backups: new SandboxBackups(world),
    databases: new SandboxDatabases(world),
    traffic: new SandboxTraffic(world),
    health: new SandboxHealth(world),
    sqlAccess: new SandboxSqlAccess(world),
    notifier: new SandboxNotifier(),
  };
}

/**
 * Deploys the primary stack of the real program into the sandbox, seeds the database, and starts
 * the workload generator and the hourly backup plan.
 */
export async function bootstrapSandbox(s: SandboxPorts, envName: string, env: EnvironmentConfig, rows = 500): Promise<void> {
  const ctl = new AbortController();
  const result = await s.stacks.up(env.primary.stack, primaryStackConfig(envName, env), { signal: ctl.signal, deadline: s.world.clock.now() + 6 * 3_600_000 });
  const clusterId = String(result.outputs["clusterIdentifier"]);
  const cluster = s.world.cluster(clusterId);
  if (cluster === undefined) throw new Error(`sandbox: primary cluster ${clusterId} was not created`);
  await s.world.seed(cluster, rows);
  s.world.primaryClusterId = clusterId;
  s.world.startActivity();
}
