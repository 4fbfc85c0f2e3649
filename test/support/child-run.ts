/**
 * A separate process running the engine on a real store and the real clock, driven by its
 * parent over IPC (no sleeps anywhere): used to prove leases and crash recovery across
 * processes. Usage (forked): child-run.ts <storeUrl> <target> <runId> <mode>
 *   mode "hold": a single step that holds the lease until the parent sends "release";
 *   mode "restore": starts a restore job (a row in test_jobs), records it, then waits forever
 *   (the parent kills the process with SIGKILL).
 * Reports `{ type: "result", phase }` or `{ type: "error", code }` to the parent and exits.
 */
import { hostname } from "node:os";
import { SystemClock } from "../../automation/adapters/system-clock";
import { isPilotlightError } from "../../automation/domain/errors";
import { Engine } from "../../automation/engine/engine";
import { openSql } from "../../automation/store/open-store";
import { PgRunStore } from "../../automation/store/pg-run-store";
import { restoreHandlers } from "./sql-jobs";

async function main(): Promise<void> {
  const [storeUrl, target, runId, mode] = process.argv.slice(2) as [string, string, string, string];
  // One SQL client for the store and the jobs table: PGlite allows one opener per folder.
  const jobs = await openSql(storeUrl);
  const store = await PgRunStore.open(jobs);
  const send = (m: unknown) => process.send?.(m);
  const waitFor = (what: string) =>
    new Promise<void>((resolve) => {
      process.on("message", (m) => {
        if (m === what) resolve();
      });
    });
  const engine = new Engine({
    store,
    clock: new SystemClock(),
    holder: { host: hostname(), pid: process.pid, instance: `child-${process.pid}` },
    newRunId: () => runId,
    leaseTtlMs: 30_000,
  });
  const handlers =
    mode === "hold"
      ? {
          hold: async () => {
            send({ type: "holding" });
            await waitFor("release");
          },
        }
      : restoreHandlers(jobs, () => {
          send({ type: "waiting" });
          return new Promise<void>(() => undefined);
        });
  const steps =
    mode === "hold"
      ? [{ id: "hold", title: "hold", dependsOn: [], timeoutMs: 60_000 }]
      : [{ id: "restore", title: "restore", dependsOn: [], timeoutMs: 60_000 }];
  try {
    const run = await engine.start({ kind: "failover", target, spec: {}, plan: { steps }, handlers });
    send({ type: "result", phase: run.phase });
  } catch (error) {
    send({ type: "error", code: isPilotlightError(error) ? error.code : String(error) });
  }
  await store.close();
  process.disconnect?.();
}

void main();
