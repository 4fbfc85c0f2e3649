import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { FileReports } from "../../automation/adapters/file-reports";
import { validateConfig } from "../../automation/config/load";
import { SANDBOX_CONFIG } from "../../automation/config/sandbox-default";
import type { Config } from "../../automation/config/schema";
import type { PilotEvent } from "../../automation/domain/events";
import type { Run } from "../../automation/domain/run";
import { createPilotlight, isPreview, type Pilotlight } from "../../automation/library";
import type { RunStore } from "../../automation/ports/run-store";
import { injectFault } from "../../automation/sandbox/faults";
import { SandboxTarget } from "../../automation/sandbox/target";
import { openRunStore } from "../../automation/store/open-store";
import { drillKit } from "../../drills/kit";

export const HOUR = 3_600_000;
export const MIN = 60_000;
/** Virtual start of test worlds: after the Node.js 20 Lambda runtime was blocked (2026-08-31). */
export const T0 = Date.UTC(2026, 9, 1);
export const CONFIG: Config = validateConfig(SANDBOX_CONFIG);
export const SANDBOX = CONFIG.environments["sandbox"]!;

/** A sandbox world of a test: its own folder (a copy of a fixture), a library on it, the events. */
export interface TestWorld {
  folder: string;
  target: SandboxTarget;
  lib: Pilotlight;
  store: RunStore;
  events: PilotEvent[];
  /** Another "process" on the same world and store: a second library (its own lease holder). */
  another(store?: RunStore): Pilotlight;
  /** The world as a killed process leaves it, opened again by its successor (new clock, same folder). */
  restart(): Promise<TestWorld>;
  close(): Promise<void>;
}

/** What a fixture is: a name, and what is done to a fresh world to make it. */
export interface Fixture {
  name: string;
  seed?: number;
  hours?: number;
  rows?: number;
  /** Staged on the fresh world after its history (e.g. a failover). */
  stage?: (w: TestWorld) => Promise<void>;
}

let codeKey: string | undefined;
/** A hash of the code a fixture depends on: a change of the program or the sandbox makes new fixtures. */
function fixtureKey(f: Fixture): string {
  if (codeKey === undefined) {
    const h = createHash("sha1");
    const root = join(__dirname, "..", "..");
    const walk = (dir: string) => {
      for (const e of readdirSync(dir).sort()) {
        const p = join(dir, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith(".ts")) h.update(relative(root, p)).update(readFileSync(p));
      }
    };
    for (const d of ["automation", "infra", "drills"]) walk(join(root, d));
    h.update(readFileSync(join(__dirname, "world.ts")));
    codeKey = h.digest("hex").slice(0, 12);
  }
  return `${codeKey}-${f.name}-${f.seed ?? 11}-${f.hours ?? 4}-${f.rows ?? 200}`;
}

const building = new Map<string, Promise<string>>();

/**
 * The folder of a fixture world, built once per machine and code version: every test copies it
 * instead of spending minutes of PGlite and virtual hours on the same history. Built into a
 * temporary folder and renamed into place, so parallel test processes never see half of one.
 */
export function fixture(f: Fixture): Promise<string> {
  const key = fixtureKey(f);
  let p = building.get(key);
  if (p === undefined) {
    p = (async () => {
      const root = join(tmpdir(), "pilotlight-fixtures");
      const dir = join(root, key);
      if (existsSync(join(dir, "world.json"))) return dir;
      mkdirSync(root, { recursive: true });
      const partial = mkdtempSync(join(root, `${key}.partial-`));
      const target = await SandboxTarget.open({
        folder: partial,
        envName: "sandbox",
        environment: SANDBOX,
        reports: new FileReports(join(partial, "reports")),
        command: "test fixture",
        snsTopicArn: CONFIG.notifications.snsTopicArn!,
        seed: f.seed ?? 11,
        start: T0,
        rows: f.rows ?? 200,
        historyHours: f.hours ?? 4,
      });
      const w = await attach(partial, target);
      try {
        await f.stage?.(w);
      } finally {
        await w.close();
      }
      rmSync(join(partial, "lock"), { force: true });
      try {
        renameSync(partial, dir);
      } catch {
        rmSync(partial, { recursive: true, force: true }); // another process made it first
      }
      // Fixtures of other code versions are stale once an hour old (a running suite may still
      // copy one younger than that): they would fill the disk, ~100 MB each.
      for (const other of readdirSync(root)) {
        const path = join(root, other);
        const stale = !other.startsWith(key.slice(0, 12)) && Date.now() - statSync(path).mtimeMs > 3_600_000;
        if (stale) rmSync(path, { recursive: true, force: true });
      }
      return dir;
    })();
    building.set(key, p);
  }
  return p;
}

/** The fresh fixture: the primary deployed with four hours of history. */
export const FRESH: Fixture = { name: "fresh" };

/** A new world of its own (no fixture): for runs that need other activity than the fixtures'. */
export async function newWorld(o: {
  seed?: number;
  start?: number;
  rows?: number;
  hours?: number;
  backupIntervalMs?: number;
  writeIntervalMs?: number;
  retentionMs?: number;
}): Promise<TestWorld> {
  const folder = mkdtempSync(join(tmpdir(), "pilotlight-world-"));
  const target = await SandboxTarget.open({
    folder,
    envName: "sandbox",
    environment: SANDBOX,
    reports: new FileReports(join(folder, "reports")),
    command: "test",
    snsTopicArn: CONFIG.notifications.snsTopicArn!,
    seed: o.seed ?? 11,
    start: o.start ?? T0,
    rows: o.rows ?? 200,
    historyHours: o.hours ?? 4,
    ...(o.backupIntervalMs === undefined ? {} : { backupIntervalMs: o.backupIntervalMs }),
    ...(o.writeIntervalMs === undefined ? {} : { writeIntervalMs: o.writeIntervalMs }),
    ...(o.retentionMs === undefined ? {} : { retentionMs: o.retentionMs }),
  });
  return attach(folder, target);
}

/** A copy of a fixture world, opened, with a library on the world's own store (copied with it). */
export async function openWorld(f: Fixture = FRESH): Promise<TestWorld> {
  const source = await fixture(f);
  const folder = mkdtempSync(join(tmpdir(), "pilotlight-world-"));
  cpSync(source, folder, { recursive: true });
  const target = await SandboxTarget.open({
    folder,
    envName: "sandbox",
    environment: SANDBOX,
    reports: new FileReports(join(folder, "reports")),
    command: "test",
    create: false,
    snsTopicArn: CONFIG.notifications.snsTopicArn!,
  });
  return attach(folder, target);
}

async function attach(folder: string, target: SandboxTarget, existing?: RunStore): Promise<TestWorld> {
  const store = existing ?? (await openRunStore(SandboxTarget.storeUrl(folder)));
  const events: PilotEvent[] = [];
  const make = (s: RunStore, sink?: (e: PilotEvent) => void) =>
    createPilotlight({
      config: { ...CONFIG, reportsDir: join(folder, "reports") },
      target: { kind: "sandbox", id: `sandbox:${target.worldId}`, simulated: true },
      clock: target.clock,
      store: s,
      ports: () => target.ports,
      kit: drillKit,
      ...(sink === undefined ? {} : { onEvent: sink }),
    });
  const lib = make(store, (e) => events.push(e));
  const w: TestWorld = {
    folder,
    target,
    lib,
    store,
    events,
    another: (s) => make(s ?? store),
    async restart() {
      // The dead process's last turn is lost; its lock stays, and is taken over.
      target.world.flush();
      await target.world.close();
      const next = await SandboxTarget.open({
        folder,
        envName: "sandbox",
        environment: SANDBOX,
        reports: new FileReports(join(folder, "reports")),
        command: "test (restarted)",
        create: false,
        snsTopicArn: CONFIG.notifications.snsTopicArn!,
      });
      return attach(folder, next, store);
    },
    async close() {
      await target.close();
      if (existing === undefined) await store.close();
      // A test's copy goes with it (a fixture being built is renamed into place by its builder).
      if (folder.includes("pilotlight-world-")) rmSync(folder, { recursive: true, force: true });
    },
  };
  return w;
}

/** Stages a regional outage of the primary `ageMs` old, mid-hour after a copied backup; returns its start. */
export async function stageOutage(w: TestWorld, ageMs = SANDBOX.decision.prepareBelow + 10 * MIN): Promise<number> {
  const clock = w.target.clock;
  await w.target.world.advance(HOUR - (clock.now() % HOUR) + 50 * MIN);
  const since = clock.now();
  await injectFault(w.target.world, "region-outage", { region: SANDBOX.primary.region });
  await w.target.world.advance(ageMs);
  return since;
}

/** The run an operation returned (fails the test on a dry-run preview). */
export function asRun(x: unknown): Run {
  if (isPreview(x)) throw new Error("got a preview");
  return x as Run;
}

/** A step of a run by id. */
export function step(run: Run, id: string): Run["steps"][number] {
  const s = run.steps.find((x) => x.id === id);
  if (s === undefined) throw new Error(`no step ${id}`);
  return s;
}

/** The code a rejected promise carried (fails the test when it resolved). */
export async function refusal(
  p: Promise<unknown>,
): Promise<{ code: string; source: string; details?: Record<string, unknown>; message: string }> {
  try {
    await p;
  } catch (error) {
    const e = error as { code?: string; source?: string; details?: Record<string, unknown>; message?: string };
    if (typeof e.code === "string")
      return {
        code: e.code,
        source: String(e.source),
        message: String(e.message),
        ...(e.details === undefined ? {} : { details: e.details }),
      };
    throw error;
  }
  throw new Error("expected a refusal");
}

/** A world failed over to DR: an outage older than the prepare threshold, then a completed failover. */
export const FAILED_OVER: Fixture = {
  name: "failed-over",
  stage: async (w) => {
    const since = await stageOutage(w);
    const run = asRun(await w.lib.failover({ yes: true, outageSince: since }));
    if (run.phase !== "Completed") throw new Error(`fixture failover ended ${run.phase}`);
    // Clients follow the switch within the record's TTL: five minutes on, none writes to the old
    // primary when its region returns (a test that wants stranded writes recovers it sooner).
    await w.target.world.advance(5 * MIN);
    // Keep the failover run: failback and the posture check read it.
    w.target.world.s.notifications.length = 0;
  },
};
