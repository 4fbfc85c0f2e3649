import { redactText, secretsOfEnv } from "../domain/redact";
import type { CliContext, CliIo, GlobalArgs } from "./context";
import { EXIT, exitCodeOfError } from "./exit-codes";
import { buildParser } from "./parser";
import { Renderer } from "./render";

/**
 * Runs the CLI on `args` and resolves with the exit code. Never throws, never exits: `main.ts`
 * owns the process. No stack trace reaches the user for an expected error.
 */
export async function runCli(args: readonly string[], rawIo: CliIo): Promise<number> {
  // Everything the CLI writes passes one redaction: URLs lose their passwords and secret
  // parameters, and the environment's secret values (passphrase, AWS keys, webhook URL, a store
  // URL's password) never reach a terminal or a log, stack traces included.
  const secrets = secretsOfEnv(rawIo.env);
  const redacting = (out: CliIo["stdout"]): CliIo["stdout"] => ({
    write: (text) => out.write(redactText(text, secrets)),
  });
  const io: CliIo = { ...rawIo, stdout: redacting(rawIo.stdout), stderr: redacting(rawIo.stderr) };
  let exit: number = EXIT.ok;
  let renderer: Renderer | undefined;
  const ctx: CliContext = {
    io,
    secrets,
    renderer: (a: GlobalArgs) =>
      (renderer ??= new Renderer(a.json === true ? "json" : io.isTTY ? "tty" : "plain", io.stdout, io.stderr)),
    setExit: (code) => {
      exit = code;
    },
    command: ["pilotlight", ...args.filter((a) => !a.startsWith("-")).slice(0, 2)].join(" "),
  };
  const json = args.includes("--json");
  const debug = args.includes("--debug");
  let usageError: Error | undefined;
  let output = "";
  try {
    await buildParser(ctx).parseAsync([...args], {}, (err: Error | undefined, _argv: unknown, out: string) => {
      usageError = err ?? undefined;
      output = out;
    });
  } catch (error) {
    // Thrown by a command handler (yargs also reports it to the callback: it is not a usage error).
    (renderer ?? new Renderer(json ? "json" : io.isTTY ? "tty" : "plain", io.stdout, io.stderr)).error(error, debug);
    return exitCodeOfError(error);
  }
  if (usageError !== undefined) {
    io.stderr.write(output.length > 0 ? `${output}\n` : `${usageError.message}\n`);
    return EXIT.usage;
  }
  if (output.length > 0) io.stdout.write(`${output}\n`);
  return exit;
}
