import { expect } from "chai";
import type { Run } from "../../automation/domain/run";
import type { Pilotlight } from "../../automation/library";
import { CrashingStore, SimulatedCrash } from "./crashing-store";
import { MIN, step, type TestWorld } from "./world";

/** A crash point: after a step succeeded (a step boundary), or some time into a waiting step. */
export type CrashPoint = { after: string } | { inside: string; afterMs: number };

export const label = (p: CrashPoint) =>
  "after" in p ? `after ${p.after}` : `inside ${p.inside} +${p.afterMs / MIN} min`;

/**
 * Starts an operation in a "process" that dies at `point` (its store and its signal go), then lets
 * the world be restarted as a new process would find it and resumes the run there. Asserts that
 * the run ends Completed with exactly `restores` new restores in the world; returns the world the
 * successor acts on and the run.
 */
export async function crashAndResume(
  w: TestWorld,
  point: CrashPoint,
  start: (lib: Pilotlight, signal: AbortSignal) => Promise<unknown>,
  restores = 1,
): Promise<{ world: TestWorld; run: Run }> {
  const ctl = new AbortController();
  let armed = false;
  const crashing = new CrashingStore(w.store, Number.POSITIVE_INFINITY, (run) => {
    if ("after" in point) return step(run, point.after)?.state === "Succeeded";
    if (!armed && run.steps.find((s) => s.id === point.inside)?.state === "Running") {
      armed = true;
      // The process dies some time into the wait: its store and its children go with it.
      void w.target.clock.sleep(point.afterMs).then(() => {
        crashing.kill();
        ctl.abort(new Error("killed"));
      });
    }
    return false;
  });
  const before = w.target.world.s.stats.restoresStarted;
  const dying = w.another(crashing);
  let error: unknown;
  try {
    await start(dying, ctl.signal);
  } catch (e) {
    error = e;
  }
  expect(error, label(point)).to.be.instanceOf(SimulatedCrash);
  const crashed = (await w.store.listRuns({ limit: 1 }))[0]!;
  expect(crashed.phase, label(point)).to.equal("InProgress");
  // The successor: the world as the dead process left it, opened again.
  const next = await w.restart();
  await next.target.world.advance(2 * MIN);
  const run = await next.lib.resume(crashed.id);
  expect(run.phase, `${label(point)}: ${JSON.stringify(run.error)}`).to.equal("Completed");
  expect(next.target.world.s.stats.restoresStarted - before, `${label(point)}: restores`).to.equal(restores);
  return { world: next, run };
}
