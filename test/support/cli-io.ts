import type { CliIo } from "../../automation/cli/context";

/** What a CLI invocation wrote, filled as it writes. */
export interface Written {
  stdout: string;
  stderr: string;
}

/**
 * The I/O of an in-process CLI run that records stdout and stderr: not a TTY, a signal that
 * never aborts unless given, the opener of the test's choice.
 */
export function capturingIo(o: {
  cwd: string;
  openPilotlight: CliIo["openPilotlight"];
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}): { io: CliIo; written: Written } {
  const written: Written = { stdout: "", stderr: "" };
  const io: CliIo = {
    stdout: { write: (t) => void (written.stdout += t) },
    stderr: { write: (t) => void (written.stderr += t) },
    isTTY: false,
    env: o.env ?? {},
    cwd: o.cwd,
    signal: o.signal ?? new AbortController().signal,
    openPilotlight: o.openPilotlight,
  };
  return { io, written };
}
