/** The ports (capabilities) adapters implement: real AWS/Pulumi, the sandbox, test fakes. */
export type { Clock } from "./clock";
export type { RunStore, Lease, LeaseHolder, LeaseAttempt, RunFilter } from "./run-store";
export type {
  Stacks,
  StackConfigChange,
  StackConfigValue,
  StackOperationOptions,
  StackProgress,
  StackUpdateResult,
} from "./stacks";
export type { Backups, BackupJobSummary, VaultInfo } from "./backups";
export type { Databases, ClusterInfo, ClusterSnapshotInfo, WaitOptions } from "./databases";
export type { Traffic, TrafficGate, HealthCheckState, HealthCheckStatus } from "./traffic";
export type { Health, ProbeResult } from "./health";
export type { Notifier, Notification } from "./notifier";
export type { SqlAccess, DatabaseLocator } from "./sql-access";
export type { RunbookPorts, EnvironmentPorts } from "./runbook-ports";
export type { SqlClient } from "./sql";
