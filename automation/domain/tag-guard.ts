import { PilotlightError } from "./errors";

/** The tag every resource pilotlight creates carries; nothing without it is ever deleted. */
export const MANAGED_BY = "managed-by";
/** The tag of what is kept for forensics (a damaged cluster after a point-in-time restore). */
export const FORENSICS = "pilotlight:forensics";
/** Set on a cluster whose deletion protection pilotlight's program turned on (it may turn it off). */
export const PROTECTED_BY = "pilotlight:protected-by";

/**
 * Refuses (`guard.untagged`, `guard.forensics`) to delete a resource that does not carry
 * `managed-by=pilotlight` or that is kept for forensics. The one guard every deletion path passes,
 * real adapters and the sandbox alike.
 */
export function assertDeletable(
  kind: "cluster" | "snapshot" | "stack",
  id: string,
  region: string,
  tags: Record<string, string>,
): void {
  if (tags[FORENSICS] !== undefined) {
    throw new PilotlightError(
      "guard.forensics",
      `refusing to delete ${kind} ${id}: it is kept for forensics (${FORENSICS}=${tags[FORENSICS]})`,
      {
        source: "user",
        hint: "pilotlight never deletes what it kept for forensics; remove the tag yourself once the investigation is over",
        details: { [kind]: id, region, run: tags[FORENSICS] },
      },
    );
  }
  if (tags[MANAGED_BY] === "pilotlight") return;
  throw new PilotlightError(
    "guard.untagged",
    `refusing to delete ${kind} ${id}: it does not carry ${MANAGED_BY}=pilotlight`,
    {
      source: "user",
      hint: "pilotlight deletes only what it created and tagged; delete it yourself if you mean to",
      details: { [kind]: id, region },
    },
  );
}

/** Whether pilotlight may lift the cluster's deletion protection: only one pilotlight turned on. */
export function mayLiftProtection(tags: Record<string, string>): boolean {
  return tags[PROTECTED_BY] === "pilotlight";
}
