import type { SqlClient } from "../../automation/ports/sql";

/**
 * The settings every validation query runs under, on both sides, live and against a manifest:
 * equality is defined over values *as PostgreSQL prints them* under these settings, so each one
 * that changes how a value prints (or how a catalog expression is deparsed) is fixed here.
 * A restored database whose default `TimeZone` (or `DateStyle`, …) differs therefore compares
 * equal when its data is the same.
 */
export const PINNED_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  // timestamptz prints in the session's zone.
  ["TimeZone", "UTC"],
  ["DateStyle", "ISO, YMD"],
  ["IntervalStyle", "postgres"],
  // Since PostgreSQL 12 any value > 0 prints the shortest text that reads back exactly; before
  // 12, 3 is the value that prints every bit.
  ["extra_float_digits", "3"],
  ["bytea_output", "hex"],
  // money prints with the locale's currency symbol and separators.
  ["lc_monetary", "C"],
  // regclass & co. print schema-qualified unless visible; pg_get_expr and format_type too.
  ["search_path", "pg_catalog"],
  // Plan settings of the checksum scans: a hash aggregate needs one entry per chunk, while the
  // planner (which cannot know that a chunk expression has few values) would sort every row for
  // a GroupAggregate; JIT compiling the expensive-looking plan costs more than it saves.
  ["enable_sort", "off"],
  ["jit", "off"],
];

const PIN_SQL = `SELECT ${PINNED_SETTINGS.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(", ")}`;
const PIN_PARAMS = PINNED_SETTINGS.flat();

/**
 * Runs `fn` in one transaction whose settings are pinned (`SET LOCAL`: nothing leaks into a
 * session shared with others, such as the sandbox's in-process databases).
 */
export async function withPinned<T>(sql: SqlClient, fn: (tx: SqlClient) => Promise<T>): Promise<T> {
  return sql.transaction(async (tx) => {
    await tx.query(PIN_SQL, PIN_PARAMS);
    return fn(tx);
  });
}

/** One query under the pinned settings. */
export async function queryPinned<R extends Record<string, unknown>>(
  sql: SqlClient,
  text: string,
  params?: readonly unknown[],
): Promise<R[]> {
  return withPinned(sql, async (tx) => (await tx.query<R>(text, params)).rows);
}
