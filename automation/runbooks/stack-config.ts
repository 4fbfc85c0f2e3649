import { OWNED_KEYS, type StackKey } from "../../infra/contract";
import type { EnvironmentConfig } from "../config/schema";
import { formatDuration } from "../domain/objectives";
import type { StackConfigChange, StackConfigValue } from "../ports/stacks";

/** A duration as the program's tags want it (`4h`, `90m`). */
export function compactDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return formatDuration(ms).replace(/\s+/g, "");
}

const v = (value: string): StackConfigValue => ({ value });

/**
 * What pilotlight.yaml knows of a stack, offered as defaults only: the user's stack file decides
 * where it has a value (its workload, engine version, instance class …), never pilotlight.
 */
function defaults(envName: string, env: EnvironmentConfig, region: string): Record<string, StackConfigValue> {
  const d: Record<string, StackConfigValue> = {
    "aws:region": v(region),
    "pilotlight:environment": v(envName),
    "pilotlight:rto": v(compactDuration(env.objectives.rto)),
    "pilotlight:rpo": v(compactDuration(env.objectives.rpo)),
  };
  if (env.dns !== undefined) {
    d["pilotlight:dnsZoneId"] = v(env.dns.zoneId);
    d["pilotlight:dnsName"] = v(env.dns.name);
    d["pilotlight:dnsTtl"] = v(String(env.dns.ttlSeconds));
  }
  return d;
}

/**
 * A change that sets exactly the pilotlight-owned keys given and removes every other one:
 * `config set-all` never removes a key, so a key an earlier run left (a failback's
 * `restoreSnapshot`, a stale `servingGeneration`, a drill record) would otherwise stay.
 */
function owned(set: Partial<Record<StackKey, string>>, base: Record<string, StackConfigValue>): StackConfigChange {
  const wanted: Record<string, StackConfigValue> = {};
  for (const [k, value] of Object.entries(set)) if (value !== undefined) wanted[`pilotlight:${k}`] = v(value);
  const remove = OWNED_KEYS.map((k) => `pilotlight:${k}`).filter((k) => wanted[k] === undefined);
  return { set: wanted, remove, defaults: base };
}

/** The primary stack: a new generation restored from a snapshot (failback) or to a time (restore). */
export function primaryChange(
  envName: string,
  env: EnvironmentConfig,
  o:
    | { kind: "serve" }
    | { kind: "snapshot"; generation: number; snapshotArn: string; engineVersion?: string }
    | { kind: "time"; generation: number; serving: number; time: string; sourceCluster: string },
): StackConfigChange {
  const base = {
    ...defaults(envName, env, env.primary.region),
    "pilotlight:role": v("primary"),
    "pilotlight:drRegion": v(env.dr.region),
  };
  if (o.kind === "serve") return owned({}, base);
  if (o.kind === "snapshot") {
    return owned(
      {
        databaseGeneration: String(o.generation),
        restoreSnapshot: o.snapshotArn,
        ...(o.engineVersion === undefined ? {} : { restoreEngineVersion: o.engineVersion }),
      },
      base,
    );
  }
  return owned(
    {
      databaseGeneration: String(o.generation),
      servingGeneration: String(o.serving),
      restoreToTime: o.time,
      restoreSourceCluster: o.sourceCluster,
    },
    base,
  );
}

/** The production DR stack: restored from a recovery point; retired (protection lifted) for teardown. */
export function drChange(
  envName: string,
  env: EnvironmentConfig,
  o: { restoreSnapshot: string; kmsKeyArn: string; engineVersion?: string; retire?: { finalSnapshot: string } },
): StackConfigChange {
  const base = {
    ...defaults(envName, env, env.dr.region),
    "pilotlight:role": v("dr"),
    "pilotlight:mode": v("production"),
  };
  return owned(
    {
      restoreSnapshot: o.restoreSnapshot,
      kmsKeyArn: o.kmsKeyArn,
      ...(o.engineVersion === undefined ? {} : { restoreEngineVersion: o.engineVersion }),
      ...(o.retire === undefined ? {} : { retire: "true", retireSnapshot: o.retire.finalSnapshot }),
    },
    base,
  );
}

/**
 * A drill stack: the DR program in drill mode, owned by a run. It has no stack file of its own:
 * the DR stack file's user keys are its defaults (the same workload and engine as production).
 */
export function drillChange(
  envName: string,
  env: EnvironmentConfig,
  drFile: Record<string, string>,
  o: {
    restoreSnapshot: string;
    kmsKeyArn: string;
    engineVersion?: string;
    runId: string;
    expiresAt: number;
    region?: string;
    label?: string;
    publish?: boolean;
  },
): StackConfigChange {
  const base: Record<string, StackConfigValue> = {};
  for (const [k, value] of Object.entries(drFile))
    if (k.startsWith("pilotlight:") && !OWNED_KEYS.includes(k.slice(11) as StackKey)) base[k] = v(value);
  // A drill never uses the production instance class blindly: the program's drill default applies.
  delete base["pilotlight:instanceClass"];
  Object.assign(base, defaults(envName, env, o.region ?? env.dr.region));
  const change = owned(
    {
      restoreSnapshot: o.restoreSnapshot,
      kmsKeyArn: o.kmsKeyArn,
      ...(o.engineVersion === undefined ? {} : { restoreEngineVersion: o.engineVersion }),
      runId: o.runId,
      expiresAt: new Date(o.expiresAt).toISOString(),
      ...(o.label === undefined ? {} : { drillLabel: o.label }),
      ...(o.publish === true && env.dns?.drillName !== undefined
        ? { publishTraffic: "true", dnsDrillName: env.dns.drillName }
        : {}),
    },
    base,
  );
  // A drill stack's file is pilotlight's: its role, mode and region are set, not defaulted.
  change.set["pilotlight:role"] = v("dr");
  change.set["pilotlight:mode"] = v("drill");
  change.set["aws:region"] = v(o.region ?? env.dr.region);
  return change;
}
