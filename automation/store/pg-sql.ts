import type { Socket } from "node:net";
import type { Pool, PoolClient } from "pg";
import type { SqlClient } from "../ports/sql";

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

/**
 * Time bounds of a PostgreSQL store, so that a stopped or frozen server (SIGSTOP, a proxy that
 * stops answering, a half-open TCP connection) is reported within a bounded time instead of
 * hanging a run. The server-side ones (`statement_timeout`, `lock_timeout`,
 * `idle_in_transaction_session_timeout`) are sent at connection start and end work the server
 * is doing; the client-side ones (`connectMs`, `queryMs`) hold even when the server cannot answer
 * at all. https://www.postgresql.org/docs/current/runtime-config-client.html
 */
export interface PgTimeouts {
  /** Establishing a connection (TCP, TLS, authentication). */
  connectMs: number;
  /** A statement on the server (`statement_timeout`). */
  statementMs: number;
  /** Waiting for a lock (`lock_timeout`): a lease row held by a stuck transaction, say. */
  lockMs: number;
  /** A transaction left idle (`idle_in_transaction_session_timeout`): its locks are freed. */
  idleInTransactionMs: number;
  /** The client's own bound on one query's answer (`query_timeout`): a frozen server never answers. */
  queryMs: number;
  /** Closing the pool; connections still open after it are destroyed. */
  closeMs: number;
}

/**
 * Defaults: short against the engine's 60 s lease (renewed every 20 s), so that a renewal that
 * hangs fails well before the lease expires; long for the store's small statements.
 */
export const DEFAULT_PG_TIMEOUTS: PgTimeouts = {
  connectMs: 10_000,
  statementMs: 15_000,
  lockMs: 10_000,
  idleInTransactionMs: 60_000,
  queryMs: 20_000,
  closeMs: 5_000,
};

/** Options of {@link PgPoolSql.open}. */
export interface PgPoolOptions {
  /** Bound on the pool's connections (default 4). */
  max?: number;
  timeouts?: Partial<PgTimeouts>;
}

/** {@link SqlClient} over a `pg` connection pool to a PostgreSQL server. */
export class PgPoolSql implements SqlClient {
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly pool: Pool,
    private readonly timeouts: PgTimeouts = DEFAULT_PG_TIMEOUTS,
  ) {
    // Every client's socket, so that a close that cannot say goodbye to a frozen server can still
    // end (the process must be able to exit).
    pool.on("connect", (client) => {
      const socket = socketOf(client);
      if (socket !== undefined) {
        this.sockets.add(socket);
        socket.once("close", () => this.sockets.delete(socket));
      }
    });
  }

  /** Opens a pool to `url` (`postgres://…`) with time bounds on every connection and query. */
  static async open(url: string, options: PgPoolOptions | number = {}): Promise<PgPoolSql> {
    const o: PgPoolOptions = typeof options === "number" ? { max: options } : options;
    const t: PgTimeouts = { ...DEFAULT_PG_TIMEOUTS, ...o.timeouts };
    const pg = await import("pg");
    const pool = new pg.default.Pool({
      connectionString: url,
      max: o.max ?? 4,
      connectionTimeoutMillis: t.connectMs,
      statement_timeout: t.statementMs,
      lock_timeout: t.lockMs,
      idle_in_transaction_session_timeout: t.idleInTransactionMs,
      query_timeout: t.queryMs,
      // A peer that vanished without a FIN is noticed by TCP keepalives, not only by timeouts.
      keepAlive: true,
    });
    // A broken idle connection must not crash the process; the next query reports it.
    pool.on("error", () => undefined);
    return new PgPoolSql(pool, t);
  }

  async query<R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
    const res = await this.pool.query<R>(text, params as unknown[] | undefined);
    return { rows: res.rows, rowCount: res.rowCount ?? res.rows.length };
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query("BEGIN");
      const result = await fn(new PgClientTx(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollback: unknown) => {
        // A connection that cannot even roll back (timed out, reset) must not go back to the pool.
        broken = rollback instanceof Error ? rollback : new Error(String(rollback));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** Ends the pool; after {@link PgTimeouts.closeMs} the remaining sockets are destroyed. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ended = this.pool.end().then(() => true);
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.timeouts.closeMs);
    });
    try {
      if (!(await Promise.race([ended, late]))) {
        for (const socket of this.sockets) socket.destroy();
        void ended.catch(() => undefined);
      }
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The socket of a `pg` client (not in its typings: `connection.stream`). */
function socketOf(client: PoolClient): Socket | undefined {
  const stream = (client as unknown as { connection?: { stream?: unknown } }).connection?.stream;
  return typeof stream === "object" && stream !== null && typeof (stream as Socket).destroy === "function"
    ? (stream as Socket)
    : undefined;
}
