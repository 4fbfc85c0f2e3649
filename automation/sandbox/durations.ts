import type { SeededRandom } from "./random";

/** A range of durations (ms); a draw is uniform within it. */
export interface DurationRange {
  min: number;
  max: number;
}

const MIN = 60_000;

/**
 * Modelled durations of AWS operations. Defaults follow the AWS documentation's and the seeds'
 * orders of magnitude: an Aurora cluster restore takes minutes to hours and is not linear in size
 * (Aurora User Guide, "Restoring from a DB cluster snapshot"); a DB instance takes ~10 minutes to
 * create; a cross-region copy completes after the backup job, depending on size (AWS Backup
 * Developer Guide, "Creating backup copies across AWS Regions"); Route 53 detects a failed health
 * check after failureThreshold × interval and resolvers follow within the record's TTL.
 */
export interface SandboxDurations {
  backupJob: DurationRange;
  copyJob: DurationRange;
  clusterRestore: DurationRange;
  instanceCreate: DurationRange;
  snapshotCreate: DurationRange;
  snapshotCopy: DurationRange;
  workloadDeploy: DurationRange;
  networkDeploy: DurationRange;
  dnsPropagation: DurationRange;
  healthCheckDetection: DurationRange;
  clusterDelete: DurationRange;
  instanceDelete: DurationRange;
}

/** AWS-like defaults. */
export const AWS_LIKE_DURATIONS: SandboxDurations = {
  backupJob: { min: 4 * MIN, max: 9 * MIN },
  copyJob: { min: 12 * MIN, max: 35 * MIN },
  clusterRestore: { min: 25 * MIN, max: 50 * MIN },
  instanceCreate: { min: 8 * MIN, max: 14 * MIN },
  snapshotCreate: { min: 4 * MIN, max: 10 * MIN },
  snapshotCopy: { min: 15 * MIN, max: 40 * MIN },
  workloadDeploy: { min: 2 * MIN, max: 4 * MIN },
  networkDeploy: { min: 2 * MIN, max: 5 * MIN },
  dnsPropagation: { min: 30_000, max: 90_000 },
  healthCheckDetection: { min: 30_000, max: 60_000 },
  clusterDelete: { min: 5 * MIN, max: 10 * MIN },
  instanceDelete: { min: 4 * MIN, max: 8 * MIN },
};

/** Draws a duration from a range. */
export function draw(random: SeededRandom, range: DurationRange): number {
  return random.between(range.min, range.max);
}
