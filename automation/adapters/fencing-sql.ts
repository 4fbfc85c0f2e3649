/**
 * SQL that fences a database against writes, or lifts the fence, sent by pilotlight through SQL
 * access (the RDS Data API on AWS). `ALTER DATABASE … SET` applies to new sessions and is stored
 * in the database, so it travels with snapshots: a cluster restored from a fenced snapshot must
 * be unfenced. Existing sessions are ended so that they reconnect under the fence (on Aurora an
 * `rds_superuser` may end other users' sessions). When lifting, the session's own `SET` comes
 * first because `ALTER DATABASE` cannot run in a read-only transaction.
 */
export function fenceStatements(readOnly: boolean): string[] {
  const alter = (action: string) => `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I ${action}', current_database()); END $$`;
  return readOnly
    ? [
        alter("SET default_transaction_read_only = on"),
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
        "SET default_transaction_read_only = on",
      ]
    : ["SET default_transaction_read_only = off", alter("RESET default_transaction_read_only")];
}
