import type { EnvironmentConfig } from "../config/schema";
import { formatDuration } from "../domain/objectives";
import type { StackConfigValue } from "../ports/stacks";

/** A duration as the program's tags want it (`4h`, `90m`). */
export function compactDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return formatDuration(ms).replace(/\s+/g, "");
}

function common(envName: string, env: EnvironmentConfig, region: string): Record<string, StackConfigValue> {
  const c: Record<string, StackConfigValue> = {
    "aws:region": { value: region },
    "pilotlight:environment": { value: envName },
    "pilotlight:rto": { value: compactDuration(env.objectives.rto) },
    "pilotlight:rpo": { value: compactDuration(env.objectives.rpo) },
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

/** Config of the primary stack; `generation`/`restoreSnapshot` are set by failback. */
export function primaryStackConfig(envName: string, env: EnvironmentConfig, restore?: { generation: number; snapshotArn: string }): Record<string, StackConfigValue> {
  const c: Record<string, StackConfigValue> = { ...common(envName, env, env.primary.region), "pilotlight:role": { value: "primary" }, "pilotlight:drRegion": { value: env.dr.region } };
  if (restore !== undefined) {
    c["pilotlight:databaseGeneration"] = { value: String(restore.generation) };
    c["pilotlight:restoreSnapshot"] = { value: restore.snapshotArn };
  }
  return c;
}

/**
 * Config of a DR stack: production stand-up, or a drill stack owned by a run. A drill stack may
 * run in another region (the full drill's copy back home), carry a label that tells it apart from
 * the run's other drill stack, and go without its drill record (`record: false`).
 */
export function drStackConfig(
  envName: string,
  env: EnvironmentConfig,
  o: { restoreSnapshot: string; kmsKeyArn: string; drill?: { runId: string; expiresAt: number; region?: string; label?: string; record?: boolean } },
): Record<string, StackConfigValue> {
  const c: Record<string, StackConfigValue> = {
    ...common(envName, env, o.drill?.region ?? env.dr.region),
    "pilotlight:role": { value: "dr" },
    "pilotlight:mode": { value: o.drill === undefined ? "production" : "drill" },
    "pilotlight:restoreSnapshot": { value: o.restoreSnapshot },
    "pilotlight:kmsKeyArn": { value: o.kmsKeyArn },
  };
  if (o.drill !== undefined) {
    c["pilotlight:runId"] = { value: o.drill.runId };
    c["pilotlight:expiresAt"] = { value: new Date(o.drill.expiresAt).toISOString() };
    if (o.drill.label !== undefined) c["pilotlight:drillLabel"] = { value: o.drill.label };
    if (o.drill.record === false) delete c["pilotlight:dnsDrillName"];
  }
  return c;
}
