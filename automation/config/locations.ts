import { isAbsolute, resolve } from "node:path";
import { redactUrl } from "../domain/redact";
import type { Config } from "./schema";

/**
 * Where pilotlight keeps its state, resolved: the folders and URLs a run actually uses. Shown by
 * `status` and in reports, so that nobody has to guess which store or state backend was used.
 * Store URLs are redacted (no user password, no secret query parameters).
 */
export interface Locations {
  /** The configuration file read; absent when the configuration came from an object or the sandbox default. */
  configFile?: string;
  /** The folder the configuration's relative paths resolve against (the file's folder). */
  baseDir: string;
  /** The run store: `pglite:///abs/folder`, `memory://` or a redacted `postgres://` URL. */
  store: string;
  /** The Pulumi state backend: `file:///abs/folder` or the `s3://…` URL. */
  stateBackend: string;
  /** The folder reports are written to. */
  reportsDir: string;
  /** The folder holding `Pulumi.yaml`. */
  projectDir: string;
}

const PGLITE = "pglite://";
const FILE = "file://";

/** A `pglite://<folder>` store URL with its folder made absolute against `baseDir`; others unchanged. */
export function resolveStoreUrl(url: string, baseDir: string): string {
  if (!url.startsWith(PGLITE)) return url;
  return `${PGLITE}${resolve(baseDir, url.slice(PGLITE.length))}`;
}

/** A `file://<folder>` state backend with its folder made absolute against `baseDir`; others unchanged. */
export function resolveStateBackend(url: string, baseDir: string): string {
  if (!url.startsWith(FILE)) return url;
  return `${FILE}${resolve(baseDir, url.slice(FILE.length))}`;
}

/** A folder made absolute against `baseDir` (an absolute one is kept). */
export function resolveFolder(path: string, baseDir: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** The locations a configuration names, resolved against `baseDir`. Pure: creates nothing. */
export function resolveLocations(config: Config, baseDir: string, configFile?: string): Locations {
  return {
    ...(configFile === undefined ? {} : { configFile }),
    baseDir,
    store: redactUrl(resolveStoreUrl(config.store.url, baseDir)),
    stateBackend: redactUrl(resolveStateBackend(config.stateBackend, baseDir)),
    reportsDir: resolveFolder(config.reportsDir, baseDir),
    projectDir: resolveFolder(config.projectDir, baseDir),
  };
}

/**
 * The locations a library instance uses: those of its configuration, except the store when the
 * host handed an open one in (the configuration's URL was then not used, and saying so beats
 * naming a store nobody opened).
 */
export function describeLocations(
  config: Config,
  baseDir: string,
  configFile: string | undefined,
  hostStore: boolean,
): Locations {
  const resolved = resolveLocations(config, baseDir, configFile);
  return hostStore ? { ...resolved, store: HOST_STORE } : resolved;
}

/** What {@link Locations.store} says when the embedding host passed an open store. */
export const HOST_STORE = "(an open store passed by the host)";
