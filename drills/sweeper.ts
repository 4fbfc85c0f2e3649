import type { EnvironmentConfig } from "../automation/config/schema";
import type { SweepReport } from "../automation/drill-kit";
import type { RunbookPorts } from "../automation/runbooks/ports";

export type { SweepReport };

const DRILL_STACK = /^drill-/;
const MANAGED = "managed-by";
const EXPIRES = "pilotlight:expires-at";

/** What the sweeper decides for one tagged resource. */
type Verdict = "delete" | "untagged" | "forensics" | "keep";

function verdict(tags: Record<string, string>, now: number): Verdict {
  const expires = tags[EXPIRES];
  if (expires === undefined) return "keep";
  if (tags[MANAGED] !== "pilotlight") return "untagged";
  if (tags["pilotlight:forensics"] !== undefined) return "forensics";
  return Date.parse(expires) <= now ? "delete" : "keep";
}

/**
 * Removes drill leftovers whose TTL passed, in both regions of the environment: drill stacks
 * (named `drill-…`, owned by a run that is no longer running), then clusters and manual cluster
 * snapshots carrying `managed-by=pilotlight` and a passed `pilotlight:expires-at`. Never touches
 * anything without the tag, nor what is marked `pilotlight:forensics`. Reports what it did and
 * what it left alone; one failed deletion does not stop the others.
 */
export async function sweep(ports: RunbookPorts, env: EnvironmentConfig, o: { now: number; isRunActive: (stack: string) => Promise<boolean>; signal: AbortSignal }): Promise<SweepReport> {
  const report: SweepReport = { destroyedStacks: [], deletedClusters: [], deletedSnapshots: [], keptUntagged: [], keptForensics: [], errors: [] };
  const attempt = async (what: string, done: string[], fn: () => Promise<void>) => {
    try {
      await fn();
      done.push(what);
    } catch (error) {
      report.errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const classify = (id: string, tags: Record<string, string>): boolean => {
    const v = verdict(tags, o.now);
    if (v === "untagged") report.keptUntagged.push(id);
    if (v === "forensics") report.keptForensics.push(id);
    return v === "delete";
  };
  for (const stack of (await ports.stacks.list()).filter((s) => DRILL_STACK.test(s))) {
    if (await o.isRunActive(stack)) continue;
    await attempt(stack, report.destroyedStacks, () => ports.stacks.destroy(stack, { signal: o.signal, deadline: o.now + 2 * 3_600_000, remove: true, preserveConfig: false }));
  }
  for (const region of [...new Set([env.dr.region, env.primary.region])]) {
    for (const c of await ports.databases.listClusters({ region })) {
      if (classify(c.id, c.tags)) await attempt(c.id, report.deletedClusters, () => ports.databases.deleteCluster({ region, id: c.id, disableProtection: true }));
    }
    for (const s of await ports.databases.listClusterSnapshots({ region })) {
      if (s.status !== "available") continue; // a snapshot still being created or copied cannot be deleted yet
      if (classify(s.id, s.tags)) await attempt(s.id, report.deletedSnapshots, () => ports.databases.deleteClusterSnapshot({ region, id: s.id }));
    }
  }
  return report;
}
