import type { EnvironmentConfig } from "../config/schema";
import type { Clock } from "../ports/clock";
import { primaryStackConfig } from "../runbooks/stack-config";
import { SandboxBackups, SandboxDatabases, SandboxHealth, SandboxKeys, SandboxNotifier, SandboxSqlAccess, SandboxTraffic } from "./aws-services";
import type { SandboxDurations } from "./durations";
import { SandboxStacks } from "./sandbox-stacks";
import { SandboxWorld, type SandboxActivity } from "./world";

/** The ports of a sandbox, as the runbooks use them. */
export interface SandboxPorts {
  world: SandboxWorld;
  stacks: SandboxStacks;
  backups: SandboxBackups;
  databases: SandboxDatabases;
  keys: SandboxKeys;
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
  activity?: SandboxActivity;
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
    ...o.activity,
  });
  const stacks = new SandboxStacks(world, (stack) => (stack === o.environment.primary.stack ? o.environment.primary.region : o.environment.dr.region));
  return {
    world,
    stacks,
    backups: new SandboxBackups(world),
    databases: new SandboxDatabases(world),
    keys: new SandboxKeys(world),
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
  if (env.dns !== undefined) {
    s.world.appRecordName = env.dns.name;
    // Resolvers start out answering the primary.
    await s.traffic.resolve({ zoneId: env.dns.zoneId, name: env.dns.name, type: "CNAME" });
  }
  s.world.startActivity();
}
