import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from "@aws-sdk/client-rds-data";
import type { DatabaseLocator, SqlAccess } from "../ports/sql-access";
import type { SqlClient } from "../ports/sql";
import { toAwsError } from "./aws-errors";
import type { IamAction } from "./iam/action";

/**
 * The AWS calls of the Data API, as IAM actions. The Data API reads the database credentials
 * from the secret on the caller's behalf: the caller needs `secretsmanager:GetSecretValue` on it
 * (Aurora User Guide, "Authorizing access to the RDS Data API").
 */
export const SQL_ACCESS_ACTIONS = {
  open: [
    "rds-data:ExecuteStatement",
    "rds-data:BeginTransaction",
    "rds-data:CommitTransaction",
    "rds-data:RollbackTransaction",
    "secretsmanager:GetSecretValue",
  ],
} as const satisfies Record<keyof SqlAccess, readonly IamAction[]>;

/** `$1, $2…` (pg style) → `:p1, :p2…` (Data API named parameters), outside string literals. */
export function toNamedParameters(text: string): string {
  return text.replace(/('(?:[^']|'')*')|\$(\d+)/g, (_m: string, literal: string | undefined, n: string | undefined) =>
    literal !== undefined ? literal : `:p${n}`,
  );
}

function parameter(name: string, v: unknown): SqlParameter {
  if (v === null || v === undefined) return { name, value: { isNull: true } };
  if (typeof v === "boolean") return { name, value: { booleanValue: v } };
  if (typeof v === "number")
    return Number.isInteger(v) ? { name, value: { longValue: v } } : { name, value: { doubleValue: v } };
  if (v instanceof Date) return { name, value: { stringValue: v.toISOString() } };
  return { name, value: { stringValue: String(v) } };
}

/**
 * A {@link SqlClient} over the RDS Data API: SQL runs inside Aurora PostgreSQL over HTTPS, with
 * credentials from Secrets Manager (never a password in pilotlight). Rows come back as JSON.
 */
export class DataApiSql implements SqlClient {
  constructor(
    private readonly client: RDSDataClient,
    private readonly at: DatabaseLocator,
    private readonly transactionId?: string,
  ) {}

  async query<R extends Record<string, unknown>>(
    text: string,
    params: readonly unknown[] = [],
  ): Promise<{ rows: R[]; rowCount: number }> {
    try {
      const r = await this.client.send(
        new ExecuteStatementCommand({
          resourceArn: this.at.clusterArn,
          secretArn: this.at.secretArn,
          database: this.at.database,
          sql: toNamedParameters(text),
          parameters: params.map((v, i) => parameter(`p${i + 1}`, v)),
          formatRecordsAs: "JSON",
          ...(this.transactionId === undefined ? {} : { transactionId: this.transactionId }),
        }),
      );
      const rows = r.formattedRecords === undefined ? [] : (JSON.parse(r.formattedRecords) as R[]);
      return { rows, rowCount: r.numberOfRecordsUpdated ?? rows.length };
    } catch (error) {
      throw toAwsError(error, "ExecuteStatement", this.at.clusterArn);
    }
  }

  async transaction<T>(fn: (tx: SqlClient) => Promise<T>): Promise<T> {
    const base = { resourceArn: this.at.clusterArn, secretArn: this.at.secretArn };
    const { transactionId } = await this.client.send(
      new BeginTransactionCommand({ ...base, database: this.at.database }),
    );
    try {
      const result = await fn(new DataApiSql(this.client, this.at, transactionId));
      await this.client.send(new CommitTransactionCommand({ ...base, transactionId }));
      return result;
    } catch (error) {
      await this.client.send(new RollbackTransactionCommand({ ...base, transactionId })).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    // Stateless HTTPS: nothing to close.
  }
}

/** {@link SqlAccess} through the Data API, one client per region. */
export class DataApiAccess implements SqlAccess {
  private readonly clients = new Map<string, RDSDataClient>();

  constructor(
    private readonly factory: (region: string) => RDSDataClient = (region) =>
      new RDSDataClient({ region, retryMode: "adaptive", maxAttempts: 6 }),
  ) {}

  async open(at: DatabaseLocator): Promise<SqlClient> {
    let c = this.clients.get(at.region);
    if (c === undefined) this.clients.set(at.region, (c = this.factory(at.region)));
    return new DataApiSql(c, at);
  }
}
