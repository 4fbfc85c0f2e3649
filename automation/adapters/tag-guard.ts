import { PilotlightError } from "../domain/errors";

/** The tag every resource pilotlight creates carries; nothing without it is ever deleted. */
export const MANAGED_BY = "managed-by";

/**
 * Refuses (`guard.untagged`) to delete a resource that does not carry `managed-by=pilotlight`.
 * One guard for every deletion path, real and simulated.
 */
export function assertOwned(kind: "cluster" | "snapshot", id: string, region: string, tags: Record<string, string>): void {
  if (tags[MANAGED_BY] === "pilotlight") return;
  throw new PilotlightError("guard.untagged", `refusing to delete ${kind} ${id}: it does not carry ${MANAGED_BY}=pilotlight`, {
    source: "user",
    hint: "pilotlight deletes only what it created and tagged; delete it yourself if you mean to",
    details: { [kind]: id, region },
  });
}
