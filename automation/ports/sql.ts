/**
 * A small SQL port with two implementations: a `pg` pool for PostgreSQL servers and PGlite
 * in-process. Code that needs SQL talks to this, never to the socket wrapper of PGlite (which
 * serves one connection at a time).
 */
export interface SqlClient {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ rows: R[]; rowCount: number }>;
  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
