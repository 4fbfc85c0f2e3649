import type { RecoveryPoint } from "../domain/recovery-point";

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

/** A backup vault: its key and how many recovery points it holds. */
export interface VaultInfo {
  name: string;
  arn: string;
  region: string;
  encryptionKeyArn?: string;
  recoveryPoints: number;
}

/**
 * AWS Backup, read-only: pilotlight restores through its Pulumi programs (a cluster restored
 * from the recovery point's snapshot), so it only lists what the backup plan produced.
 */
export interface Backups {
  listRecoveryPoints(q: {
    region: string;
    vault: string;
    resourceArn?: string;
    signal?: AbortSignal;
  }): Promise<RecoveryPoint[]>;
  listJobs(q: {
    region: string;
    kind: "backup" | "copy";
    since: number;
    signal?: AbortSignal;
  }): Promise<BackupJobSummary[]>;
  /** A backup vault as AWS Backup describes it; `undefined` when it does not exist. */
  describeVault(q: { region: string; vault: string }): Promise<VaultInfo | undefined>;
  /**
   * The Region's service opt-in (`DescribeRegionSettings`): a plan that selects Aurora by tag
   * backs nothing up while `Aurora` is false (AWS Backup Developer Guide, "Assigning resources").
   */
  regionSettings(q: { region: string }): Promise<{ optIn: Record<string, boolean> }>;
}
