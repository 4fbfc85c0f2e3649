import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { isPilotlightError, PilotlightError } from "../domain/errors";
import { resolveFolder, resolveStateBackend, resolveStoreUrl } from "./locations";
import { configSchema, crossFieldProblems, type Config } from "./schema";

/** Default file name looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = "pilotlight.yaml";

/** Environment variables that override the file (documented in docs/configuration.md). */
export const CONFIG_ENV = {
  file: "PILOTLIGHT_CONFIG",
  storeUrl: "PILOTLIGHT_STORE_URL",
  stateBackend: "PILOTLIGHT_STATE_BACKEND",
  reportsDir: "PILOTLIGHT_REPORTS_DIR",
} as const;

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  config: Config;
  /** The file read, if any. */
  file?: string;
  /** Folder relative paths in the config are resolved against. */
  baseDir: string;
}

/** Keys earlier versions accepted and nothing read: named with where the fact comes from now. */
const RETIRED: Record<string, string> = {
  clusterId: "the serving cluster's identifier comes from the primary stack's outputs",
  healthUrl: "the workload's health URL comes from the stacks' outputs",
  backupRoleArn: "restores run through the Pulumi programs, which create their own roles",
};

/**
 * Validates a raw configuration object. Every problem is reported at once, each naming the
 * field and the fix, in one `config.invalid` error; nothing else happens.
 */
export function validateConfig(raw: unknown, source = "configuration"): Config {
  const result = configSchema.safeParse(raw);
  const cross = crossFieldProblems(raw);
  if (result.success && cross.length === 0) return result.data;
  const issues = result.success ? [] : result.error.issues;
  const problems = issues.flatMap((issue) => {
    const field = issue.path.length > 0 ? fieldPath(issue.path) : "(top level)";
    if (issue.code !== "unrecognized_keys") return [`${field}: ${issue.message}`];
    const retired = issue.keys.filter((k) => RETIRED[k] !== undefined);
    const unknown = issue.keys.filter((k) => RETIRED[k] === undefined);
    return [
      ...retired.map((k) => `${field}: "${k}" is no longer read (${RETIRED[k]}); delete it`),
      ...(unknown.length === 0
        ? []
        : [`${field}: unknown key(s) ${unknown.map((k) => `"${k}"`).join(", ")}; remove them or check their spelling`]),
    ];
  });
  problems.push(...cross);
  throw new PilotlightError(
    "config.invalid",
    `${source} has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n  - ${problems.join("\n  - ")}`,
    {
      source: "user",
      hint: "fix the fields above; docs/configuration.md lists every key",
      details: { problems },
    },
  );
}

/**
 * A field's path as a reader finds it in the file: `environments.prod.dr.region`; a key that is
 * not a plain name is quoted, so a hostile one (spaces, newlines, `;`) cannot pose as text.
 */
function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => {
      const k = String(key);
      if (typeof key === "number") return `[${k}]`;
      if (/^[A-Za-z0-9_-]+$/.test(k)) return i === 0 ? k : `.${k}`;
      return `[${JSON.stringify(k)}]`;
    })
    .join("");
}

/** Files larger than this are refused unread: a configuration is a few kilobytes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads a configuration file, refusing at once (before parsing) anything that is not a regular
 * file or is larger than {@link MAX_CONFIG_BYTES}: a mistaken path must not cost minutes of YAML
 * parsing and a gigabyte of memory.
 */
function readConfigFile(file: string): string {
  const stat = statSync(file);
  if (!stat.isFile()) {
    throw new PilotlightError("config.invalid", `${file} is not a regular file`, {
      source: "user",
      hint: "name a pilotlight.yaml file with --config or $PILOTLIGHT_CONFIG",
    });
  }
  if (stat.size > MAX_CONFIG_BYTES) {
    const message = `${file} is ${stat.size} bytes; a configuration over 1 MiB is refused unread`;
    throw new PilotlightError("config.invalid", message, {
      source: "user",
      hint: "check that --config names your pilotlight.yaml (a configuration is a few kilobytes)",
      details: { bytes: stat.size, maxBytes: MAX_CONFIG_BYTES },
    });
  }
  return readFileSync(file, "utf8");
}

/**
 * Loads the configuration: the file named by `file`, else `$PILOTLIGHT_CONFIG`, else
 * `pilotlight.yaml` in `cwd`; then the environment's overrides; then validation.
 * Returns `undefined` when no file was named and none exists.
 */
export function loadConfig(
  opts: { file?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): LoadedConfig | undefined {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const named = opts.file ?? env[CONFIG_ENV.file];
  const file = resolve(cwd, named ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(file)) {
    if (named === undefined) return undefined;
    throw new PilotlightError("config.not-found", `configuration file ${file} does not exist`, {
      source: "user",
      hint: `create it (see docs/configuration.md) or pass --sandbox to rehearse on the simulated region pair`,
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(readConfigFile(file));
  } catch (error) {
    if (isPilotlightError(error)) throw error;
    const where =
      error instanceof YAMLParseError && error.linePos !== undefined ? ` at line ${error.linePos[0].line}` : "";
    throw new PilotlightError(
      "config.invalid",
      `${file} is not valid YAML${where}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
      {
        source: "user",
        hint: "fix the syntax; JSON is valid YAML too",
      },
    );
  }
  // The file's relative paths resolve against its folder; the overrides' against the cwd.
  return { config: applyEnvOverrides(validateConfig(raw ?? {}, file), env, cwd), file, baseDir: dirname(file) };
}

/**
 * Applies the documented environment overrides to a validated configuration. Each override is
 * checked with its field's own rule and replaces that field only: nothing else of the file is
 * touched (a partial schema would fill the other fields' defaults over the file's values).
 * A relative folder in an override is made absolute against `cwd`: it was typed in a shell,
 * not written next to the file.
 */
export function applyEnvOverrides(config: Config, env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const fields = configSchema.shape;
  const problems: string[] = [];
  const check = <T>(name: string, field: string, schema: z.ZodType<T>, value: string): T | undefined => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    problems.push(...parsed.error.issues.map((i) => `${field} (from the environment, ${name}): ${i.message}`));
    return undefined;
  };
  let out: Config = config;
  const storeUrl = env[CONFIG_ENV.storeUrl];
  if (storeUrl) {
    const url = check(CONFIG_ENV.storeUrl, "store.url", fields.store.unwrap().shape.url.unwrap(), storeUrl);
    if (url !== undefined) out = { ...out, store: { ...out.store, url: resolveStoreUrl(url, cwd) } };
  }
  const backend = env[CONFIG_ENV.stateBackend];
  if (backend) {
    const stateBackend = check(CONFIG_ENV.stateBackend, "stateBackend", fields.stateBackend.unwrap(), backend);
    if (stateBackend !== undefined) out = { ...out, stateBackend: resolveStateBackend(stateBackend, cwd) };
  }
  const reports = env[CONFIG_ENV.reportsDir];
  if (reports) {
    const reportsDir = check(CONFIG_ENV.reportsDir, "reportsDir", fields.reportsDir.unwrap(), reports);
    if (reportsDir !== undefined) out = { ...out, reportsDir: resolveFolder(reportsDir, cwd) };
  }
  if (problems.length > 0) {
    throw new PilotlightError(
      "config.invalid",
      `environment overrides have problems:\n  - ${problems.join("\n  - ")}`,
      {
        source: "user",
        hint: "fix or unset the environment variables named above",
        details: { problems },
      },
    );
  }
  return out;
}
