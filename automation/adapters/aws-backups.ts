import {
  BackupClient,
  DescribeBackupVaultCommand,
  DescribeRegionSettingsCommand,
  paginateListBackupJobs,
  paginateListCopyJobs,
  paginateListRecoveryPointsByBackupVault,
  type RecoveryPointByBackupVault,
} from "@aws-sdk/client-backup";
import type { RecoveryPoint, RecoveryPointStatus } from "../domain/recovery-point";
import type { BackupJobSummary, Backups, VaultInfo } from "../ports/backups";
import { toAwsError } from "./aws-errors";
import type { IamAction } from "./iam/action";

/** The AWS calls of each method, as IAM actions (the policy generator reads them). */
export const BACKUP_ACTIONS = {
  listRecoveryPoints: ["backup:ListRecoveryPointsByBackupVault"],
  listJobs: ["backup:ListBackupJobs", "backup:ListCopyJobs"],
  describeVault: ["backup:DescribeBackupVault"],
  regionSettings: ["backup:DescribeRegionSettings"],
} as const satisfies Record<keyof Backups, readonly IamAction[]>;

/** Creates a client for a region (injected in tests). */
export type BackupClientFactory = (region: string) => BackupClient;

/** Default client: the SDK's default credential chain, adaptive retries (throttling backs off). */
export const defaultBackupClient: BackupClientFactory = (region) =>
  new BackupClient({ region, retryMode: "adaptive", maxAttempts: 6 });

function toPoint(p: RecoveryPointByBackupVault, region: string, vault: string): RecoveryPoint {
  const point: RecoveryPoint = {
    arn: p.RecoveryPointArn ?? "",
    vault: p.BackupVaultName ?? vault,
    region,
    createdAt: p.CreationDate?.getTime() ?? 0,
    // Continuous backups have a "continuous" recovery point ARN; copies of them are snapshots.
    kind: /:continuous:/.test(p.RecoveryPointArn ?? "") ? "continuous" : "snapshot",
    sourceResourceArn: p.ResourceArn ?? "",
    status: (p.Status ?? "PARTIAL") as RecoveryPointStatus,
  };
  if (p.SourceBackupVaultArn !== undefined) point.copiedFrom = p.SourceBackupVaultArn;
  return point;
}

/**
 * AWS Backup through SDK v3, read-only: recovery points (a cross-region copy keeps the source's
 * creation date: AWS Backup Developer Guide, "Backup and tag copy"), backup and copy jobs, vaults
 * and the Region's service opt-in.
 */
export class AwsBackups implements Backups {
  private readonly clients = new Map<string, BackupClient>();

  constructor(private readonly factory: BackupClientFactory = defaultBackupClient) {}

  private client(region: string): BackupClient {
    let c = this.clients.get(region);
    if (c === undefined) this.clients.set(region, (c = this.factory(region)));
    return c;
  }

  async listRecoveryPoints(q: {
    region: string;
    vault: string;
    resourceArn?: string;
    signal?: AbortSignal;
  }): Promise<RecoveryPoint[]> {
    try {
      const out: RecoveryPoint[] = [];
      const pages = paginateListRecoveryPointsByBackupVault(
        { client: this.client(q.region), pageSize: 100 },
        { BackupVaultName: q.vault, ...(q.resourceArn === undefined ? {} : { ByResourceArn: q.resourceArn }) },
      );
      for await (const page of pages) {
        for (const p of page.RecoveryPoints ?? []) out.push(toPoint(p, q.region, q.vault));
        if (q.signal?.aborted) throw q.signal.reason;
      }
      return out;
    } catch (error) {
      throw toAwsError(error, "ListRecoveryPointsByBackupVault", `${q.region}/${q.vault}`);
    }
  }

  async listJobs(q: {
    region: string;
    kind: "backup" | "copy";
    since: number;
    signal?: AbortSignal;
  }): Promise<BackupJobSummary[]> {
    const since = new Date(q.since);
    const out: BackupJobSummary[] = [];
    try {
      if (q.kind === "backup") {
        for await (const page of paginateListBackupJobs({ client: this.client(q.region) }, { ByCreatedAfter: since })) {
          for (const j of page.BackupJobs ?? []) {
            out.push({
              id: j.BackupJobId ?? "",
              kind: "backup",
              region: q.region,
              state: (j.State ?? "CREATED") as BackupJobSummary["state"],
              resourceArn: j.ResourceArn ?? "",
              createdAt: j.CreationDate?.getTime() ?? 0,
              ...(j.CompletionDate === undefined ? {} : { completedAt: j.CompletionDate.getTime() }),
              ...(j.StatusMessage === undefined ? {} : { statusMessage: j.StatusMessage }),
            });
          }
        }
      } else {
        for await (const page of paginateListCopyJobs({ client: this.client(q.region) }, { ByCreatedAfter: since })) {
          for (const j of page.CopyJobs ?? []) {
            out.push({
              id: j.CopyJobId ?? "",
              kind: "copy",
              region: q.region,
              state: (j.State ?? "CREATED") as BackupJobSummary["state"],
              resourceArn: j.ResourceArn ?? "",
              createdAt: j.CreationDate?.getTime() ?? 0,
              ...(j.CompletionDate === undefined ? {} : { completedAt: j.CompletionDate.getTime() }),
              ...(j.StatusMessage === undefined ? {} : { statusMessage: j.StatusMessage }),
            });
          }
        }
      }
      return out;
    } catch (error) {
      throw toAwsError(error, q.kind === "backup" ? "ListBackupJobs" : "ListCopyJobs", q.region);
    }
  }

  async describeVault(q: { region: string; vault: string }): Promise<VaultInfo | undefined> {
    try {
      const r = await this.client(q.region).send(new DescribeBackupVaultCommand({ BackupVaultName: q.vault }));
      const v: VaultInfo = {
        name: r.BackupVaultName ?? q.vault,
        arn: r.BackupVaultArn ?? "",
        region: q.region,
        recoveryPoints: Number(r.NumberOfRecoveryPoints ?? 0),
      };
      if (r.EncryptionKeyArn !== undefined) v.encryptionKeyArn = r.EncryptionKeyArn;
      return v;
    } catch (error) {
      if ((error as Error).name === "ResourceNotFoundException") return undefined;
      throw toAwsError(error, "DescribeBackupVault", `${q.region}/${q.vault}`);
    }
  }

  async regionSettings(q: { region: string }): Promise<{ optIn: Record<string, boolean> }> {
    try {
      const r = await this.client(q.region).send(new DescribeRegionSettingsCommand({}));
      return { optIn: { ...(r.ResourceTypeOptInPreference ?? {}) } };
    } catch (error) {
      throw toAwsError(error, "DescribeRegionSettings", q.region);
    }
  }
}
