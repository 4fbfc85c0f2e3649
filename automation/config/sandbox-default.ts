import type { ConfigInput } from "./schema";

/**
 * The embedded default configuration of the sandbox (a simulated region pair). Used only when
 * the sandbox is asked for by name (`--sandbox`); nothing ever falls back to it silently.
 */
export const SANDBOX_CONFIG: ConfigInput = {
  // The sandbox keeps its runs and reports in its world folder (.pilotlight/sandbox/world).
  stateBackend: "file://.pilotlight/sandbox/state",
  store: { url: "pglite://.pilotlight/sandbox/world/runs" },
  reportsDir: ".pilotlight/sandbox/world/reports",
  // Alerts go to a topic in the DR region: a topic in the primary region is down with it.
  notifications: { snsTopicArn: "arn:aws:sns:us-west-2:000000000000:pilotlight-sandbox-alerts" },
  environments: {
    sandbox: {
      primary: {
        region: "us-east-1",
        stack: "primary",
        vault: "pilotlight-sandbox-primary",
      },
      dr: { region: "us-west-2", stack: "dr", vault: "pilotlight-sandbox-dr" },
      objectives: { rto: "4h", rpo: "1h" },
      dns: {
        zoneId: "ZSANDBOX0000000000000",
        name: "app.sandbox.internal",
        drillName: "drill.app.sandbox.internal",
        ttlSeconds: 60,
      },
      validation: {
        database: "app",
        tables: [{ name: "orders", key: "id", updatedAt: "updated_at" }],
        heartbeat: { table: "pilotlight_heartbeat", column: "beat_at" },
        checks: [
          { name: "no negative totals", sql: "SELECT id FROM orders WHERE total_cents < 0", expect: { empty: true } },
        ],
      },
    },
  },
};
