import type { Argv } from "yargs";
import { secretsOfEnv, secretsOfUrl } from "../domain/redact";
import type { OpenedPilotlight, OpenOptions } from "../targets/open";
import type { DatabaseValidation } from "../ports/validator";
import type { Output, Renderer } from "./render";

/** What the CLI needs from its host process; injected so that tests run it in-process. */
export interface CliIo {
  stdout: Output;
  stderr: Output;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  /** Answers a yes/no question on a TTY. */
  confirm?: (question: string) => Promise<boolean>;
  /** Opens the library: the composition root (`drills/main.ts`) passes the one with the drills kit. */
  openPilotlight: (options: OpenOptions) => Promise<OpenedPilotlight>;
  /** Validation of databases named by URL (`validate`, `manifest record --database`), from the composition root. */
  validation?: DatabaseValidation;
}

/** Options every command accepts. */
export interface GlobalArgs {
  config?: string;
  sandbox?: boolean;
  json?: boolean;
  debug?: boolean;
  env?: string;
}

/** Per-invocation state shared by the command modules. */
export interface CliContext {
  io: CliIo;
  /** Secret values the CLI's output is scrubbed of; commands add the configuration's own. */
  secrets: string[];
  renderer(args: GlobalArgs): Renderer;
  /** Sets the process's exit code. */
  setExit(code: number): void;
  /** The invocation, for a sandbox world's lock (`pilotlight failover --sandbox`). */
  command: string;
}

/** Opens the library for one command, rendering its events; always closes it. */
export async function withLibrary<T>(
  ctx: CliContext,
  args: GlobalArgs,
  fn: (lib: OpenedPilotlight, r: Renderer) => Promise<T>,
): Promise<T> {
  const renderer = ctx.renderer(args);
  const lib = await ctx.io.openPilotlight({
    sandbox: args.sandbox === true,
    ...(args.config === undefined ? {} : { configFile: args.config }),
    cwd: ctx.io.cwd,
    env: ctx.io.env,
    command: ctx.command,
    onEvent: renderer.event,
  });
  // The configuration names the webhook variable and may hold a store URL with a password.
  const webhookEnv = lib.config.notifications.webhookUrlEnv;
  ctx.secrets.push(
    ...secretsOfEnv(ctx.io.env, webhookEnv === undefined ? [] : [webhookEnv]),
    ...secretsOfUrl(lib.config.store.url),
  );
  try {
    return await fn(lib, renderer);
  } finally {
    await lib.close();
  }
}

/** A yargs command module whose handler only turns argv into a library call. */
export interface CommandModule {
  command: string | string[];
  describe: string;
  builder: (y: Argv<GlobalArgs>) => Argv<GlobalArgs>;
  handler: (ctx: CliContext, args: GlobalArgs & Record<string, unknown>) => Promise<void>;
  /** Sub-commands (`runs list`, `runs show ID`); the parent's handler is then never called. */
  subcommands?: readonly CommandModule[];
}
