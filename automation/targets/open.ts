import { resolve } from "node:path";
import { FileReports } from "../adapters/file-reports";
import { SystemClock } from "../adapters/system-clock";
import { loadConfig, validateConfig } from "../config/load";
import { resolveLocations } from "../config/locations";
import { redactUrl } from "../domain/redact";
import { SANDBOX_CONFIG } from "../config/sandbox-default";
import type { Config } from "../config/schema";
import type { DrillKit } from "../drill-kit";
import { PilotlightError } from "../domain/errors";
import type { EventSink } from "../domain/events";
import { createPilotlight, type Pilotlight, type TargetInfo } from "../library";
import type { RunStore } from "../ports/run-store";
import type { AnyRunbook } from "../runbooks/runbook";
import { openRunStore } from "../store/open-store";
import type { SandboxTarget, SandboxTargetOptions } from "../sandbox/target";

/** Where the sandbox world lives, relative to the project (or the config file's folder). */
export const SANDBOX_FOLDER = ".pilotlight/sandbox/world";

/** Options of {@link openPilotlight}. */
export interface OpenOptions {
  /** Act on the simulated region pair (always asked for by name) instead of AWS. */
  sandbox: boolean;
  configFile?: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** What this process is (for the sandbox world's lock). */
  command: string;
  onEvent?: EventSink;
  kit?: DrillKit;
  runbooks?: AnyRunbook[];
  /** An open run store to use (embedding, tests); the library then neither opens nor closes one. */
  store?: RunStore;
  /** Sandbox only: the world's folder, and options for a new world. */
  world?: Partial<Omit<SandboxTargetOptions, "envName" | "environment" | "reports" | "command">>;
}

/** The library with what was opened for it: the sandbox world when the target is the sandbox. */
export type OpenedPilotlight = Pilotlight & { readonly sandbox?: SandboxTarget; readonly baseDir: string };

/**
 * The composition root's one way to open pilotlight: loads and validates the configuration,
 * opens the run store and the target (real AWS, or the sandbox world in its folder), and hands
 * them to the library, which knows neither. `close()` releases them.
 */
export async function openPilotlight(o: OpenOptions): Promise<OpenedPilotlight> {
  const { config, baseDir, file } = configOf(o);
  if (!o.sandbox) {
    const store = o.store ?? (await openRunStore(config.store.url, baseDir));
    const clock = new SystemClock();
    const reports = new FileReports(resolve(baseDir, config.reportsDir));
    const target: TargetInfo = { kind: "real", id: "real", simulated: false };
    const lib = createPilotlight({
      config,
      target,
      clock,
      store,
      ...(o.kit === undefined ? {} : { kit: o.kit }),
      ...(o.runbooks === undefined ? {} : { runbooks: o.runbooks }),
      ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
      // Loaded only for real runs: the AWS SDK clients and the Automation API are heavy.
      ports: async (envName) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { createAwsPorts } = require("../adapters/aws-ports") as typeof import("../adapters/aws-ports");
        return createAwsPorts({ config, baseDir, clock, reports, env: o.env, envName });
      },
      onClose: async () => {
        if (o.store === undefined) await store.close();
      },
      locations: resolveLocations(config, baseDir, file),
    });
    return Object.assign(lib, { baseDir });
  }
  // The sandbox: one world in a folder, for one environment of the configuration.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SandboxTarget } = require("../sandbox/target") as typeof import("../sandbox/target");
  const names = Object.keys(config.environments);
  const envName = names[0]!;
  const environment = config.environments[envName]!;
  const folder = resolve(baseDir, o.world?.folder ?? SANDBOX_FOLDER);
  const world = await SandboxTarget.open({
    ...(o.world ?? {}),
    folder,
    envName,
    environment,
    reports: new FileReports(SandboxTarget.reportsDir(folder)),
    command: o.command,
    ...(config.notifications.snsTopicArn === undefined ? {} : { snsTopicArn: config.notifications.snsTopicArn }),
  });
  let store: RunStore;
  const shared = o.env["PILOTLIGHT_STORE_URL"];
  const storeUrl = shared !== undefined && shared !== "" ? shared : SandboxTarget.storeUrl(folder);
  try {
    // Runs of a world live with it (a reset takes them) unless a shared store is named; runs in
    // a shared store are scoped by the world's id either way.
    store = o.store ?? (await openRunStore(storeUrl, baseDir));
  } catch (error) {
    await world.close();
    throw error;
  }
  const target: TargetInfo = { kind: "sandbox", id: `sandbox:${world.worldId}`, simulated: true };
  const lib = createPilotlight({
    config: { ...config, reportsDir: SandboxTarget.reportsDir(folder) },
    target,
    clock: world.clock,
    store,
    ports: () => world.ports,
    ...(o.kit === undefined ? {} : { kit: o.kit }),
    ...(o.runbooks === undefined ? {} : { runbooks: o.runbooks }),
    ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
    onClose: async () => {
      if (o.store === undefined) await store.close();
      await world.close();
    },
    locations: {
      ...resolveLocations({ ...config, reportsDir: SandboxTarget.reportsDir(folder) }, baseDir, file),
      store: redactUrl(storeUrl),
      stateBackend: `sandbox world ${folder}`,
    },
  });
  return Object.assign(lib, { sandbox: world, baseDir });
}

export function configOf(o: Pick<OpenOptions, "sandbox" | "configFile" | "cwd" | "env">): {
  config: Config;
  baseDir: string;
  file?: string;
} {
  const named = o.configFile !== undefined || o.env["PILOTLIGHT_CONFIG"] !== undefined;
  if (o.sandbox && !named)
    return { config: validateConfig(SANDBOX_CONFIG, "the sandbox's default configuration"), baseDir: o.cwd };
  const loaded = loadConfig({ ...(o.configFile === undefined ? {} : { file: o.configFile }), cwd: o.cwd, env: o.env });
  if (loaded === undefined) {
    throw new PilotlightError(
      "config.not-found",
      `no configuration: ${resolve(o.cwd, "pilotlight.yaml")} does not exist`,
      {
        source: "user",
        hint: "write pilotlight.yaml (see docs/configuration.md), name one with --config, or rehearse with --sandbox",
      },
    );
  }
  if (o.sandbox && Object.keys(loaded.config.environments).length !== 1) {
    throw new PilotlightError(
      "config.invalid",
      `the sandbox simulates one environment; ${loaded.file ?? "the configuration"} declares ${Object.keys(loaded.config.environments).join(", ")}`,
      {
        source: "user",
        hint: "give the sandbox a configuration with one environment, or use its default (no --config)",
      },
    );
  }
  return {
    config: loaded.config,
    baseDir: loaded.baseDir,
    ...(loaded.file === undefined ? {} : { file: loaded.file }),
  };
}
