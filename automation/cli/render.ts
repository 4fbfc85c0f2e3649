import { isPilotlightError } from "../domain/errors";
import type { PilotEvent } from "../domain/events";
import { formatDuration } from "../domain/objectives";
import type { Run } from "../domain/run";

/** Where the CLI writes; injected so that tests capture it. */
export interface Output {
  write(text: string): void;
}

/** How the CLI renders: machine JSON, a live TTY view, or plain lines for logs. */
export type RenderMode = "json" | "tty" | "plain";

const LEVEL_MARK: Record<PilotEvent["level"], string> = { debug: "·", info: "•", warn: "!", error: "✗" };

/**
 * Renders the event stream and results. In `json` mode events go to stderr as JSON lines and the
 * result is one JSON document on stdout; in `tty` mode progress lines are rewritten in place; in
 * `plain` mode every event is one timestamped line.
 */
export class Renderer {
  private liveLine = false;

  constructor(
    readonly mode: RenderMode,
    private readonly out: Output,
    private readonly err: Output,
  ) {}

  /** Renders one event. */
  event = (e: PilotEvent): void => {
    if (e.level === "debug") return;
    if (this.mode === "json") {
      this.err.write(JSON.stringify({ type: "event", ...e }) + "\n");
      return;
    }
    const where = e.stepId === undefined ? "" : `[${e.stepId}] `;
    if (this.mode === "tty") {
      const line = `${LEVEL_MARK[e.level]} ${where}${e.message}`;
      if (e.code === "step.progress") {
        this.err.write(`\r\x1b[2K${line}`);
        this.liveLine = true;
        return;
      }
      this.endLive();
      this.err.write(line + "\n");
      return;
    }
    this.err.write(`${new Date(e.time).toISOString()} ${e.level.padEnd(5)} ${e.code} ${where}${e.message}\n`);
  };

  /** Writes a result: JSON as is, or human text. */
  result(json: unknown, human: string): void {
    this.endLive();
    if (this.mode === "json") this.out.write(JSON.stringify(json, null, 2) + "\n");
    else this.out.write(human.endsWith("\n") ? human : human + "\n");
  }

  /** Writes an error without a stack trace (unless `debug`), with its hint. */
  error(error: unknown, debug: boolean): void {
    this.endLive();
    if (this.mode === "json") {
      const body = isPilotlightError(error)
        ? {
            type: "error",
            code: error.code,
            source: error.source,
            message: error.message,
            hint: error.hint,
            details: error.details,
          }
        : {
            type: "error",
            code: "internal",
            source: "system",
            message: error instanceof Error ? error.message : String(error),
          };
      this.out.write(JSON.stringify(body, null, 2) + "\n");
      return;
    }
    if (isPilotlightError(error)) {
      this.err.write(`error [${error.code}]: ${error.message}\n`);
      if (error.hint !== undefined) this.err.write(`  → ${error.hint}\n`);
    } else {
      this.err.write(`error [internal]: ${error instanceof Error ? error.message : String(error)}\n`);
      this.err.write("  → this is a bug in pilotlight; rerun with --debug and report it\n");
    }
    if (debug && error instanceof Error && error.stack !== undefined) this.err.write(error.stack + "\n");
  }

  private endLive(): void {
    if (this.liveLine) {
      this.err.write("\n");
      this.liveLine = false;
    }
  }
}

/** A human summary of a run: phase, timing, steps. */
export function describeRun(run: Run): string {
  const lines = [`run ${run.id}  ${run.kind}  ${run.phase}`];
  if (run.startedAt !== undefined) {
    const end = run.endedAt ?? run.updatedAt;
    lines.push(
      `  started ${new Date(run.startedAt).toISOString()}, ${run.endedAt === undefined ? "last update" : "ended"} after ${formatDuration(end - run.startedAt)}`,
    );
  }
  for (const s of run.steps) {
    const took =
      s.startedAt !== undefined && s.endedAt !== undefined ? ` ${formatDuration(s.endedAt - s.startedAt)}` : "";
    const ext = s.external === undefined ? "" : `  (${s.external.kind} ${s.external.id})`;
    lines.push(`  ${s.state.padEnd(11)} ${s.id}${took}${ext}`);
    if (s.error !== undefined) lines.push(`              ${s.error.code}: ${s.error.message}`);
  }
  const m = Object.entries(run.measurements);
  if (m.length > 0) lines.push(`  measurements: ${m.map(([k, v]) => `${k}=${formatDuration(v)}`).join(", ")}`);
  if (run.phase !== "Completed" && run.phase !== "New") lines.push(`  resume with: pilotlight resume ${run.id}`);
  return lines.join("\n");
}
