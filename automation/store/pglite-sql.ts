import type { PGlite, Transaction } from "@electric-sql/pglite";
import { createPglite } from "./pglite-factory";
import type { SqlClient } from "../ports/sql";

type Queryable = Pick<PGlite, "query"> | Pick<Transaction, "query">;

class PgliteTx implements SqlClient {
  constructor(private readonly q: Queryable) {}

  async query<R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
    const res = await this.q.query<R>(text, params as unknown[] | undefined);
    return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length };
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {
    // A transaction's connection belongs to its database.
  }
}

/** {@link SqlClient} over an in-process PGlite database. */
export class PgliteSql implements SqlClient {
  constructor(readonly db: PGlite) {}

  /** Opens PGlite in `dataDir` (created if missing), or in memory when `dataDir` is undefined. */
  static async open(dataDir?: string): Promise<PgliteSql> {
    const db = await createPglite(dataDir === undefined ? {} : { dataDir });
    return new PgliteSql(db);
  }

  query<R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
    return new PgliteTx(this.db).query<R>(text, params);
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(new PgliteTx(tx)));
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
