import type { RecoveryPoint, RestoreJob } from "../domain/recovery-point";

/** Summary of a backup or copy job, for posture checks. */
export interface BackupJobSummary {
  id: string;
  kind: "backup" | "copy";
  region: string;
  state: "CREATED" | "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "ABORTED" | "EXPIRED" | "PARTIAL";
  resourceArn: string;
  createdAt: number;
  completedAt?: number;
  statusMessage?: string;
}

/** A request to start a restore. `idempotencyToken` makes a retried start return the same job. */
export interface StartRestoreRequest {
  region: string;
  recoveryPointArn: string;
  iamRoleArn: string;
  /** AWS Backup restore metadata: every value a string, lists JSON-encoded. */
  metadata: Record<string, string>;
  idempotencyToken: string;
  resourceType: "Aurora";
}

/** AWS Backup: recovery points, restore jobs, backup and copy jobs. */
export interface Backups {
  listRecoveryPoints(q: { region: string; vault: string; resourceArn?: string; signal?: AbortSignal }): Promise<RecoveryPoint[]>;
  describeRecoveryPoint(q: { region: string; vault: string; arn: string }): Promise<RecoveryPoint>;
  restoreMetadata(q: { region: string; vault: string; arn: string }): Promise<Record<string, string>>;
  startRestore(req: StartRestoreRequest): Promise<{ restoreJobId: string }>;
  describeRestoreJob(q: { region: string; id: string }): Promise<RestoreJob>;
  listJobs(q: { region: string; kind: "backup" | "copy"; since: number; signal?: AbortSignal }): Promise<BackupJobSummary[]>;
  /** A backup vault as AWS Backup describes it; `undefined` when it does not exist. */
  describeVault(q: { region: string; vault: string }): Promise<VaultInfo | undefined>;
}

/** A backup vault: its key and how many recovery points it holds. */
export interface VaultInfo {
  name: string;
  arn: string;
  region: string;
  encryptionKeyArn?: string;
  recoveryPoints: number;
}
