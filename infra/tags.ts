/** The tag pilotlight uses as its deletion guard: it never deletes what lacks it. */
export const MANAGED_BY_TAG = "managed-by";
export const MANAGED_BY_VALUE = "pilotlight";
/** Set on clusters whose deletion protection the program turned on: pilotlight may lift only those. */
export const PROTECTED_BY = "pilotlight:protected-by";
/** Tag selecting resources for the AWS Backup plan. */
export const BACKUP_TAG = "backup:automated";

/** Inputs of {@link drTags}. */
export interface TagInput {
  environment: string;
  rto: string;
  rpo: string;
  /** Drill stacks: the owning run and the expiry the sweeper honours. */
  runId?: string;
  expiresAt?: string;
  /** Whether the resource is selected by the backup plan. */
  backedUp?: boolean;
}

/**
 * The DR tags every taggable resource carries (the seeds' `disaster-recovery:*` set plus
 * pilotlight's deletion guard and, for drills, the run and its expiry).
 */
export function drTags(t: TagInput): Record<string, string> {
  const tags: Record<string, string> = {
    "disaster-recovery:strategy": "pilot-light",
    "disaster-recovery:rto": t.rto,
    "disaster-recovery:rpo": t.rpo,
    [BACKUP_TAG]: t.backedUp === true ? "true" : "false",
    [MANAGED_BY_TAG]: MANAGED_BY_VALUE,
    "pilotlight:environment": t.environment,
  };
  if (t.runId !== undefined) tags["pilotlight:run-id"] = t.runId;
  if (t.expiresAt !== undefined) tags["pilotlight:expires-at"] = t.expiresAt;
  return tags;
}
