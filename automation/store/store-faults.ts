import { isPilotlightError, PilotlightError } from "../domain/errors";
import { redactText } from "../domain/redact";
import type { SqlClient } from "../ports/sql";

/**
 * Classes of SQLSTATE that say the database could not serve the statement, not that the
 * statement was wrong: connection exceptions (08), insufficient resources (53), operator
 * intervention (57: a `statement_timeout` cancel is 57014, a shutdown 57P01–57P03), system
 * errors (58) and transaction rollbacks (40: serialization failures, deadlocks).
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const UNAVAILABLE_CLASSES = new Set(["08", "53", "57", "58", "40"]);

/**
 * Single SQLSTATEs of the same kind: `lock_timeout` expired (55P03), an idle transaction ended
 * by `idle_in_transaction_session_timeout` (25P03), a database that does not exist (3D000) and
 * refused credentials (28000, 28P01).
 */
const UNAVAILABLE_STATES = new Set(["55P03", "25P03", "3D000", "28000", "28P01"]);

/** The SQLSTATE of an error the database itself raised (pg's and PGlite's carry a severity). */
function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, severity } = error as { code?: unknown; severity?: unknown };
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && typeof severity === "string" ? code : undefined;
}

/**
 * True when `error`, thrown by a store call, means the store is not serving: a refused or
 * broken connection, a timeout (connect, statement, lock, client read), a closed database, a
 * server shutting down. An SQL error of another class is pilotlight's own mistake (a bug) and
 * stays what it is; so does every `PilotlightError` (a lost lease, say).
 */
export function isStoreFault(error: unknown): boolean {
  if (isPilotlightError(error)) return false;
  const state = sqlStateOf(error);
  if (state === undefined) return true;
  return UNAVAILABLE_CLASSES.has(state.slice(0, 2)) || UNAVAILABLE_STATES.has(state);
}

/** The `store.unavailable` error of a store call that failed with `error` while `doing`. */
export function storeUnavailable(error: unknown, doing: string): PilotlightError {
  const reason = redactText(error instanceof Error ? error.message : String(error));
  const state = sqlStateOf(error);
  return new PilotlightError("store.unavailable", `the run store did not answer while ${doing}: ${reason}`, {
    source: "system",
    hint:
      "check that the run store's database is up and reachable (store.url or PILOTLIGHT_STORE_URL; see `pilotlight status`); " +
      "runs it could not journal stay resumable with `pilotlight resume RUN_ID` once it answers",
    details: { operation: doing, reason, ...(state === undefined ? {} : { sqlState: state }) },
  });
}

/** Rethrows store faults as `store.unavailable`, anything else unchanged. */
function mapFault(error: unknown, doing: string): never {
  throw isStoreFault(error) ? storeUnavailable(error, doing) : error;
}

/** The first words of a statement, to say what was being done without its parameters. */
function describeStatement(text: string): string {
  const words = text.trim().split(/\s+/).slice(0, 3).join(" ");
  return `running "${words} …"`;
}

/**
 * A {@link SqlClient} whose failures that mean "the store is not serving" become
 * `store.unavailable` (source `system`, with what to do), so that a stopped, frozen or
 * restarting store is never reported as a bug in pilotlight. Statements inside a transaction are
 * mapped alike; what the transaction's own code throws passes through.
 */
export class FaultMappingSql implements SqlClient {
  constructor(private readonly inner: SqlClient) {}

  async query<R extends Record<string, unknown>>(text: string, params?: readonly unknown[]) {
    try {
      return await this.inner.query<R>(text, params);
    } catch (error) {
      return mapFault(error, describeStatement(text));
    }
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const fromFn = new WeakSet<object>();
    try {
      return await this.inner.transaction((tx) =>
        fn(new FaultMappingSql(tx)).catch((error: unknown) => {
          if (typeof error === "object" && error !== null) fromFn.add(error);
          throw error;
        }),
      );
    } catch (error) {
      // What the transaction's own code threw was mapped (or meant) where it arose; the rest
      // comes from BEGIN, COMMIT or the connection.
      if (typeof error === "object" && error !== null && fromFn.has(error)) throw error;
      return mapFault(error, "running a transaction");
    }
  }

  async close(): Promise<void> {
    try {
      await this.inner.close();
    } catch (error) {
      mapFault(error, "closing the connection");
    }
  }
}
