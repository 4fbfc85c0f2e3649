/**
 * The contract between the Pulumi programs and the runbooks, free of `@pulumi/*` so both sides
 * import it: the stack-config keys (and who owns each), the patterns values must match, the
 * stack outputs and their one reader.
 */

/** Who decides a stack-config key: the user's stack file, or pilotlight's runbooks. */
export type KeyOwner = "user" | "pilotlight";

/**
 * Every `pilotlight:*` key the programs read. `user` keys live in the committed stack files
 * (`Pulumi.primary.yaml`, `Pulumi.dr.yaml`) and pilotlight never overrides them; `pilotlight`
 * keys are set and removed by the runbooks (`config set-all` only adds keys, so a key a run no
 * longer wants is removed explicitly).
 */
export const STACK_KEYS = {
  role: "user",
  environment: "user",
  rto: "user",
  rpo: "user",
  drRegion: "user",
  engineVersion: "user",
  instanceClass: "user",
  databaseName: "user",
  masterUsername: "user",
  dnsZoneId: "user",
  dnsName: "user",
  dnsTtl: "user",
  workload: "user",
  alertEmail: "user",
  manageBackupOptIn: "user",
  mode: "user",
  // Set by runbooks.
  databaseGeneration: "pilotlight",
  servingGeneration: "pilotlight",
  restoreSnapshot: "pilotlight",
  restoreEngineVersion: "pilotlight",
  restoreToTime: "pilotlight",
  restoreSourceCluster: "pilotlight",
  kmsKeyArn: "pilotlight",
  publishTraffic: "pilotlight",
  retire: "pilotlight",
  retireSnapshot: "pilotlight",
  runId: "pilotlight",
  expiresAt: "pilotlight",
  drillLabel: "pilotlight",
  dnsDrillName: "pilotlight",
} as const satisfies Record<string, KeyOwner>;

/** A `pilotlight:*` key (without the namespace). */
export type StackKey = keyof typeof STACK_KEYS;

/** Every key the program reads, for docs/configuration.md and for error messages. */
export const STACK_CONFIG_KEYS = Object.keys(STACK_KEYS) as StackKey[];

/** The keys a runbook owns; those it does not set on an update are removed. */
export const OWNED_KEYS = STACK_CONFIG_KEYS.filter((k) => STACK_KEYS[k] === "pilotlight");

/** Patterns shared by the program's stack-config checks and pilotlight's configuration schema. */
/** The CloudWatch namespace of the traffic gates' metrics (the operator's policy scopes PutMetricData to it). */
export const GATE_NAMESPACE = "pilotlight";

export const PATTERNS = {
  region: /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/,
  duration: /^\d+(\.\d+)?(ms|s|m|h|d)$/,
  snapshotArn: /^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster-snapshot:.+$/,
  kmsArn: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/,
  environment: /^[a-z][a-z0-9-]{0,30}$/,
  zoneId: /^Z[A-Z0-9]+$/,
  engineVersion: /^\d+(\.\d+)?$/,
  instanceClass: /^db\.[a-z0-9]+(\.[a-z0-9]+)?$/,
} as const;

/**
 * Instance classes the RDS Data API does not serve (Aurora User Guide, "Limitations for the
 * Amazon RDS Data API": T instance classes are not supported).
 */
export function supportsDataApi(instanceClass: string): boolean {
  return !instanceClass.startsWith("db.t");
}

/** Where the traffic gate lives (see `ports/traffic.ts`). */
export interface TrafficGateOutput {
  region: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
}

/** Stack outputs of the primary program, as runbooks read them. */
export interface PrimaryStackOutputs {
  primaryRegion: string;
  drRegion: string;
  clusterIdentifier: string;
  clusterArn: string;
  masterSecretArn: string;
  /** The generation serving (failback restores generation + 1). */
  databaseGeneration: number;
  /** The newest generation (a candidate while a point-in-time restore is checked). */
  newestGeneration: number;
  newestClusterIdentifier: string;
  newestClusterArn: string;
  newestSecretArn: string;
  primaryVaultName: string;
  drVaultName: string;
  primaryKmsKeyArn: string;
  drKmsKeyArn: string;
  alertsTopicArn: string;
  healthUrl?: string;
  /** The endpoint health check (what Route 53's checkers measure). */
  healthCheckId?: string;
  /** Set to 1: the primary is unhealthy for Route 53 and clients go to DR (the pin). */
  trafficGate?: TrafficGateOutput;
  /** The pilot light's DR workload (answers once a DR database is restored). */
  drHealthUrl?: string;
  /** The DR workload's Lambda function, when it is one. */
  drFunctionName?: string;
  /** Set to 0: the DR record may answer (the DR data passed its checks); 1 withdraws it. */
  drGate?: TrafficGateOutput;
  zoneId?: string;
  recordName?: string;
  nameServers?: string[];
}

/** Stack outputs of the DR program (production or drill). */
export interface DrStackOutputs {
  mode: string;
  clusterIdentifier: string;
  clusterArn: string;
  clusterEndpoint: string;
  masterSecretArn: string;
  writerInstance: string;
  restoredFrom: string;
  expiresAt?: string;
  healthUrl?: string;
  recordName?: string;
  /** Whether the failover record is published (after the data passed its checks). */
  publishedTraffic: boolean;
}

/** Raised when a stack's outputs do not hold what the contract says (a program of another version). */
export class StackOutputsError extends Error {
  constructor(
    readonly stackName: string,
    readonly problems: string[],
  ) {
    super(`stack ${stackName}: outputs do not match this pilotlight version: ${problems.join("; ")}`);
    this.name = "StackOutputsError";
  }
}

type Raw = Record<string, unknown>;

function reader(stack: string, raw: Raw) {
  const problems: string[] = [];
  const str = (key: string): string => {
    const v = raw[key];
    if (typeof v !== "string" || v === "") problems.push(`${key} is missing`);
    return typeof v === "string" ? v : "";
  };
  const optStr = (key: string): string | undefined =>
    typeof raw[key] === "string" && raw[key] !== "" ? (raw[key] as string) : undefined;
  const num = (key: string, fallback?: number): number => {
    const v = raw[key];
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (fallback !== undefined) return fallback;
    problems.push(`${key} is missing`);
    return 0;
  };
  return {
    problems,
    str,
    optStr,
    num,
    done: () => {
      if (problems.length > 0) throw new StackOutputsError(stack, problems);
    },
  };
}

/** Reads and checks the primary stack's outputs once; every problem is named. */
export function readPrimaryOutputs(stack: string, raw: Raw): PrimaryStackOutputs {
  const r = reader(stack, raw);
  const out: PrimaryStackOutputs = {
    primaryRegion: r.str("primaryRegion"),
    drRegion: r.str("drRegion"),
    clusterIdentifier: r.str("clusterIdentifier"),
    clusterArn: r.str("clusterArn"),
    masterSecretArn: r.optStr("masterSecretArn") ?? "",
    databaseGeneration: r.num("databaseGeneration", 1),
    newestGeneration: r.num("newestGeneration", r.num("databaseGeneration", 1)),
    newestClusterIdentifier: r.optStr("newestClusterIdentifier") ?? r.str("clusterIdentifier"),
    newestClusterArn: r.optStr("newestClusterArn") ?? r.str("clusterArn"),
    newestSecretArn: r.optStr("newestSecretArn") ?? r.optStr("masterSecretArn") ?? "",
    primaryVaultName: r.str("primaryVaultName"),
    drVaultName: r.str("drVaultName"),
    primaryKmsKeyArn: r.str("primaryKmsKeyArn"),
    drKmsKeyArn: r.str("drKmsKeyArn"),
    alertsTopicArn: r.optStr("alertsTopicArn") ?? "",
  };
  const optional = {
    healthUrl: r.optStr("healthUrl"),
    healthCheckId: r.optStr("healthCheckId"),
    zoneId: r.optStr("zoneId"),
    recordName: r.optStr("recordName"),
    drHealthUrl: r.optStr("drHealthUrl"),
    drFunctionName: r.optStr("drFunctionName"),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (out as unknown as Raw)[k] = v;
  for (const name of ["trafficGate", "drGate"] as const) {
    const gate = raw[name];
    if (gate === undefined || gate === null) continue;
    const g = gate as Raw;
    if (typeof g["region"] !== "string" || typeof g["namespace"] !== "string" || typeof g["metric"] !== "string")
      r.problems.push(`${name} is malformed`);
    else
      out[name] = {
        region: g["region"],
        namespace: g["namespace"],
        metric: g["metric"],
        dimensions: (g["dimensions"] ?? {}) as Record<string, string>,
      };
  }
  const ns = raw["nameServers"];
  if (Array.isArray(ns)) out.nameServers = ns.map(String);
  r.done();
  return out;
}

/** Reads and checks a DR stack's outputs once. */
export function readDrOutputs(stack: string, raw: Raw): DrStackOutputs {
  const r = reader(stack, raw);
  const out: DrStackOutputs = {
    mode: r.str("mode"),
    clusterIdentifier: r.str("clusterIdentifier"),
    clusterArn: r.str("clusterArn"),
    clusterEndpoint: r.optStr("clusterEndpoint") ?? "",
    masterSecretArn: r.optStr("masterSecretArn") ?? "",
    writerInstance: r.str("writerInstance"),
    restoredFrom: r.str("restoredFrom"),
    publishedTraffic: raw["publishedTraffic"] === true,
  };
  for (const k of ["expiresAt", "healthUrl", "recordName"] as const) {
    const v = r.optStr(k);
    if (v !== undefined) out[k] = v;
  }
  r.done();
  return out;
}

/** A cluster-identifier-safe, short form of a run id (identifiers are at most 63 characters). */
export function shortId(runId: string): string {
  return runId
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-")
    .slice(-40)
    .replace(/^-+|-+$/g, "");
}

/** The DR cluster's identifier of an environment (production) or a drill. */
export function drClusterIdentifier(environment: string, drill?: { runId: string; label?: string }): string {
  return drill === undefined
    ? `pilotlight-${environment}-dr`
    : `pl-drill-${drill.label === undefined ? "" : `${drill.label}-`}${shortId(drill.runId)}`;
}

/** The SSM parameter through which the pilot light's DR workload finds the restored database. */
export function drDatabaseParameter(environment: string): string {
  return `/pilotlight/${environment}/dr/database`;
}

/** The cluster identifier of a primary generation. */
export function primaryClusterIdentifier(environment: string, generation: number): string {
  return generation === 1 ? `pilotlight-${environment}` : `pilotlight-${environment}-g${generation}`;
}
