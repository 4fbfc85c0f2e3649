/** An Aurora cluster as observed. */
export interface ClusterInfo {
  id: string;
  arn: string;
  region: string;
  status: string;
  endpoint?: string;
  engine: string;
  engineVersion?: string;
  instances: string[];
  tags: Record<string, string>;
  latestRestorableTime?: number;
  masterUserSecretArn?: string;
}

/** A cluster snapshot as observed. */
export interface ClusterSnapshotInfo {
  id: string;
  arn: string;
  region: string;
  status: string;
  clusterId: string;
  createdAt?: number;
  kmsKeyId?: string;
  tags: Record<string, string>;
}

/** Bounded wait: the caller always states the maximum and may abort. */
export interface WaitOptions {
  maxWaitMs: number;
  signal: AbortSignal;
}

/**
 * RDS operations pilotlight needs. Deletions are refused for resources that do not carry
 * pilotlight's `managed-by` tag.
 */
export interface Databases {
  describeCluster(q: { region: string; id: string }): Promise<ClusterInfo | undefined>;
  /** Every cluster of a region with its tags (the sweeper and drill cleanup filter by tag). */
  listClusters(q: { region: string }): Promise<ClusterInfo[]>;
  /** Creates the writer instance an Aurora restore never creates. */
  createInstance(q: { region: string; clusterId: string; instanceId: string; instanceClass: string; tags: Record<string, string> }): Promise<void>;
  waitForClusterAvailable(q: { region: string; id: string } & WaitOptions): Promise<ClusterInfo>;
  waitForInstanceAvailable(q: { region: string; id: string } & WaitOptions): Promise<void>;
  createClusterSnapshot(q: { region: string; clusterId: string; snapshotId: string; tags: Record<string, string> }): Promise<ClusterSnapshotInfo>;
  copyClusterSnapshot(q: { sourceArn: string; targetRegion: string; targetId: string; kmsKeyId: string; tags: Record<string, string> }): Promise<ClusterSnapshotInfo>;
  describeClusterSnapshot(q: { region: string; id: string }): Promise<ClusterSnapshotInfo | undefined>;
  waitForSnapshotAvailable(q: { region: string; id: string } & WaitOptions): Promise<ClusterSnapshotInfo>;
  /** Every manual cluster snapshot of a region with its tags (the sweeper filters by tag). */
  listClusterSnapshots(q: { region: string }): Promise<ClusterSnapshotInfo[]>;
  /** Deletes a manual snapshot only if it carries pilotlight's `managed-by` tag (`guard.untagged` otherwise); gone already is fine. */
  deleteClusterSnapshot(q: { region: string; id: string }): Promise<void>;
  restoreClusterToPointInTime(q: {
    region: string;
    sourceClusterId: string;
    targetClusterId: string;
    restoreTime: number;
    subnetGroup?: string;
    securityGroupIds?: string[];
    tags: Record<string, string>;
  }): Promise<ClusterInfo>;
  /**
   * Deletes a cluster only if it carries pilotlight's `managed-by` tag (`guard.untagged`
   * otherwise); takes a final snapshot when `finalSnapshotId` is given; lifts deletion protection
   * first when `disableProtection` is set.
   */
  deleteCluster(q: { region: string; id: string; finalSnapshotId?: string; disableProtection?: boolean }): Promise<void>;
  /** Adds tags to a cluster (forensics marks, retirement). */
  tagCluster(q: { region: string; id: string; tags: Record<string, string> }): Promise<void>;
}
