import * as pulumi from "@pulumi/pulumi";
import { PATTERNS, STACK_CONFIG_KEYS, type StackKey } from "./contract";

/** DNS settings of a stack. */
export interface DnsSettings {
  zoneId: string;
  name: string;
  /** Record used by drills instead of the production name. */
  drillName?: string;
  ttlSeconds: number;
}

/** Settings common to both roles. */
interface CommonSettings {
  environment: string;
  /** Targets, carried in the DR tags. */
  rto: string;
  rpo: string;
  engineVersion: string;
  instanceClass: string;
  databaseName: string;
  masterUsername: string;
  dns?: DnsSettings;
  /** Deploy the reference workload (a Lambda behind a function URL, using the RDS Data API). */
  workload: "reference" | "none";
  alertEmail?: string;
  /** Engine version of the snapshot a restore starts from (a restore never downgrades it). */
  restoreEngineVersion?: string;
}

/** Settings of the primary stack. */
export interface PrimarySettings extends CommonSettings {
  role: "primary";
  drRegion: string;
  /** Bumped by failback and point-in-time restore: a new cluster `database-g<N>`. */
  databaseGeneration: number;
  /** Generation N is restored from this snapshot (failback)… */
  restoreSnapshot?: string;
  /** …or to this time from the cluster of another generation (point-in-time restore). */
  restoreToTime?: string;
  restoreSourceCluster?: string;
  /** The generation the workload uses; lower than `databaseGeneration` while a candidate is checked. */
  servingGeneration: number;
  /** Declare AWS Backup's Aurora opt-in of both regions (an account-wide setting: off by default). */
  manageBackupOptIn: boolean;
}

/** Settings of a DR stack (production stand-up or drill). */
export interface DrSettings extends CommonSettings {
  role: "dr";
  mode: "production" | "drill";
  /** Cluster snapshot ARN or AWS Backup recovery point ARN (an RDS cluster snapshot) to restore. */
  restoreSnapshot: string;
  /** The DR region's KMS key (the pilot light's), used to encrypt the restored cluster. */
  kmsKeyArn: string;
  /** Drill only: the run that owns the stack, and when its resources expire. */
  runId?: string;
  expiresAt?: string;
  /** Drill only: tells apart two drill stacks of one run (the full drill's `home` copy). */
  drillLabel?: string;
  /**
   * Whether the failover record (production) or the drill record is declared. pilotlight sets it
   * only after the restored data passed its checks: no client reaches unchecked data.
   */
  publishTraffic: boolean;
  /** Teardown: deletion protection and retention lifted so `destroy` removes the cluster, with this final snapshot. */
  retire?: { finalSnapshot: string };
}

/** Validated stack settings. */
export type StackSettings = PrimarySettings | DrSettings;

/** Raw values read from stack config (`pilotlight:<key>`), all strings or absent. */
export type RawStackConfig = Record<string, string | undefined>;

export { STACK_CONFIG_KEYS };

const REGION = PATTERNS.region;
const DURATION = /^\d+(\.\d+)?(m|h|d)$/;
const SNAPSHOT_ARN = PATTERNS.snapshotArn;
const KMS_ARN = PATTERNS.kmsArn;
const IDENT = PATTERNS.environment;
const BOOL = /^(true|false)$/;

/**
 * Validates stack config, collecting every problem, each naming its key (`pilotlight:<key>`) and
 * the fix. Pure: tests call it directly; the program calls it before registering any resource.
 */
export function parseStackConfig(raw: RawStackConfig, stack: string): StackSettings {
  const problems: string[] = [];
  const known = new Set<string>(STACK_CONFIG_KEYS);
  for (const key of Object.keys(raw)) {
    if (!known.has(key) && raw[key] !== undefined)
      problems.push(`pilotlight:${key}: unknown key; known keys are ${STACK_CONFIG_KEYS.join(", ")}`);
  }
  const get = (key: StackKey) => raw[key];
  const need = (key: StackKey, why: string): string => {
    const v = get(key);
    if (v === undefined || v === "") problems.push(`pilotlight:${key}: required ${why}`);
    return v ?? "";
  };
  const match = (key: StackKey, re: RegExp, example: string) => {
    const v = get(key);
    if (v !== undefined && !re.test(v))
      problems.push(`pilotlight:${key}: "${v}" is not valid; expected e.g. ${example}`);
  };

  const role = need(
    "role",
    "(primary or dr): set it with `pulumi config set pilotlight:role primary -s " + stack + "`",
  );
  if (role !== "" && role !== "primary" && role !== "dr")
    problems.push(`pilotlight:role: "${role}" must be primary or dr`);
  const environment = get("environment") ?? "prod";
  if (!IDENT.test(environment))
    problems.push(`pilotlight:environment: "${environment}" must be lower-case kebab-case (e.g. prod)`);
  match("rto", DURATION, "4h");
  match("rpo", DURATION, "1h");
  match("engineVersion", /^\d+(\.\d+)?$/, "16.4");
  match("instanceClass", PATTERNS.instanceClass, "db.r6g.large or db.serverless");
  match("databaseName", /^[a-z][a-z0-9_]{0,62}$/, "app");
  match("masterUsername", /^[a-z][a-z0-9_]{0,15}$/, "pilotlight_admin");
  match("restoreSnapshot", SNAPSHOT_ARN, "arn:aws:rds:us-west-2:123456789012:cluster-snapshot:awsbackup:job-1234");
  match("kmsKeyArn", KMS_ARN, "arn:aws:kms:us-west-2:123456789012:key/1234abcd-…");
  match("dnsZoneId", /^Z[A-Z0-9]+$/, "Z0123456789ABCDEFGHIJ");
  match("alertEmail", /^[^@\s]+@[^@\s]+$/, "oncall@example.com");
  match("restoreEngineVersion", PATTERNS.engineVersion, "16.4");
  for (const k of ["manageBackupOptIn", "publishTraffic", "retire"] as const) match(k, BOOL, "true");
  const ttl = get("dnsTtl") === undefined ? 60 : Number(get("dnsTtl"));
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 60)
    problems.push(
      `pilotlight:dnsTtl: must be an integer from 1 to 60 seconds (records that fail over keep TTL ≤ 60 s)`,
    );
  const workload = get("workload") ?? "reference";
  if (workload !== "reference" && workload !== "none")
    problems.push(`pilotlight:workload: "${workload}" must be reference or none`);
  const dnsName = get("dnsName");
  const dnsZoneId = get("dnsZoneId");
  if ((dnsName === undefined) !== (dnsZoneId === undefined))
    problems.push("pilotlight:dnsName and pilotlight:dnsZoneId: set both or neither");

  const mode = get("mode") ?? "production";
  const common = {
    environment,
    rto: get("rto") ?? "4h",
    rpo: get("rpo") ?? "1h",
    engineVersion: get("engineVersion") ?? "16.4",
    databaseName: get("databaseName") ?? "app",
    masterUsername: get("masterUsername") ?? "pilotlight_admin",
    workload: workload as "reference" | "none",
    ...(get("alertEmail") === undefined ? {} : { alertEmail: get("alertEmail")! }),
    ...(get("restoreEngineVersion") === undefined ? {} : { restoreEngineVersion: get("restoreEngineVersion")! }),
    ...(dnsName !== undefined && dnsZoneId !== undefined
      ? {
          dns: {
            zoneId: dnsZoneId,
            name: dnsName,
            ttlSeconds: ttl,
            ...(get("dnsDrillName") === undefined ? {} : { drillName: get("dnsDrillName")! }),
          },
        }
      : {}),
  };

  let settings: StackSettings | undefined;
  if (role === "primary") {
    const drRegion = need("drRegion", "(the pilot light's region, e.g. us-west-2)");
    if (drRegion !== "" && !REGION.test(drRegion))
      problems.push(`pilotlight:drRegion: "${drRegion}" is not an AWS region (e.g. us-west-2)`);
    const generation = get("databaseGeneration") === undefined ? 1 : Number(get("databaseGeneration"));
    if (!Number.isInteger(generation) || generation < 1)
      problems.push("pilotlight:databaseGeneration: must be a positive integer (failback increments it)");
    const pitr = get("restoreToTime") !== undefined || get("restoreSourceCluster") !== undefined;
    if (pitr && (get("restoreToTime") === undefined || get("restoreSourceCluster") === undefined)) {
      problems.push(
        "pilotlight:restoreToTime and pilotlight:restoreSourceCluster: set both (a point-in-time restore needs the source and the time)",
      );
    }
    if (
      get("restoreToTime") !== undefined &&
      get("restoreToTime") !== "latest" &&
      Number.isNaN(Date.parse(get("restoreToTime")!))
    ) {
      problems.push(`pilotlight:restoreToTime: "${get("restoreToTime")}" is not an ISO time (or latest)`);
    }
    if (pitr && get("restoreSnapshot") !== undefined)
      problems.push("pilotlight:restoreSnapshot: not together with restoreToTime (one source per generation)");
    if (get("databaseGeneration") !== undefined && generation > 1 && get("restoreSnapshot") === undefined && !pitr) {
      problems.push(
        "pilotlight:restoreSnapshot: required when databaseGeneration > 1 (the generation's cluster is restored from it, or use restoreToTime)",
      );
    }
    const serving = get("servingGeneration") === undefined ? generation : Number(get("servingGeneration"));
    if (!Number.isInteger(serving) || serving < 1 || serving > generation || serving < generation - 1) {
      problems.push(
        "pilotlight:servingGeneration: must be databaseGeneration or the one before it (a candidate is checked before it serves)",
      );
    }
    for (const k of [
      "mode",
      "runId",
      "expiresAt",
      "kmsKeyArn",
      "publishTraffic",
      "retire",
      "retireSnapshot",
      "drillLabel",
    ] as const) {
      if (get(k) !== undefined) problems.push(`pilotlight:${k}: only valid for the dr role`);
    }
    settings = {
      role: "primary",
      ...common,
      instanceClass: get("instanceClass") ?? "db.r6g.large",
      drRegion,
      databaseGeneration: generation,
      servingGeneration: serving,
      manageBackupOptIn: get("manageBackupOptIn") === "true",
      ...(get("restoreSnapshot") === undefined ? {} : { restoreSnapshot: get("restoreSnapshot")! }),
      ...(get("restoreToTime") === undefined ? {} : { restoreToTime: get("restoreToTime")! }),
      ...(get("restoreSourceCluster") === undefined ? {} : { restoreSourceCluster: get("restoreSourceCluster")! }),
    };
  } else if (role === "dr") {
    if (mode !== "production" && mode !== "drill")
      problems.push(`pilotlight:mode: "${mode}" must be production or drill`);
    const restoreSnapshot = need(
      "restoreSnapshot",
      "(the DR stack restores its cluster from it; pilotlight sets it on failover)",
    );
    const kmsKeyArn = need("kmsKeyArn", "(the DR region key: the primary stack's output drKmsKeyArn)");
    if (mode === "drill") {
      need("runId", "in drill mode (the run that owns the drill stack)");
      need("expiresAt", "in drill mode (ISO time after which the sweeper removes leftovers)");
      if (get("expiresAt") !== undefined && Number.isNaN(Date.parse(get("expiresAt")!)))
        problems.push(`pilotlight:expiresAt: "${get("expiresAt")}" is not an ISO time`);
      if (get("drillLabel") !== undefined && !/^[a-z][a-z0-9]{0,7}$/.test(get("drillLabel")!))
        problems.push(
          `pilotlight:drillLabel: "${get("drillLabel")}" must be 1–8 lowercase letters or digits, starting with a letter`,
        );
    } else if (get("drillLabel") !== undefined) {
      problems.push("pilotlight:drillLabel: only valid in drill mode");
    }
    if (get("drRegion") !== undefined)
      problems.push("pilotlight:drRegion: only valid for the primary role (the DR stack's region is aws:region)");
    if (get("manageBackupOptIn") !== undefined)
      problems.push("pilotlight:manageBackupOptIn: only valid for the primary role");
    const retire = get("retire") === "true";
    if (retire && get("retireSnapshot") === undefined && mode !== "drill") {
      problems.push("pilotlight:retireSnapshot: required with retire=true (the final snapshot's identifier)");
    }
    settings = {
      role: "dr",
      ...common,
      mode: mode as "production" | "drill",
      // A drill's default is Aurora Serverless v2: cheap while idle, and served by the Data API,
      // which refuses T classes (Aurora User Guide, "Limitations for the Amazon RDS Data API").
      instanceClass: get("instanceClass") ?? (mode === "drill" ? "db.serverless" : "db.r6g.large"),
      restoreSnapshot,
      kmsKeyArn,
      ...(get("runId") === undefined ? {} : { runId: get("runId")! }),
      ...(get("expiresAt") === undefined ? {} : { expiresAt: get("expiresAt")! }),
      ...(get("drillLabel") === undefined ? {} : { drillLabel: get("drillLabel")! }),
      publishTraffic: get("publishTraffic") === "true",
      ...(retire ? { retire: { finalSnapshot: get("retireSnapshot") ?? `${get("runId") ?? "drill"}-final` } } : {}),
    };
  }
  if (problems.length > 0 || settings === undefined) {
    throw new pulumi.RunError(`stack ${stack}: invalid pilotlight configuration:\n  - ${problems.join("\n  - ")}`);
  }
  return settings;
}

/** Reads every `pilotlight:*` key of the current stack (unknown ones too, so typos are reported). */
export function readStackConfig(): RawStackConfig {
  const raw: RawStackConfig = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith("pilotlight:")) raw[key.slice("pilotlight:".length)] = value;
  }
  return raw;
}
