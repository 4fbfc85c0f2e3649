import type { JsonObject } from "../domain/json";
import { faultsInForce } from "./faults";
import type { SandboxWorld } from "./world";

/** What `sandbox inspect` shows of one cluster. */
export interface ClusterView extends JsonObject {
  id: string;
  region: string;
  status: string;
  readOnly: boolean;
  tags: Record<string, string>;
  engineVersion: string;
  instances: string[];
  dataApi: boolean;
  /** Rows per table of the public schema (null when the database could not be read). */
  rows: Record<string, number> | null;
  newestHeartbeat: string | null;
  /** Writes of the simulated application accepted since `--since` (the world's start by default). */
  writesSince: number;
  newestWrite: string | null;
}

/** The world as `sandbox inspect --json` prints it. */
export interface WorldView extends JsonObject {
  world: string;
  clock: string;
  since: string;
  dns: Record<string, string | null>;
  clusters: ClusterView[];
  stacks: Array<{ name: string; region: string; resources: number; pending: number }>;
  recoveryPoints: Array<{ arn: string; vault: string; region: string; createdAt: string; status: string }>;
  restores: number;
  faults: string[];
  notifications: number;
}

const iso = (ms: number | undefined | null) => (ms === undefined || ms === null ? null : new Date(ms).toISOString());

/**
 * Everything a game day asks of the world: the clock, where each name sends clients, each
 * cluster (region, status, fence, tags, rows per table, newest heartbeat, writes accepted since a
 * time), stacks, recovery points, how many restores ran, the faults in force.
 */
export async function inspectWorld(w: SandboxWorld, since?: number): Promise<WorldView> {
  const from = since ?? w.s.createdAt;
  const dns: Record<string, string | null> = {};
  for (const name of new Set(w.s.dns.map((r) => r.name))) dns[name] = w.answer(name, "client")[0] ?? null;
  const clusters: ClusterView[] = [];
  for (const state of Object.values(w.s.clusters)) {
    const c = w.clusterByUid(state.uid)!;
    const live = state.status !== "deleted" && state.status !== "deleting";
    let rows: Record<string, number> | null = null;
    let newestHeartbeat: string | null = null;
    if (live && state.status === "available") {
      try {
        const db = await w.track(c.db());
        const tables = await w.track(
          db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"),
        );
        rows = {};
        for (const { t } of tables.rows) {
          const n = await w.track(db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t.replace(/"/g, '""')}"`));
          rows[t] = n.rows[0]?.n ?? 0;
        }
        if (rows["pilotlight_heartbeat"] !== undefined) {
          const b = await w.track(db.query<{ b: Date | null }>("SELECT max(beat_at) AS b FROM pilotlight_heartbeat"));
          newestHeartbeat =
            b.rows[0]?.b === null || b.rows[0]?.b === undefined ? null : new Date(b.rows[0].b).toISOString();
        }
      } catch {
        rows = null;
      }
    }
    const writes = w.writesSince(c, from);
    clusters.push({
      id: state.id,
      region: state.region,
      status: state.status,
      readOnly: state.readOnly,
      tags: { ...state.tags },
      engineVersion: state.engineVersion,
      instances: state.instances.map((i) => `${i.id} (${i.instanceClass}, ${i.status})`),
      dataApi: state.httpEndpointEnabled,
      rows,
      newestHeartbeat,
      writesSince: writes.count,
      newestWrite: iso(writes.newest),
    });
  }
  return {
    world: w.id,
    clock: new Date(w.now()).toISOString(),
    since: new Date(from).toISOString(),
    dns,
    clusters,
    stacks: Object.entries(w.s.stacks).map(([name, s]) => ({
      name,
      region: s.region,
      resources: s.resources.length,
      pending: s.pendingCreates.length,
    })),
    recoveryPoints: w.s.recoveryPoints.map((p) => ({
      arn: p.arn,
      vault: p.vault,
      region: p.region,
      createdAt: new Date(p.createdAt).toISOString(),
      status: p.status,
    })),
    restores: w.s.stats.restoresStarted,
    faults: faultsInForce(w),
    notifications: w.s.notifications.length,
  };
}
