/** An Aurora cluster as observed. */
export interface ClusterInfo {
  id: string;
  arn: string;
  region: string;
  status: string;
  endpoint?: string;
  engine: string;
  engineVersion?: string;
  /**
   * Member instances with their class (the Data API refuses T classes) and which one is the writer
   * (`DBClusterMember.IsClusterWriter`; the members' order is not documented).
   */
  instances: Array<{ id: string; writer: boolean; instanceClass?: string; status?: string }>;
  tags: Record<string, string>;
  latestRestorableTime?: number;
  masterUserSecretArn?: string;
  /** RDS Data API switch (`HttpEndpointEnabled`). */
  httpEndpointEnabled: boolean;
  deletionProtection: boolean;
}

/** A cluster snapshot as observed (manual, or an AWS Backup recovery point of Aurora). */
export interface ClusterSnapshotInfo {
  id: string;
  arn: string;
  region: string;
  status: string;
  clusterId: string;
  createdAt?: number;
  kmsKeyId?: string;
  engineVersion?: string;
  /** `manual`, `automated`, `awsbackup`, … */
  snapshotType?: string;
  tags: Record<string, string>;
}

/** Bounded wait: the caller always states the maximum and may abort. */
export interface WaitOptions {
  maxWaitMs: number;
  signal: AbortSignal;
}

/**
 * RDS operations pilotlight calls outside its Pulumi programs. Every deletion passes the tag guard
 * (`domain/tag-guard.ts`): nothing without pilotlight's `managed-by` tag, nothing tagged for
 * forensics, is deleted.
 */
export interface Databases {
  describeCluster(q: { region: string; id: string }): Promise<ClusterInfo | undefined>;
  /** Every cluster of a region with its tags (the sweeper and drill cleanup filter by tag). */
  listClusters(q: { region: string }): Promise<ClusterInfo[]>;
  createClusterSnapshot(q: {
    region: string;
    clusterId: string;
    snapshotId: string;
    tags: Record<string, string>;
  }): Promise<ClusterSnapshotInfo>;
  copyClusterSnapshot(q: {
    sourceArn: string;
    targetRegion: string;
    targetId: string;
    kmsKeyId: string;
    tags: Record<string, string>;
  }): Promise<ClusterSnapshotInfo>;
  /** A snapshot by identifier or ARN (an AWS Backup recovery point of Aurora is one too). */
  describeClusterSnapshot(q: { region: string; id: string }): Promise<ClusterSnapshotInfo | undefined>;
  waitForSnapshotAvailable(q: { region: string; id: string } & WaitOptions): Promise<ClusterSnapshotInfo>;
  /** Every manual cluster snapshot of a region with its tags (the sweeper filters by tag). */
  listClusterSnapshots(q: { region: string }): Promise<ClusterSnapshotInfo[]>;
  /** Deletes a manual snapshot that passes the tag guard; gone already is fine. */
  deleteClusterSnapshot(q: { region: string; id: string }): Promise<void>;
  /**
   * Deletes a cluster that passes the tag guard: its instances first, then the cluster, waiting
   * until it is gone (Aurora User Guide, "Deleting Aurora DB clusters and DB instances"). A
   * deletion protection is lifted only when pilotlight set it (tag `pilotlight:protected-by`).
   */
  deleteCluster(q: { region: string; id: string; finalSnapshotId?: string } & WaitOptions): Promise<void>;
  /** Adds tags to a cluster (forensics marks, retirement). */
  tagCluster(q: { region: string; id: string; tags: Record<string, string> }): Promise<void>;
  /**
   * Turns the RDS Data API on (`rds:EnableHttpEndpoint`): a restored cluster comes up with it
   * off, whatever the program says (the provider never sends it on restore — fidelity ledger).
   */
  enableHttpEndpoint(q: { region: string; clusterArn: string }): Promise<void>;
}
