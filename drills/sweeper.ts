import type { EnvironmentConfig } from "../automation/config/schema";
import type { JsonObject } from "../automation/domain/json";
import type { RunbookPorts } from "../automation/runbooks/ports";

/** What a sweep found and did. */
export interface SweepReport extends JsonObject {
  destroyedStacks: string[];
  deletedClusters: string[];
  keptUntagged: string[];
  keptForensics: string[];
  errors: string[];
}

const DRILL_STACK = /^drill-/;

/**
 * Removes drill leftovers whose TTL passed: drill stacks (named `drill-…`, owned by a run that is
 * no longer running) and clusters carrying `managed-by=pilotlight` and a passed
 * `pilotlight:expires-at`. Never touches a cluster without the tag, nor one marked
 * `pilotlight:forensics`. Reports what it did and what it left alone.
 */
export async function sweep(ports: RunbookPorts, env: EnvironmentConfig, o: { now: number; isRunActive: (stack: string) => Promise<boolean>; signal: AbortSignal }): Promise<SweepReport> {
  const report: SweepReport = { destroyedStacks: [], deletedClusters: [], keptUntagged: [], keptForensics: [], errors: [] };
  for (const stack of (await ports.stacks.list()).filter((s) => DRILL_STACK.test(s))) {
    if (await o.isRunActive(stack)) continue;
    try {
      await ports.stacks.destroy(stack, { signal: o.signal, deadline: o.now + 2 * 3_600_000, remove: true, preserveConfig: false });
      report.destroyedStacks.push(stack);
    } catch (error) {
      report.errors.push(`${stack}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const c of await ports.databases.listClusters({ region: env.dr.region })) {
    const expires = c.tags["pilotlight:expires-at"];
    if (expires === undefined) continue;
    if (c.tags["managed-by"] !== "pilotlight") {
      report.keptUntagged.push(c.id);
      continue;
    }
    if (c.tags["pilotlight:forensics"] !== undefined) {
      report.keptForensics.push(c.id);
      continue;
    }
    if (Date.parse(expires) > o.now) continue;
    try {
      await ports.databases.deleteCluster({ region: env.dr.region, id: c.id, disableProtection: true });
      report.deletedClusters.push(c.id);
    } catch (error) {
      report.errors.push(`${c.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return report;
}
