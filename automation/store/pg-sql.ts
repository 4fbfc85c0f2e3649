import type { Pool, PoolClient } from "pg";
import type { SqlClient } from "./sql";

class PgClientTx implements SqlClient {
  constructor(private readonly client: PoolClient) {}

  async query<R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
    const res = await this.client.query<R>(text, params as unknown[] | undefined);
    return { rows: res.rows, rowCount: res.rowCount ?? res.rows.length };
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {
    // Released by the pool's owner.
  }
}

/** {@link SqlClient} over a `pg` connection pool to a PostgreSQL server. */
export class PgPoolSql implements SqlClient {
  constructor(readonly pool: Pool) {}

  /** Opens a pool to `url` (`postgres://…`); `max` bounds the connections. */
  static async open(url: string, max = 4): Promise<PgPoolSql> {
    const pg = await import("pg");
    const pool = new pg.default.Pool({ connectionString: url, max });
    // A broken idle connection must not crash the process; the next query reports it.
    pool.on("error", () => undefined);
    return new PgPoolSql(pool);
  }

  async query<R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
    const res = await this.pool.query<R>(text, params as unknown[] | undefined);
    return { rows: res.rows, rowCount: res.rowCount ?? res.rows.length };
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(new PgClientTx(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
