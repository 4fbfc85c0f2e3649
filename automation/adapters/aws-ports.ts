import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { resolveStateBackend } from "../config/locations";
import type { Config } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { Clock } from "../ports/clock";
import type { Reports } from "../ports/reports";
import type { Notifier } from "../ports/notifier";
import type { EnvironmentPorts } from "../ports/runbook-ports";
import { AwsBackups } from "./aws-backups";
import { AwsDatabases } from "./aws-databases";
import { AwsKeys } from "./aws-keys";
import { toAwsError } from "./aws-errors";
import { DataApiAccess } from "./data-api-sql";
import { AwsDoctorProbes } from "./doctor-probes";
import { HttpHealth } from "./http-health";
import { FanOutNotifier, SnsNotifier, WebhookNotifier } from "./notifiers";
import { isHolderDeadOnThisHost } from "./process-liveness";
import { PulumiStacks } from "./pulumi-stacks";
import { AwsTraffic } from "./aws-traffic";

/** Options of {@link createAwsPorts}. */
export interface AwsPortsOptions {
  config: Config;
  baseDir: string;
  clock: Clock;
  reports: Reports;
  env: NodeJS.ProcessEnv;
  /** The environment the ports act on (adoption after a crash checks its tags). */
  envName: string;
}

/** Finds the `pulumi` CLI, or fails with what to install. */
export async function requirePulumiCli(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)("pulumi", ["version"], { env, timeout: 15_000 });
    return stdout.trim();
  } catch (error) {
    throw new PilotlightError(
      "pulumi.cli-missing",
      "the pulumi CLI is not installed (or not on PATH): pilotlight drives your stacks through it",
      {
        source: "user",
        hint: "install it (https://www.pulumi.com/docs/install/), check `pulumi version`, then retry; or rehearse with --sandbox",
        cause: error,
      },
    );
  }
}

/** Resolves AWS credentials from the default chain, or fails with what to configure. */
export async function requireAwsCredentials(): Promise<void> {
  try {
    await defaultProvider({ timeout: 2_000, maxRetries: 1 })();
  } catch (error) {
    const e = toAwsError(
      Object.assign(error instanceof Error ? error : new Error(String(error)), { name: "CredentialsProviderError" }),
      "resolving AWS credentials",
    );
    throw e;
  }
}

/** A self-managed backend URL with relative `file://` paths made absolute (and created). */
export function resolveBackendUrl(url: string, baseDir: string): string {
  const resolved = resolveStateBackend(url, baseDir);
  if (resolved.startsWith("file://")) mkdirSync(resolved.slice("file://".length), { recursive: true });
  return resolved;
}

/**
 * The real ports: Pulumi through the Automation API, AWS through the SDK's default credential
 * chain. Prerequisites are checked first so that a missing CLI or missing credentials fail fast
 * with what to do, before anything is looked at or changed.
 */
export async function createAwsPorts(o: AwsPortsOptions): Promise<EnvironmentPorts> {
  await requirePulumiCli(o.env);
  await requireAwsCredentials();
  const databases = new AwsDatabases(o.clock);
  const stacks = new PulumiStacks({
    workDir: resolve(o.baseDir, o.config.projectDir),
    backendUrl: resolveBackendUrl(o.config.stateBackend, o.baseDir),
    secretsProvider: o.config.secretsProvider,
    clock: o.clock,
    env: o.env,
    isProcessDead: (host, pid) => isHolderDeadOnThisHost({ host, pid, instance: "" }, hostname()),
    // Only pilotlight's own cluster of this environment is adopted after a crashed update.
    isAdoptable: async (type, id, region) => {
      if (type !== "aws:rds/cluster:Cluster" || region === undefined)
        return type === "aws:rds/clusterInstance:ClusterInstance";
      const c = await databases.describeCluster({ region, id });
      return c !== undefined && c.tags["managed-by"] === "pilotlight" && c.tags["pilotlight:environment"] === o.envName;
    },
  });
  const targets: Notifier[] = [];
  if (o.config.notifications.snsTopicArn !== undefined)
    targets.push(new SnsNotifier(o.config.notifications.snsTopicArn));
  const hook =
    o.config.notifications.webhookUrlEnv === undefined ? undefined : o.env[o.config.notifications.webhookUrlEnv];
  if (hook !== undefined && hook !== "") targets.push(new WebhookNotifier(hook));
  return {
    clock: o.clock,
    stacks,
    backups: new AwsBackups(),
    databases,
    keys: new AwsKeys(),
    traffic: new AwsTraffic(),
    health: new HttpHealth(o.clock),
    sqlAccess: new DataApiAccess(),
    notifier: new FanOutNotifier(targets),
    probes: new AwsDoctorProbes(),
    reports: o.reports,
  };
}
