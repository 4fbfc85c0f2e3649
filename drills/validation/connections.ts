import type { SqlClient } from "../../automation/ports/sql";

/** Lends connections, at most `limit` at a time. */
export interface ConnectionPool {
  with<T>(fn: (sql: SqlClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Lends at most `limit` connections at a time from `open`; connections are reused, closed at the end. */
export function connectionPool(open: () => Promise<SqlClient>, limit: number): ConnectionPool {
  const idle: SqlClient[] = [];
  const all: SqlClient[] = [];
  const waiting: Array<() => void> = [];
  let busy = 0;
  const acquire = async (): Promise<SqlClient> => {
    while (busy >= limit) await new Promise<void>((r) => waiting.push(r));
    busy++;
    const c = idle.pop();
    if (c !== undefined) return c;
    try {
      const fresh = await open();
      all.push(fresh);
      return fresh;
    } catch (error) {
      busy--;
      waiting.shift()?.();
      throw error;
    }
  };
  const release = (c: SqlClient) => {
    idle.push(c);
    busy--;
    waiting.shift()?.();
  };
  return {
    async with<T>(fn: (sql: SqlClient) => Promise<T>): Promise<T> {
      const c = await acquire();
      try {
        return await fn(c);
      } finally {
        release(c);
      }
    },
    async close(): Promise<void> {
      await Promise.all(all.map((c) => c.close()));
    },
  };
}

/** Runs `fn` over `items` with at most `limit` at a time, results in input order. */
export async function mapPooled<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
