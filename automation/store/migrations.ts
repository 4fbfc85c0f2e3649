import { isPilotlightError, PilotlightError } from "../domain/errors";
import type { SqlClient } from "../ports/sql";

/**
 * Schema migrations of the run store, applied in order, each once, under an advisory lock so that
 * several processes starting together migrate once. Never edit a released migration: append.
 */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "runs, events and leases",
    sql: `
      CREATE TABLE pilotlight_runs (
        id text PRIMARY KEY,
        kind text NOT NULL,
        target text NOT NULL,
        phase text NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        doc jsonb NOT NULL
      );
      CREATE INDEX pilotlight_runs_target ON pilotlight_runs (target, created_at DESC);
      CREATE INDEX pilotlight_runs_kind ON pilotlight_runs (kind, created_at DESC);
      CREATE TABLE pilotlight_events (
        run_id text NOT NULL,
        seq bigserial NOT NULL,
        time bigint NOT NULL,
        level text NOT NULL,
        step_id text,
        code text NOT NULL,
        message text NOT NULL,
        data jsonb,
        PRIMARY KEY (run_id, seq)
      );
      CREATE TABLE pilotlight_leases (
        target text PRIMARY KEY,
        token bigint NOT NULL,
        run_id text NOT NULL,
        holder jsonb NOT NULL,
        acquired_at bigint NOT NULL,
        expires_at bigint NOT NULL
      );
      -- Fencing tokens keep growing across release and re-acquisition of a target.
      CREATE SEQUENCE pilotlight_lease_tokens;
    `,
  },
  {
    version: 2,
    name: "validation manifests",
    sql: `
      CREATE TABLE pilotlight_manifests (
        env text NOT NULL,
        recorded_at bigint NOT NULL,
        doc jsonb NOT NULL,
        PRIMARY KEY (env, recorded_at)
      );
    `,
  },
  {
    version: 3,
    name: "schedule claims",
    sql: `
      CREATE TABLE pilotlight_schedule_claims (
        occurrence text PRIMARY KEY,
        holder jsonb NOT NULL,
        claimed_at bigint NOT NULL
      );
    `,
  },
];

/** A stable advisory lock key for migrations ("pilotlight" in ASCII, folded). */
const MIGRATION_LOCK = 7_081_907_114;

/** Applies pending migrations; returns the versions applied. */
export async function migrate(sql: SqlClient): Promise<number[]> {
  try {
    return await sql.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await tx.query(
        "CREATE TABLE IF NOT EXISTS pilotlight_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const { rows } = await tx.query<{ version: number }>("SELECT version FROM pilotlight_migrations");
      const done = new Set(rows.map((r) => Number(r.version)));
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        for (const statement of splitStatements(m.sql)) await tx.query(statement);
        await tx.query("INSERT INTO pilotlight_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
        applied.push(m.version);
      }
      return applied;
    });
  } catch (error) {
    // A store that does not answer is not a failed migration: say what it is.
    if (isPilotlightError(error) && error.code === "store.unavailable") throw error;
    throw new PilotlightError(
      "store.migration-failed",
      `could not migrate the run store: ${error instanceof Error ? error.message : String(error)}`,
      {
        source: "system",
        hint: "check that the store URL points to a PostgreSQL database you may create tables in",
        cause: error,
      },
    );
  }
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/--[^\n]*\n/g, "\n").trim())
    .filter((s) => s.length > 0);
}
