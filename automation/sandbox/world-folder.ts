import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { PilotlightError } from "../domain/errors";
import type { WorldState } from "./world-state";

/** One write applied to a cluster: replayed by point-in-time restores, counted by `inspect`. */
export interface JournalEntry {
  at: number;
  sql: string;
  params: unknown[];
  /** Who wrote: the simulated application, pilotlight's probe, or pilotlight itself. */
  by: "app" | "probe" | "pilotlight";
}

/** Who holds a world folder. */
export interface WorldLock {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/**
 * The folder a simulated world lives in:
 * `world.json` (the state, replaced atomically), `lock` (the process acting on it),
 * `clusters/<uid>/` (each cluster's PostgreSQL data directory), `data/<file>` (tarballs of
 * recovery points and snapshots), `journal/<uid>.jsonl` (each cluster's writes, appended).
 * Runs and reports of the world live beside them (`runs/`, `reports/`), so a reset takes them too.
 */
export class WorldFolder {
  constructor(readonly dir: string) {}

  /** Whether a world was created here. */
  exists(): boolean {
    return existsSync(this.stateFile());
  }

  /**
   * Takes the folder for this process. A live process of this host holding it is a refusal
   * (`sandbox.busy`); a dead one's lock is taken over — the successor of a killed process acts
   * on the world it left.
   */
  lock(command: string, isAlive: (pid: number) => boolean = processAlive): { tookOverFrom?: WorldLock } {
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, "lock");
    const mine: WorldLock = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
    let previous: WorldLock | undefined;
    if (existsSync(file)) {
      try {
        previous = JSON.parse(readFileSync(file, "utf8")) as WorldLock;
      } catch {
        previous = undefined;
      }
      if (
        previous !== undefined &&
        previous.pid !== process.pid &&
        previous.host === hostname() &&
        isAlive(previous.pid)
      ) {
        throw new PilotlightError(
          "sandbox.busy",
          `the sandbox world in ${this.dir} is in use by pid ${previous.pid} (${previous.command}) since ${previous.since}`,
          {
            source: "user",
            hint: "wait for that command to end (or stop it); one process acts on a sandbox world at a time",
            details: { pid: previous.pid, command: previous.command, folder: this.dir },
          },
        );
      }
    }
    atomicWrite(file, JSON.stringify(mine));
    return previous === undefined || previous.pid === process.pid ? {} : { tookOverFrom: previous };
  }

  /** Releases the folder if this process holds it. */
  unlock(): void {
    const file = join(this.dir, "lock");
    try {
      const held = JSON.parse(readFileSync(file, "utf8")) as WorldLock;
      if (held.pid === process.pid && held.host === hostname()) rmSync(file, { force: true });
    } catch {
      // Nothing to release.
    }
  }

  load(): WorldState {
    const state = JSON.parse(readFileSync(this.stateFile(), "utf8")) as WorldState;
    if (state.format !== 1) {
      throw new PilotlightError(
        "sandbox.incompatible",
        `the sandbox world in ${this.dir} was written by another pilotlight version`,
        {
          source: "user",
          hint: "start a new world with `pilotlight sandbox reset --sandbox`",
        },
      );
    }
    return state;
  }

  /** Replaces `world.json` atomically: a process killed mid-save leaves the previous state. */
  save(state: WorldState): void {
    atomicWrite(this.stateFile(), JSON.stringify(state));
  }

  clusterDir(uid: string): string {
    return join(this.dir, "clusters", uid);
  }

  removeCluster(uid: string): void {
    rmSync(this.clusterDir(uid), { recursive: true, force: true });
  }

  async writeData(file: string, blob: Blob): Promise<void> {
    mkdirSync(join(this.dir, "data"), { recursive: true });
    atomicWrite(join(this.dir, "data", file), Buffer.from(await blob.arrayBuffer()));
  }

  readData(file: string): Blob {
    return new Blob([readFileSync(join(this.dir, "data", file))]);
  }

  hasData(file: string): boolean {
    return existsSync(join(this.dir, "data", file));
  }

  /** Data files no recovery point or snapshot names any more (expired, deleted). */
  removeDataExcept(keep: Set<string>): void {
    const dir = join(this.dir, "data");
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir)) if (!keep.has(f)) rmSync(join(dir, f), { force: true });
  }

  appendJournal(uid: string, entries: JournalEntry[]): void {
    if (entries.length === 0) return;
    mkdirSync(join(this.dir, "journal"), { recursive: true });
    appendFileSync(join(this.dir, "journal", `${uid}.jsonl`), entries.map((e) => JSON.stringify(e)).join("\n") + "\n");
  }

  /** A cluster's journal; `length` cuts it where the state says it ends (a crash may leave more). */
  readJournal(uid: string, length?: number): JournalEntry[] {
    const file = join(this.dir, "journal", `${uid}.jsonl`);
    if (!existsSync(file)) return [];
    const lines = readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.length > 0);
    const entries: JournalEntry[] = [];
    for (const line of lines) {
      try {
        entries.push(JSON.parse(line) as JournalEntry);
      } catch {
        break; // A line cut by a crash ends the journal.
      }
    }
    return length === undefined ? entries : entries.slice(0, length);
  }

  /** Removes everything of the world (runs and reports included). */
  wipe(): void {
    if (!existsSync(this.dir)) return;
    for (const entry of readdirSync(this.dir))
      if (entry !== "lock") rmSync(join(this.dir, entry), { recursive: true, force: true });
  }

  private stateFile(): string {
    return join(this.dir, "world.json");
  }
}

function atomicWrite(file: string, content: string | Buffer): void {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, content);
  renameSync(partial, file);
}

/** Whether a process of this host is alive (signal 0 probes without signalling). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
