/** Kinds of recovery point: a snapshot, or a continuous backup that allows point-in-time restore. */
export type RecoveryPointKind = "snapshot" | "continuous";

/** Status of a recovery point as AWS Backup reports it. */
export type RecoveryPointStatus =
  "COMPLETED" | "PARTIAL" | "DELETING" | "EXPIRED" | "AVAILABLE" | "STOPPED" | "CREATING";

/**
 * A recovery point. Cross-region copies keep the source's creation time, so `createdAt` is the
 * time of the data, wherever the copy lives (AWS Backup Developer Guide, "Creating backup copies
 * across AWS Regions").
 */
export interface RecoveryPoint {
  arn: string;
  vault: string;
  region: string;
  createdAt: number;
  kind: RecoveryPointKind;
  /** ARN of the backed-up resource (the primary cluster). */
  sourceResourceArn: string;
  status: RecoveryPointStatus;
  /** ARN of the recovery point this one was copied from, when it is a copy. */
  copiedFrom?: string;
}

/** Status of an AWS Backup restore job (DescribeRestoreJob). */
export type RestoreJobStatus = "PENDING" | "RUNNING" | "COMPLETED" | "ABORTED" | "FAILED";

/** A restore job as observed. */
export interface RestoreJob {
  id: string;
  region: string;
  status: RestoreJobStatus;
  recoveryPointArn: string;
  createdResourceArn?: string;
  createdAt: number;
  completedAt?: number;
  statusMessage?: string;
  expectedCompletionMinutes?: number;
}
