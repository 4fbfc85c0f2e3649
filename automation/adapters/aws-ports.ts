import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Config } from "../config/schema";
import { PilotlightError } from "../domain/errors";
import type { Clock } from "../ports/clock";
import type { Reports } from "../ports/reports";
import type { RunbookPorts } from "../runbooks/ports";

/** Options of {@link createAwsPorts}. */
export interface AwsPortsOptions {
  config: Config;
  baseDir: string;
  clock: Clock;
  reports: Reports;
  env: NodeJS.ProcessEnv;
}

/** Finds the `pulumi` CLI, or fails with what to install. */
export async function requirePulumiCli(env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)("pulumi", ["version"], { env, timeout: 15_000 });
    return stdout.trim();
  } catch (error) {
    throw new PilotlightError("pulumi.cli-missing", "the pulumi CLI is not installed (or not on PATH): pilotlight drives your stacks through it", {
      source: "user",
      hint: "install it (https://www.pulumi.com/docs/install/), check `pulumi version`, then retry; or rehearse with --sandbox",
      cause: error,
    });
  }
}

/**
 * The real ports: Pulumi through the Automation API, AWS through the SDK's default credential
 * chain. Prerequisites are checked first so that a missing CLI or missing credentials fail fast
 * with what to do, before anything is looked at or changed.
 */
export async function createAwsPorts(o: AwsPortsOptions): Promise<RunbookPorts> {
  await requirePulumiCli(o.env);
  throw new PilotlightError("runbook.not-built", "the real AWS adapters are not wired in this version of pilotlight", {
    source: "system",
    hint: "rehearse with --sandbox; nothing was changed",
  });
}
