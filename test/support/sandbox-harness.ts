import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileReports } from "../../automation/adapters/file-reports";
import { validateConfig } from "../../automation/config/load";
import { SANDBOX_CONFIG } from "../../automation/config/sandbox-default";
import type { PilotEvent } from "../../automation/domain/events";
import type { Run } from "../../automation/domain/run";
import { isPreview, type Pilotlight } from "../../automation/library";
import { createPilotlight } from "../../drills/index";
import type { RunStore } from "../../automation/ports/run-store";
import { SandboxSession } from "../../automation/sandbox/session";

export const HOUR = 3_600_000;
export const MIN = 60_000;
export const SANDBOX = validateConfig(SANDBOX_CONFIG).environments["sandbox"]!;

/** A sandbox world shared by several library instances ("processes") in one test. */
export function newSession(seed = 11): { session: SandboxSession; reportsDir: string } {
  const reportsDir = mkdtempSync(join(tmpdir(), "pilotlight-reports-"));
  const session = new SandboxSession({ envName: "sandbox", environment: SANDBOX, reports: new FileReports(reportsDir), start: Date.UTC(2026, 0, 1), seed, rows: 200 });
  return { session, reportsDir };
}

/** A library acting on `session` through the given store, collecting events. */
export async function libraryOn(session: SandboxSession, store: RunStore, reportsDir: string): Promise<{ lib: Pilotlight; events: PilotEvent[] }> {
  const events: PilotEvent[] = [];
  const lib = await createPilotlight({
    target: "sandbox",
    config: { ...SANDBOX_CONFIG, reportsDir },
    store,
    ports: session.ports,
    clock: session.clock,
    onEvent: (e) => events.push(e),
  });
  return { lib, events };
}

/** Stages a regional outage older than the prepare threshold, mid-hour after a copied backup. */
export async function stageOutage(session: SandboxSession, ageMs = SANDBOX.decision.prepareBelow + 10 * MIN): Promise<void> {
  await session.advance(HOUR - (session.clock.now() % HOUR) + 50 * MIN);
  session.outage();
  await session.advance(ageMs);
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
