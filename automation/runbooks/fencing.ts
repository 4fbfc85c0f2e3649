import type { SqlClient } from "../ports/sql";

/**
 * Fencing a database against writes through the Data API, whose statements outside a transaction
 * each run in a session of their own. `ALTER DATABASE … SET default_transaction_read_only` is
 * stored in the database (it travels with snapshots) and applies to new sessions (PostgreSQL
 * docs, "ALTER DATABASE"). A session of a fenced database starts read-only, and `ALTER DATABASE`
 * is refused in a read-only transaction — so both directions run in one transaction that first
 * turns itself read-write: fencing an already fenced database works, and lifting it too.
 */
const alter = (action: string) =>
  `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I ${action}', current_database()); END $$`;

/** Whether the database's own setting fences it (the truth, not what a step remembers). */
export async function isFenced(sql: SqlClient): Promise<boolean> {
  const { rows } = await sql.query<{ ro: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
       WHERE d.datname = current_database() AND s.setrole = 0
         AND 'default_transaction_read_only=on' = ANY (s.setconfig)) AS ro`,
  );
  return rows[0]?.ro === true;
}

/**
 * Fences the database and ends the sessions the connecting role may end, one by one (a single
 * `pg_terminate_backend` over every session aborts on the first superuser-owned or role-less
 * backend — PostgreSQL signalfuncs.c). Returns how many sessions were ended and how many could not be.
 */
export async function fence(sql: SqlClient): Promise<{ ended: number; kept: number }> {
  await sql.transaction(async (tx) => {
    await tx.query("SET TRANSACTION READ WRITE");
    await tx.query(alter("SET default_transaction_read_only = on"));
  });
  const { rows } = await sql.query<{ pid: number }>(
    `SELECT a.pid FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
      WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
        AND a.backend_type = 'client backend' AND NOT r.rolsuper`,
  );
  let ended = 0;
  let kept = 0;
  for (const { pid } of rows) {
    try {
      const r = await sql.query<{ ok: boolean }>("SELECT pg_terminate_backend($1::int) AS ok", [pid]);
      if (r.rows[0]?.ok === true) ended += 1;
      else kept += 1;
    } catch {
      kept += 1;
    }
  }
  return { ended, kept };
}

/** Lifts the fence (a no-op on a database that is not fenced). */
export async function unfence(sql: SqlClient): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query("SET TRANSACTION READ WRITE");
    await tx.query(alter("RESET default_transaction_read_only"));
  });
}
