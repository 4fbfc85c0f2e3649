import pg from "pg";

/** The server of the PostgreSQL leg (`npm run test:pg`): PG_URL, default the local `test` database. */
export const PG_BASE_URL = process.env["PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

/**
 * Fresh databases on the test server, one per call, dropped by {@link dropDatabases}. PG_URL's
 * user must be allowed to create databases.
 */
export class TestDatabases {
  private readonly created: string[] = [];

  constructor(private readonly prefix: string) {}

  /** Creates an empty database and returns its URL. */
  async fresh(): Promise<string> {
    const name = `${this.prefix}_${process.pid}_${this.created.length}`;
    const admin = new pg.Client({ connectionString: PG_BASE_URL });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    this.created.push(name);
    const url = new URL(PG_BASE_URL);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** Drops every database this instance created. */
  async dropAll(): Promise<void> {
    const admin = new pg.Client({ connectionString: PG_BASE_URL });
    await admin.connect();
    try {
      for (const name of this.created.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
