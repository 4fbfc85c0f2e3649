import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, readStackConfig, type RawStackConfig } from "./config";
import { DrEnvironment } from "./dr";
import { PrimaryEnvironment } from "./primary";
import type { WorkloadFactory } from "./workload";

/** Options of {@link runProgram}: config and workload can be injected (tests, embedding). */
export interface ProgramOptions {
  config?: RawStackConfig;
  stack?: string;
  workload?: WorkloadFactory;
  /** Options of the top component (tests pass a transformation that records child options). */
  componentOptions?: pulumi.ComponentResourceOptions;
}

/**
 * The Pulumi program of both roles. Resources are created only inside this function, so that
 * tests install runtime mocks first. Config is validated before any resource is registered.
 */
export function runProgram(opts: ProgramOptions = {}): Record<string, unknown> {
  const stack = opts.stack ?? pulumi.getStack();
  const settings = parseStackConfig(opts.config ?? readStackConfig(), stack);
  const workload = {
    ...(opts.componentOptions ?? {}),
    ...(opts.workload === undefined ? {} : { workload: opts.workload }),
  };
  if (settings.role === "primary") {
    return { ...new PrimaryEnvironment(`pilotlight-${settings.environment}`, settings, workload).outputs };
  }
  const name = settings.mode === "drill" ? `pilotlight-drill` : `pilotlight-${settings.environment}-dr`;
  return { ...new DrEnvironment(name, settings, workload).outputs };
}
