import type { EnvironmentConfig } from "../automation/config/schema";
import { MANAGED_BY } from "../automation/domain/tag-guard";
import type { SweepOptions, SweepReport } from "../automation/drill-kit";
import { isTerminalPhase } from "../automation/domain/run";
import { drillStackName } from "./drill-steps";
import type { RunbookPorts } from "../automation/ports/runbook-ports";

export type { SweepReport };

const DRILL_STACK = /^drill-/;
const EXPIRES = "pilotlight:expires-at";

/** What the sweeper decides for one tagged resource. */
type Verdict = "delete" | "untagged" | "forensics" | "keep";

function verdict(tags: Record<string, string>, now: number): Verdict {
  const expires = tags[EXPIRES];
  if (expires === undefined) return "keep";
  if (tags[MANAGED_BY] !== "pilotlight") return "untagged";
  if (tags["pilotlight:forensics"] !== undefined) return "forensics";
  return Date.parse(expires) <= now ? "delete" : "keep";
}

/**
 * Removes drill leftovers whose TTL passed, in both regions of the environment: drill stacks
 * (named `drill-…`, whose run is no longer running and whose TTL passed), then clusters and manual cluster
 * snapshots carrying `managed-by=pilotlight` and a passed `pilotlight:expires-at`. Never touches
 * anything without the tag, nor what is marked `pilotlight:forensics`. Reports what it did and
 * what it left alone; one failed deletion does not stop the others.
 */
export async function sweep(ports: RunbookPorts, env: EnvironmentConfig, o: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = {
    dryRun: o.dryRun,
    destroyedStacks: [],
    deletedClusters: [],
    deletedSnapshots: [],
    keptUntagged: [],
    keptForensics: [],
    errors: [],
  };
  const attempt = async (what: string, done: string[], fn: () => Promise<void>) => {
    try {
      // A dry run says what would go and removes nothing.
      if (!o.dryRun) await fn();
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
    const run = o.drillRuns.find((r) => stack === drillStackName(r.id) || stack.startsWith(`${drillStackName(r.id)}-`));
    // Unfinished with a live lease: a process is still on it and its cleanup steps will remove
    // the stack. A run whose process died (lease expired) left a leftover.
    if (run !== undefined && !isTerminalPhase(run.phase) && (await o.leaseLive(run))) continue;
    // Expiry: a TTL from the drill's start, else the stack's own `expiresAt` output; a stack with
    // neither (an `up` that failed before any output) is a leftover of a run this store does not know.
    let expiresAt = run === undefined ? undefined : run.createdAt + env.drills.ttl;
    if (expiresAt === undefined) {
      const declared = Date.parse(
        String((await ports.stacks.outputs(stack).catch(() => ({}) as Record<string, unknown>))["expiresAt"] ?? ""),
      );
      if (!Number.isNaN(declared)) expiresAt = declared;
    }
    if (expiresAt !== undefined && expiresAt > o.now) continue;
    await attempt(stack, report.destroyedStacks, () =>
      ports.stacks.destroy(stack, {
        signal: o.signal,
        deadline: o.now + 2 * 3_600_000,
        remove: true,
        preserveConfig: false,
      }),
    );
  }
  for (const region of [...new Set([env.dr.region, env.primary.region])]) {
    for (const c of await ports.databases.listClusters({ region })) {
      if (c.status === "deleting") continue;
      // No deletion protection is lifted that pilotlight did not set (the adapter's guard).
      if (classify(c.id, c.tags))
        await attempt(c.id, report.deletedClusters, () =>
          ports.databases.deleteCluster({ region, id: c.id, maxWaitMs: 2 * 3_600_000, signal: o.signal }),
        );
    }
    for (const s of await ports.databases.listClusterSnapshots({ region })) {
      if (s.status !== "available") continue; // a snapshot still being created or copied cannot be deleted yet
      if (classify(s.id, s.tags))
        await attempt(s.id, report.deletedSnapshots, () => ports.databases.deleteClusterSnapshot({ region, id: s.id }));
    }
  }
  return report;
}
