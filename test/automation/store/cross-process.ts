import { expect } from "chai";
import { fork } from "node:child_process";
import { hostname } from "node:os";
import { join } from "node:path";
import { isHolderDeadOnThisHost } from "../../../automation/adapters/process-liveness";
import { SystemClock } from "../../../automation/adapters/system-clock";
import { Engine } from "../../../automation/engine/engine";
import { openSql } from "../../../automation/store/open-store";
import { PgRunStore } from "../../../automation/store/pg-run-store";
import { countJobs, restoreHandlers } from "../../support/sql-jobs";

const CHILD = join(__dirname, "..", "..", "support", "child-run.ts");

type Message = { type: string; phase?: string; code?: string };

function spawnRun(storeUrl: string, target: string, runId: string, mode: "hold" | "restore") {
  const child = fork(CHILD, [storeUrl, target, runId, mode], {
    execArgv: ["--require", "tsx/cjs"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const messages: Message[] = [];
  const waiters: Array<{ type: string; resolve: (m: Message) => void }> = [];
  child.on("message", (m: Message) => {
    messages.push(m);
    for (const w of waiters.splice(0)) {
      if (w.type === m.type) w.resolve(m);
      else waiters.push(w);
    }
  });
  const next = (type: string) =>
    new Promise<Message>((resolve, reject) => {
      const seen = messages.find((m) => m.type === type);
      if (seen !== undefined) return resolve(seen);
      waiters.push({ type, resolve });
      child.once("exit", (code) => reject(new Error(`child exited (${code}) before sending ${type}`)));
    });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return { child, next, exited };
}

async function outcome(p: { next: (t: string) => Promise<Message> }): Promise<Message> {
  return Promise.race([p.next("result"), p.next("error")]);
}

/**
 * Cross-process behaviour on a real store: `makeUrl` returns a store URL of an empty database.
 * `concurrent` says whether two processes may open the store at once (a server: yes; a PGlite
 * folder: no).
 */
export function crossProcessSuite(name: string, makeUrl: () => Promise<string>, concurrent: boolean): void {
  describe(`across processes: ${name}`, function () {
    this.timeout(60_000);

    if (concurrent) {
      it("refuses a second process's run of a target whose lease a live process holds", async function () {
        const url = await makeUrl();
        const holder = spawnRun(url, "env:shared", "holder-run", "hold");
        await holder.next("holding");
        const intruder = spawnRun(url, "env:shared", "intruder-run", "hold");
        expect(await outcome(intruder)).to.deep.equal({ type: "error", code: "lease.held" });
        holder.child.send("release");
        expect(await outcome(holder)).to.deep.equal({ type: "result", phase: "Completed" });
        await Promise.all([holder.exited, intruder.exited]);
      });
    }

    it("resumes a run whose process was killed mid-wait, re-attaching to its one restore job", async function () {
      const url = await makeUrl();
      const victim = spawnRun(url, "env:killed", "killed-run", "restore");
      await victim.next("waiting");
      victim.child.kill("SIGKILL");
      await victim.exited;

      const sql = await openSql(url);
      const store = await PgRunStore.open(sql);
      try {
        const before = (await store.loadRun("killed-run"))!;
        expect(before.phase).to.equal("InProgress");
        expect(before.steps[0]!.external).to.include({ kind: "restore-job" });
        const engine = new Engine({
          store,
          clock: new SystemClock(),
          holder: { host: hostname(), pid: process.pid, instance: "parent" },
          newRunId: () => "unused",
          isHolderDead: (h) => isHolderDeadOnThisHost(h),
        });
        const run = await engine.resume(
          "killed-run",
          restoreHandlers(sql, async () => undefined),
        );
        expect(run.phase).to.equal("Completed");
        expect(await countJobs(sql)).to.equal(1);
      } finally {
        await store.close();
      }
    });
  });
}
