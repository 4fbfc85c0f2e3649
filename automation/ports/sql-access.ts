import type { SqlClient } from "./sql";

/** Where a database is. */
export interface DatabaseLocator {
  region: string;
  clusterArn: string;
  /** Secrets Manager ARN of the credentials (real AWS); never a password. */
  secretArn?: string;
  database: string;
}

/**
 * SQL access to a cluster for validation and fencing. Real AWS: the RDS Data API (HTTPS, no
 * network path into the VPC needed; the SQL runs inside PostgreSQL). Sandbox: the cluster's PGlite.
 */
export interface SqlAccess {
  open(at: DatabaseLocator): Promise<SqlClient>;
}
