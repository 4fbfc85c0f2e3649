#!/usr/bin/env node
/**
 * The `pilotlight` executable: wires the process (argv, streams, signals, TTY) and the library with
 * the drills kit (the composition root, {@link createPilotlight} of `./index`) to {@link runCli}.
 * First SIGINT/SIGTERM: abort the run (cleanup steps still run, state is persisted). Second:
 * leave at once; the run can be resumed.
 */
import { createInterface } from "node:readline/promises";
import { EXIT } from "../automation/cli/exit-codes";
import { runCli } from "../automation/cli/run-cli";
import { redactText, secretsOfEnv } from "../automation/domain/redact";
import { openPilotlight } from "./index";
import { databaseValidation } from "./validation/by-url";

const controller = new AbortController();
let signals = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    signals += 1;
    if (signals === 1) {
      process.stderr.write(
        `\n${sig}: stopping after cleanup; press Ctrl-C again to leave now (the run stays resumable)\n`,
      );
      controller.abort(new Error(sig));
    } else {
      process.exit(EXIT.interrupted);
    }
  });
}

const isTTY = process.stdout.isTTY === true && process.stdin.isTTY === true;

runCli(process.argv.slice(2), {
  stdout: { write: (t) => void process.stdout.write(t) },
  stderr: { write: (t) => void process.stderr.write(t) },
  isTTY,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
  openPilotlight,
  validation: databaseValidation,
  confirm: isTTY
    ? async (question) => {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        try {
          return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
        } finally {
          rl.close();
        }
      }
    : undefined,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // The last resort: still no secret of the environment (or in a URL) in what it prints.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error [internal]: ${redactText(message, secretsOfEnv(process.env))}\n`);
    process.exitCode = EXIT.system;
  },
);
