import type { SqlClient } from "../../automation/ports/sql";

/** An error shaped like Node's for a refused TCP connection (what `pg` throws for a stopped server). */
export function connectionRefused(): Error {
  return Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
    code: "ECONNREFUSED",
    errno: -111,
    syscall: "connect",
  });
}

/**
 * Wraps a real {@link SqlClient} (PGlite in `npm test`) *below* the run store, so that the
 * store's own fault handling is what a test exercises: `stop()` makes every later statement fail
 * as a stopped server's would (connection refused), `start()` brings it back. Statements inside a
 * transaction fail alike.
 */
export class FailingSql implements SqlClient {
  stopped = false;
  /** Statements refused while stopped. */
  refused = 0;

  constructor(private readonly inner: SqlClient) {}

  stop(): void {
    this.stopped = true;
  }

  start(): void {
    this.stopped = false;
  }

  private check(): void {
    if (this.stopped) {
      this.refused += 1;
      throw connectionRefused();
    }
  }

  async query<R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
    this.check();
    return this.inner.query<R>(text, params);
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    this.check();
    return this.inner.transaction((tx) => fn(new FailingTx(this, tx)));
  }

  /** Used by {@link FailingTx}: a statement inside a transaction. */
  checkInside(): void {
    this.check();
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}

class FailingTx implements SqlClient {
  constructor(
    private readonly owner: FailingSql,
    private readonly tx: SqlClient,
  ) {}

  async query<R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
    this.owner.checkInside();
    return this.tx.query<R>(text, params);
  }

  transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {
    // The transaction's connection belongs to its owner.
  }
}
