import { validate as validateCron } from "node-cron";
import { z } from "zod";
import { MAX_DURATION_TEXT, parseDuration, readDuration } from "../domain/objectives";

/**
 * pilotlight's own settings (Pulumi stack config stays in `Pulumi.<stack>.yaml`). Every field
 * carries the message shown when it is wrong: what is expected and an example, so that one
 * report lists every problem with its fix.
 */

/**
 * A string field whose message tells a missing value ("is required") from a value of the wrong
 * type ("must be a string such as …"): `region: 5` is there, just not a string.
 */
const text = (what: string, example: string) =>
  z.string({
    error: (issue) =>
      issue.input === undefined
        ? `${what} is required, e.g. ${example}`
        : `${what} must be a string such as ${example}`,
  });

/** The message of a missing or mistyped section: what it holds, as an example. */
const section = (what: string, example: string) => (issue: { code: string; input?: unknown }) =>
  issue.code !== "invalid_type"
    ? undefined
    : issue.input === undefined
      ? `missing; write ${what}: ${example}`
      : `must be a mapping; write ${what}: ${example}`;

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const region = (what: string) =>
  text(`${what} region`, "us-east-1").regex(REGION, {
    error: `${what} region must be an AWS region such as us-east-1 or eu-west-2`,
  });

const DURATION_PROBLEMS = {
  syntax: (t: string, ex: string) => `"${t}" is not a duration; write a number and a unit (ms, s, m, h, d), e.g. ${ex}`,
  "not-positive": (t: string, ex: string) => `"${t}" must be positive, e.g. ${ex}`,
  "too-long": (t: string, ex: string) => `"${t}" is too long: durations are at most ${MAX_DURATION_TEXT}, e.g. ${ex}`,
} as const;

const duration = (example: string) =>
  z.string({ error: `expected a duration such as ${example}` }).transform((t, ctx) => {
    const reading = readDuration(t);
    if (!reading.ok) {
      ctx.addIssue({ code: "custom", message: DURATION_PROBLEMS[reading.problem](t, example) });
      return z.NEVER;
    }
    return reading.ms;
  });

const name = (what: string, example: string) =>
  text(what, example)
    .min(1, { error: `${what} must not be empty` })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { error: `${what} may hold letters, digits, '.', '_' and '-' only` });

/** Tag-safe, stack-safe environment names. */
const ENV_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const ENV_NAME_RULE =
  "environment names are lower-case kebab-case: a letter, then letters, digits or '-', at most 31 characters " +
  "(e.g. prod, eu-prod)";

const cronExpr = z
  .string({ error: "expected a cron expression such as '0 3 * * *'" })
  .refine((expr) => isValidCron(expr), {
    error: "not a valid cron expression; five fields (minute hour day month weekday), e.g. '0 3 * * *' for 03:00 daily",
  });

const timeZone = z
  .string()
  .refine((tz) => isValidTimeZone(tz), { error: "unknown time zone; use an IANA name such as UTC or Europe/Berlin" });

const schedule = (defaultCron: string) =>
  z
    .object({
      enabled: z.boolean({ error: "enabled must be true or false" }).default(true),
      schedule: cronExpr.default(defaultCron),
      timezone: timeZone.default("UTC"),
      /** Run a missed occurrence once at start-up instead of only logging it. */
      catchUp: z.boolean({ error: "catchUp must be true or false" }).default(false),
    })
    .strict()
    .default({ enabled: true, schedule: defaultCron, timezone: "UTC", catchUp: false });

const sqlIdent = z
  .string({ error: "expected a table or column name" })
  .regex(/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/, {
    error: "expected an identifier such as orders or public.orders",
  });

const customCheck = z
  .object({
    name: z.string({ error: "a check needs a name" }).min(1),
    sql: z.string({ error: "a check needs its SQL" }).min(1),
    expect: z.union(
      [
        z.object({ value: z.union([z.string(), z.number(), z.boolean(), z.null()]) }).strict(),
        z
          .object({
            rows: z
              .object({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() })
              .strict(),
          })
          .strict(),
        z.object({ empty: z.literal(true) }).strict(),
      ],
      { error: "expect must be one of { value: X }, { rows: { min, max } } or { empty: true }" },
    ),
  })
  .strict();

const environment = z
  .object({
    primary: z
      .object(
        {
          region: region("primary"),
          stack: name("primary.stack", "primary").default("primary"),
          vault: name("primary.vault", "pilotlight-prod-primary"),
        },
        { error: section("primary", "{ region: us-east-1, vault: pilotlight-prod-primary }") },
      )
      .strict(),
    dr: z
      .object(
        {
          region: region("DR"),
          stack: name("dr.stack", "dr").default("dr"),
          vault: name("dr.vault", "pilotlight-prod-dr"),
        },
        { error: section("dr", "{ region: us-west-2, vault: … }") },
      )
      .strict(),
    objectives: z
      .object({ rto: duration("4h"), rpo: duration("1h") }, { error: section("objectives", "{ rto: 4h, rpo: 1h }") })
      .strict(),
    dns: z
      .object({
        zoneId: z
          .string({ error: "dns.zoneId is required (the Route 53 hosted zone id)" })
          .regex(/^Z[A-Z0-9]+$/, { error: "a Route 53 hosted zone id looks like Z0123456789ABCDEFGHIJ" }),
        name: z.string({ error: "dns.name is required (the record clients use)" }).min(1),
        drillName: z.string().min(1).optional(),
        ttlSeconds: z
          .number({ error: "dns.ttlSeconds must be a number of seconds" })
          .int()
          .min(1)
          .max(60, { error: "records that fail over must have a TTL of 60 s or less (Route 53 failover guidance)" })
          .default(60),
      })
      .strict()
      .optional(),
    /** The seeds' policy: below `waitBelow` of outage wait, below `prepareBelow` prepare, beyond fail over. */
    decision: z
      .object({ waitBelow: duration("15m").default(15 * 60_000), prepareBelow: duration("60m").default(60 * 60_000) })
      .strict()
      .default({ waitBelow: 15 * 60_000, prepareBelow: 60 * 60_000 }),
    drills: z
      .object({
        restore: schedule("0 3 * * *"),
        full: schedule("0 4 1 */3 *"),
        posture: schedule("0 * * * *"),
        /** Drill resources older than this are leftovers the sweeper removes. */
        ttl: duration("6h").default(6 * 3_600_000),
      })
      .strict()
      .default({
        restore: { enabled: true, schedule: "0 3 * * *", timezone: "UTC", catchUp: false },
        full: { enabled: true, schedule: "0 4 1 */3 *", timezone: "UTC", catchUp: false },
        posture: { enabled: true, schedule: "0 * * * *", timezone: "UTC", catchUp: false },
        ttl: 6 * 3_600_000,
      }),
    validation: z
      .object({
        database: z.string().min(1).default("app"),
        tables: z
          .array(z.object({ name: sqlIdent, key: sqlIdent.optional(), updatedAt: sqlIdent.optional() }).strict())
          .default([]),
        heartbeat: z.object({ table: sqlIdent, column: sqlIdent }).strict().optional(),
        checks: z.array(customCheck).default([]),
      })
      .strict()
      .default({ database: "app", tables: [], checks: [] }),
  })
  .strict();

/** The schema of a configuration file, after defaults. */
export const configSchema = z
  .object({
    /** Folder holding `Pulumi.yaml`; relative to the config file. */
    projectDir: text("projectDir", "infra-project")
      .min(1, { error: 'projectDir must not be empty; "." is the file\'s folder' })
      .default("."),
    /** Pulumi state backend: `file://<dir>` (default, in the project) or `s3://bucket/prefix?region=…`. */
    stateBackend: text("stateBackend", "file://.pilotlight/state")
      .regex(/^(file|s3|gs|azblob):\/\/.+/, {
        error: "stateBackend must be file://<folder> or s3://bucket/prefix (self-managed state)",
      })
      .default("file://.pilotlight/state"),
    /** Pulumi secrets provider: `passphrase` (PULUMI_CONFIG_PASSPHRASE[_FILE] from the environment) or `awskms://…`. */
    secretsProvider: text("secretsProvider", "passphrase")
      .regex(/^(passphrase|awskms:\/\/.+|default)$/, { error: "secretsProvider must be passphrase or awskms://<key>" })
      .default("passphrase"),
    store: z
      .object({
        url: text("store.url", "pglite://.pilotlight/runs")
          .regex(/^(pglite:\/\/.+|memory:\/\/|postgres(ql)?:\/\/.+)$/, {
            error: "store.url must be pglite://<folder>, memory:// or postgres://user@host/db",
          })
          .default("pglite://.pilotlight/runs"),
      })
      .strict()
      .default({ url: "pglite://.pilotlight/runs" }),
    reportsDir: text("reportsDir", ".pilotlight/reports")
      .min(1, { error: "reportsDir must not be empty" })
      .default(".pilotlight/reports"),
    notifications: z
      .object({
        snsTopicArn: z
          .string()
          .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:.+$/, { error: "snsTopicArn must be an SNS topic ARN" })
          .optional(),
        /** Name of the environment variable holding the webhook URL (a secret: never in this file). */
        webhookUrlEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, {
            error: "webhookUrlEnv names an environment variable, e.g. PILOTLIGHT_WEBHOOK_URL",
          })
          .optional(),
      })
      .strict()
      .default({}),
    environments: z
      .record(z.string().regex(ENV_NAME), environment, {
        // A bad name is reported with the naming rule (the record's own message only when
        // `environments` is not a mapping at all).
        error: (issue) =>
          issue.code === "invalid_key"
            ? `${ENV_NAME_RULE}; rename it`
            : issue.code === "invalid_type"
              ? "environments must map names to environment settings, e.g. environments: { prod: { primary: … } }"
              : undefined,
      })
      .refine((envs) => Object.keys(envs).length > 0, {
        error: "declare at least one environment under environments:",
      }),
  })
  .strict();

/** A validated configuration. Durations are milliseconds. */
export type Config = z.infer<typeof configSchema>;
/** One validated environment. */
export type EnvironmentConfig = Config["environments"][string];
/** The raw form accepted from files. */
export type ConfigInput = z.input<typeof configSchema>;

/**
 * Rules across fields, checked on the raw input so that they are reported together with the
 * schema's own problems (a schema refinement would only run once everything else is valid).
 */
export function crossFieldProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const envs = (raw as { environments?: unknown } | null)?.environments;
  if (typeof envs !== "object" || envs === null) return problems;
  for (const [name, env] of Object.entries(envs as Record<string, unknown>)) {
    const e = env as {
      primary?: { region?: unknown };
      dr?: { region?: unknown };
      decision?: { waitBelow?: unknown; prepareBelow?: unknown };
    } | null;
    const primary = e?.primary?.region;
    if (typeof primary === "string" && primary === e?.dr?.region) {
      problems.push(`environments.${name}.dr.region: the DR region must differ from the primary region (${primary})`);
    }
    const wait = typeof e?.decision?.waitBelow === "string" ? parseDuration(e.decision.waitBelow) : undefined;
    const prepare = typeof e?.decision?.prepareBelow === "string" ? parseDuration(e.decision.prepareBelow) : undefined;
    if (wait !== undefined && prepare !== undefined && wait > prepare) {
      problems.push(`environments.${name}.decision.waitBelow: must not exceed decision.prepareBelow`);
    }
  }
  return problems;
}

function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function isValidCron(expr: string): boolean {
  // node-cron accepts 5 or 6 fields; pilotlight documents 5 and rejects anything it cannot parse.
  return expr.trim().split(/\s+/).length === 5 && validateCron(expr);
}
