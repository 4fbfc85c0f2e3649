import { PilotlightError } from "../domain/errors";
import type { PilotEvent } from "../domain/events";
import type { JsonObject } from "../domain/json";
import type { Run } from "../domain/run";
import type { Lease, LeaseAttempt, LeaseHolder, RunFilter, RunStore } from "../ports/run-store";
import { migrate } from "./migrations";
import { FaultMappingSql } from "./store-faults";
import type { SqlClient } from "../ports/sql";

interface LeaseRow extends Record<string, unknown> {
  target: string;
  token: string | number;
  run_id: string;
  holder: LeaseHolder;
  acquired_at: string | number;
  expires_at: string | number;
}

function toLease(row: LeaseRow): Lease {
  return {
    target: row.target,
    token: Number(row.token),
    runId: row.run_id,
    holder: row.holder,
    acquiredAt: Number(row.acquired_at),
    expiresAt: Number(row.expires_at),
  };
}

function leaseLost(lease: Lease, runId: string): PilotlightError {
  return new PilotlightError(
    "lease.lost",
    `run ${runId}: the lease on ${lease.target} (token ${lease.token}) is no longer held`,
    {
      source: "system",
      hint: "another process took the run over; this one stops writing",
      details: { target: lease.target, token: lease.token },
    },
  );
}

/**
 * The run store over SQL (PGlite or a PostgreSQL server). Leases are rows with a fencing token;
 * every write of a run checks, in the same statement, that the writer's token is still current.
 * Times are the callers' clock (virtual in tests), never the database's.
 */
export class PgRunStore implements RunStore {
  private constructor(private readonly sql: SqlClient) {}

  /**
   * Migrates the schema and returns a store over `sql` (which the store then owns). Failures of
   * the database to serve become `store.unavailable` ({@link FaultMappingSql}).
   */
  static async open(sql: SqlClient): Promise<PgRunStore> {
    const guarded = new FaultMappingSql(sql);
    await migrate(guarded);
    return new PgRunStore(guarded);
  }

  async acquireLease(req: {
    target: string;
    runId: string;
    holder: LeaseHolder;
    now: number;
    ttlMs: number;
    takeOverToken?: number;
  }): Promise<LeaseAttempt> {
    const expires = req.now + req.ttlMs;
    // One statement: insert when free; replace when expired or when it is the proven-dead holder's.
    const { rows } = await this.sql.query<LeaseRow & { previous: LeaseRow | null }>(
      `WITH previous AS (SELECT * FROM pilotlight_leases WHERE target = $1)
       INSERT INTO pilotlight_leases AS l (target, token, run_id, holder, acquired_at, expires_at)
       VALUES ($1, nextval('pilotlight_lease_tokens'), $2, $3::jsonb, $4, $5)
       ON CONFLICT (target) DO UPDATE
         SET token = nextval('pilotlight_lease_tokens'), run_id = excluded.run_id, holder = excluded.holder,
             acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
         WHERE l.expires_at <= $4 OR l.token = $6
       RETURNING l.*, (SELECT to_jsonb(p) FROM previous p) AS previous`,
      [req.target, req.runId, JSON.stringify(req.holder), req.now, expires, req.takeOverToken ?? -1],
    );
    const row = rows[0];
    if (row !== undefined) {
      const lease = toLease(row);
      const prev = row.previous;
      return prev === null || prev === undefined
        ? { acquired: true, lease }
        : { acquired: true, lease, tookOver: toLease(prev) };
    }
    const current = await this.readLease(req.target);
    if (current === undefined) {
      // Released between the two statements: try once more.
      return this.acquireLease(req);
    }
    return { acquired: false, current };
  }

  async renewLease(lease: Lease, now: number, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      "UPDATE pilotlight_leases SET expires_at = $3 WHERE target = $1 AND token = $2",
      [lease.target, lease.token, now + ttlMs],
    );
    return rowCount === 1;
  }

  async releaseLease(lease: Lease): Promise<void> {
    await this.sql.query("DELETE FROM pilotlight_leases WHERE target = $1 AND token = $2", [lease.target, lease.token]);
  }

  async readLease(target: string): Promise<Lease | undefined> {
    const { rows } = await this.sql.query<LeaseRow>("SELECT * FROM pilotlight_leases WHERE target = $1", [target]);
    return rows[0] === undefined ? undefined : toLease(rows[0]);
  }

  async insertRun(run: Run, lease: Lease): Promise<void> {
    const { rowCount } = await this.sql.query(
      `INSERT INTO pilotlight_runs (id, kind, target, phase, created_at, updated_at, doc)
       SELECT $1, $2, $3, $4, $5, $6, $7::jsonb
       WHERE EXISTS (SELECT 1 FROM pilotlight_leases WHERE target = $3 AND token = $8)`,
      [run.id, run.kind, run.target, run.phase, run.createdAt, run.updatedAt, JSON.stringify(run), lease.token],
    );
    if (rowCount !== 1) throw leaseLost(lease, run.id);
  }

  async saveRun(run: Run, lease: Lease): Promise<void> {
    const { rowCount } = await this.sql.query(
      `UPDATE pilotlight_runs SET phase = $2, updated_at = $3, doc = $4::jsonb
       WHERE id = $1 AND EXISTS (SELECT 1 FROM pilotlight_leases WHERE target = $5 AND token = $6)`,
      [run.id, run.phase, run.updatedAt, JSON.stringify(run), run.target, lease.token],
    );
    if (rowCount !== 1) throw leaseLost(lease, run.id);
  }

  async loadRun(id: string): Promise<Run | undefined> {
    const { rows } = await this.sql.query<{ doc: Run | string }>("SELECT doc FROM pilotlight_runs WHERE id = $1", [id]);
    return rows[0] === undefined ? undefined : parseDoc(rows[0].doc);
  }

  async listRuns(filter: RunFilter = {}): Promise<Run[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [
      ["kind", filter.kind],
      ["target", filter.target],
      ["phase", filter.phase],
    ] as const) {
      if (value === undefined) continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    params.push(filter.limit ?? 50);
    const { rows } = await this.sql.query<{ doc: Run | string }>(
      `SELECT doc FROM pilotlight_runs ${where.length > 0 ? "WHERE " + where.join(" AND ") : ""}
       ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => parseDoc(r.doc));
  }

  async appendEvents(events: PilotEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.sql.query(
      `INSERT INTO pilotlight_events (run_id, time, level, step_id, code, message, data)
       SELECT e->>'runId', (e->>'time')::bigint, e->>'level', e->>'stepId', e->>'code', e->>'message', e->'data'
       FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n) ORDER BY n`,
      [JSON.stringify(events)],
    );
  }

  async listEvents(runId: string): Promise<PilotEvent[]> {
    const { rows } = await this.sql.query<{
      time: string | number;
      level: PilotEvent["level"];
      step_id: string | null;
      code: PilotEvent["code"];
      message: string;
      data: PilotEvent["data"] | null;
    }>("SELECT time, level, step_id, code, message, data FROM pilotlight_events WHERE run_id = $1 ORDER BY seq", [
      runId,
    ]);
    return rows.map((r) => {
      const e: PilotEvent = { time: Number(r.time), level: r.level, runId, code: r.code, message: r.message };
      if (r.step_id !== null) e.stepId = r.step_id;
      if (r.data !== null) e.data = r.data;
      return e;
    });
  }

  async saveManifest(env: string, recordedAt: number, manifest: JsonObject): Promise<void> {
    await this.sql.query(
      "INSERT INTO pilotlight_manifests (env, recorded_at, doc) VALUES ($1, $2, $3::jsonb) ON CONFLICT (env, recorded_at) DO UPDATE SET doc = excluded.doc",
      [env, recordedAt, JSON.stringify(manifest)],
    );
  }

  async latestManifest(env: string, before: number): Promise<{ recordedAt: number; manifest: JsonObject } | undefined> {
    const { rows } = await this.sql.query<{ recorded_at: string | number; doc: JsonObject | string }>(
      "SELECT recorded_at, doc FROM pilotlight_manifests WHERE env = $1 AND recorded_at <= $2 ORDER BY recorded_at DESC LIMIT 1",
      [env, before],
    );
    const r = rows[0];
    return r === undefined
      ? undefined
      : {
          recordedAt: Number(r.recorded_at),
          manifest: typeof r.doc === "string" ? (JSON.parse(r.doc) as JsonObject) : r.doc,
        };
  }

  async claimOccurrence(occurrence: string, holder: LeaseHolder, now: number): Promise<boolean> {
    const { rowCount } = await this.sql.query(
      "INSERT INTO pilotlight_schedule_claims (occurrence, holder, claimed_at) VALUES ($1, $2::jsonb, $3) ON CONFLICT (occurrence) DO NOTHING",
      [occurrence, JSON.stringify(holder), now],
    );
    return rowCount === 1;
  }

  async lastClaimedOccurrence(slot: string): Promise<number | undefined> {
    // Occurrences are `<slot>:<ISO minute>`: ISO times sort as they happen.
    const { rows } = await this.sql.query<{ occurrence: string }>(
      "SELECT occurrence FROM pilotlight_schedule_claims WHERE left(occurrence, length($1) + 1) = $1 || ':' ORDER BY occurrence DESC LIMIT 1",
      [slot],
    );
    const at = rows[0] === undefined ? Number.NaN : Date.parse(rows[0].occurrence.slice(slot.length + 1));
    return Number.isNaN(at) ? undefined : at;
  }

  async close(): Promise<void> {
    await this.sql.close();
  }
}

function parseDoc(doc: Run | string): Run {
  return typeof doc === "string" ? (JSON.parse(doc) as Run) : doc;
}
