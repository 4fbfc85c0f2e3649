import type { BackupJobSummary } from "../ports/backups";
import type { DeclaredResource } from "./program-under-mocks";
import type { SandboxDurations } from "./durations";

/**
 * Everything a simulated world knows, as plain JSON: saved in `world.json` after every change so
 * that every `--sandbox` command — and the successor of a killed process — acts on the same world.
 * The data of clusters, recovery points and snapshots lives beside it (PGlite folders and
 * tarballs, see `world-folder.ts`); this file only names it.
 */
export interface WorldState {
  format: 1;
  /** Random per world: runs, leases and reports of a world are scoped to it. */
  id: string;
  seed: number;
  /** State of the seeded generator (mulberry32), so a resumed world draws what the dead one would have. */
  rng: number;
  /** The world's virtual clock, epoch ms. */
  now: number;
  createdAt: number;
  account: string;
  environment: string;
  primaryRegion: string;
  drRegion: string;
  durations: SandboxDurations;
  activity: ActivityState;
  clusters: Record<string, ClusterState>;
  vaults: Record<string, VaultState>;
  keys: Record<string, KeyState>;
  recoveryPoints: RecoveryPointState[];
  jobs: BackupJobSummary[];
  snapshots: Record<string, SnapshotState>;
  healthChecks: Record<string, HealthCheckState>;
  dns: DnsRecordState[];
  /** What clients' resolvers answer per name, and a change on its way to them. */
  resolvers: Record<string, ResolverState>;
  /** Every answer change and when clients saw it (the RTO benchmark reads the modelled delay). */
  switches: Array<{ name: string; to: string[]; noticedAt: number; visibleAt: number }>;
  /** Hosts of function URLs and the function behind each. */
  workloads: Record<string, WorkloadState>;
  functions: Record<string, FunctionState>;
  /** SSM parameters (the DR database's locator the pilot light's DR function reads). */
  parameters: Record<string, string>;
  /** Config of each stack as its `Pulumi.<stack>.yaml` holds it (kept when the stack is removed with --preserve-config). */
  stackFiles: Record<string, Record<string, string>>;
  /** CloudWatch: alarms by name and the newest data point of each custom metric, per region. */
  alarms: Record<string, AlarmState>;
  metrics: Record<string, { value: number; at: number }>;
  /** AWS Backup's per-Region service opt-in (`DescribeRegionSettings`). */
  backupOptIn: Record<string, { Aurora: boolean }>;
  stacks: Record<string, StackState>;
  faults: FaultState;
  /** Notifications the world's notifier received (the newest 200). */
  notifications: Array<{ subject: string; body: string; severity: "info" | "warning" | "critical"; runId?: string }>;
  /** The name the simulated clients use; they write wherever their resolver sends them. */
  appRecordName?: string;
  /** Counters of the world's life (inspect, tests). */
  stats: WorldStats;
  /** Sequences for identifiers and data files. */
  seq: { order: number; data: number; cluster: number };
}

/** When the world's own activity next happens, and at what pace. */
export interface ActivityState {
  /** Null until the primary is deployed and seeded. */
  started: boolean;
  writeIntervalMs: number;
  backupIntervalMs: number;
  retentionMs: number;
  nextWriteAt: number;
  nextBackupAt: number;
  /** Backups and copies in flight, by the time each next step happens. */
  scheduled: ScheduledWork[];
}

/** A step of a backup or copy job that happens later on the clock. */
export type ScheduledWork =
  | { at: number; kind: "backup-complete"; jobId: string; pointArn: string; clusterUid: string }
  | { at: number; kind: "copy-complete"; jobId: string; pointArn: string };

/** A simulated Aurora cluster. `uid` tells apart two clusters that bore one identifier. */
export interface ClusterState {
  uid: string;
  id: string;
  arn: string;
  region: string;
  createdAt: number;
  status: "creating" | "available" | "failed" | "deleting" | "deleted";
  /** How a modelled creation ends (fault injection). */
  outcome: "COMPLETED" | "FAILED" | "STUCK";
  readyAt: number;
  deletingUntil?: number;
  instances: InstanceState[];
  tags: Record<string, string>;
  deletionProtection: boolean;
  /** RDS Data API switch (`HttpEndpointEnabled`): off after every restore (research: rds.md §1). */
  httpEndpointEnabled: boolean;
  engineVersion: string;
  /** Where the data comes from: created lazily on first use, so the API call itself is atomic. */
  source: ClusterSource;
  materialized: boolean;
  /** Number of journal entries (writes applied) of this cluster. */
  journalLength: number;
  /** The cluster that was fenced is read-only for new sessions (mirrors the database setting). */
  readOnly: boolean;
  /** Stack that created it and the resource it is (adopting a pending create needs both). */
  createdBy?: { stack: string; resource: string };
  /** The DB subnet group and security groups it uses (they cannot be deleted before it). */
  subnetGroup?: string;
  securityGroups?: string[];
}

/** Where a cluster's data comes from. */
export type ClusterSource =
  | { kind: "empty" }
  | { kind: "data"; data: DataRef }
  | { kind: "pitr"; sourceUid: string; time: number; base?: DataRef };

/** A DB instance of a cluster. */
export interface InstanceState {
  id: string;
  /**
   * The cluster's writer: every Aurora cluster has one primary (writer) instance, flagged by
   * `DBClusterMember.IsClusterWriter` (Aurora User Guide, "Amazon Aurora DB clusters"; RDS API
   * `DBClusterMember`). The sandbox makes the first instance created the writer — an assumption,
   * not a documented rule. Absent in worlds saved before it was kept (the first then).
   */
  writer?: boolean;
  instanceClass: string;
  status: "creating" | "available" | "deleting";
  readyAt: number;
}

/** A real copy of a cluster's data: a tarball in the world folder, and how much journal it holds. */
export interface DataRef {
  file: string;
  takenAt: number;
  /** Journal entries of the source cluster that the copy holds. */
  journalLength: number;
  sourceUid: string;
}

export interface VaultState {
  name: string;
  region: string;
  arn: string;
  kmsKeyArn?: string;
}

export interface KeyState {
  arn: string;
  region: string;
  state: string;
}

/** A recovery point and the data it holds. */
export interface RecoveryPointState {
  arn: string;
  vault: string;
  region: string;
  createdAt: number;
  completedAt?: number;
  kind: "snapshot" | "continuous";
  sourceResourceArn: string;
  status: "CREATING" | "COMPLETED" | "PARTIAL" | "EXPIRED";
  copiedFrom?: string;
  data?: DataRef;
}

/** A manual cluster snapshot. */
export interface SnapshotState {
  id: string;
  arn: string;
  region: string;
  status: "creating" | "copying" | "available";
  clusterId: string;
  createdAt: number;
  readyAt: number;
  kmsKeyId?: string;
  tags: Record<string, string>;
  engineVersion: string;
  data?: DataRef;
}

/**
 * A Route 53 health check. Endpoint checks measure their host; a calculated one combines its
 * children; a CloudWatch one follows an alarm. `inverted` flips the result, `disabled` makes the
 * measurement "healthy" (Route 53 Developer Guide, "Inverting health checks"; SDK
 * `HealthCheckConfig.Disabled`).
 */
export interface HealthCheckState {
  id: string;
  type: "HTTPS" | "HTTP" | "CALCULATED" | "CLOUDWATCH_METRIC";
  host?: string;
  children?: string[];
  healthThreshold?: number;
  alarm?: { region: string; name: string };
  insufficientDataHealthStatus?: "Healthy" | "Unhealthy" | "LastKnownStatus";
  inverted: boolean;
  disabled: boolean;
  version: number;
}

/** A Route 53 record. */
export interface DnsRecordState {
  zoneId: string;
  name: string;
  host: string;
  ttl: number;
  setIdentifier?: string;
  failover?: "PRIMARY" | "SECONDARY";
  healthCheckId?: string;
  changedAt: number;
}

export interface ResolverState {
  /** What clients' resolvers answer. */
  answer: string[];
  /** What the zone's authoritative name servers answer (Route 53 after its checkers noticed). */
  auth?: string[];
  /** A change on its way: to the name servers at `authAt`, to clients at `at`. */
  pending?: { answer: string[]; authAt: number; at: number };
}

export interface WorkloadState {
  host: string;
  functionId: string;
  region: string;
}

export interface FunctionState {
  /** The database the function uses, from its configuration… */
  clusterArn: string;
  /** …or from an SSM parameter it reads (the pilot light's DR function). */
  parameter?: string;
  runtime: string;
  region: string;
  /** Resource-policy statements that let the function URL be invoked publicly. */
  publicUrl: { invokeFunctionUrl: boolean; invokeFunction: boolean };
}

/** A CloudWatch metric alarm on one custom metric (the traffic gate). */
export interface AlarmState {
  name: string;
  region: string;
  metric: string;
  threshold: number;
  /** `ignore`: with no new data the alarm keeps its state (CloudWatch User Guide, missing data). */
  treatMissingData: string;
  state: "OK" | "ALARM" | "INSUFFICIENT_DATA";
  /** Period × evaluation periods: how long one data point counts for the alarm's evaluation. */
  windowMs?: number;
}

/** A stack: what it holds, its config, an update that did not finish. */
export interface StackState {
  region: string;
  resources: DeclaredResource[];
  outputs: Record<string, unknown>;
  /** Creations an interrupted update had started (Pulumi's pending operations). */
  pendingCreates: Array<{ type: string; name: string; identifier?: string; resource: DeclaredResource }>;
  /** The update holding the stack's lock, if one died holding it. */
  lockedBy?: { pid: number; host: string };
}

/** Faults in force. A fault with `until` ends by itself when the clock passes it. */
export interface FaultState {
  outages: Record<string, Window>;
  /** Route 53's control plane (us-east-1) refuses calls; health checks and DNS go on. */
  controlPlane?: Window;
  throttleNext: number;
  restoreOutcomes: Array<"FAILED" | "STUCK">;
  dnsStuck?: Window;
  copyDelayMs: number;
  damageCopies: number;
  destroyFailures: number;
}

/** When a fault began and, optionally, when it ends. */
export interface Window {
  since: number;
  until?: number;
}

export interface WorldStats {
  writes: number;
  backups: number;
  copies: number;
  restoresStarted: number;
  apiCalls: number;
  throttled: number;
  /** Every IAM action the world's API answered, with its count (the IAM policy's coverage). */
  actions?: Record<string, number>;
  /** Every resource operation of an update, `type create|update|delete`, with its count. */
  resourceOps?: Record<string, number>;
}

/** The writer instance of a cluster's members, if it has one. */
export function writerOf(instances: readonly InstanceState[]): InstanceState | undefined {
  return (
    instances.find((i) => i.writer === true) ?? (instances.some((i) => i.writer === false) ? undefined : instances[0])
  );
}
