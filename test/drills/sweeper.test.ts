import { expect } from "chai";
import type { Run, RunPhase } from "../../automation/domain/run";
import type { RunbookPorts } from "../../automation/ports/runbook-ports";
import { sweep } from "../../drills/sweeper";
import { SANDBOX } from "../support/world";

const NOW = Date.UTC(2026, 2, 10, 12);
const HOUR = 3_600_000;

/** Stacks only: what the sweeper does with drill stacks, decided from run state and expiry. */
function portsWith(stacks: Record<string, Record<string, unknown>>) {
  const destroyed: string[] = [];
  const ports = {
    stacks: {
      list: async () => Object.keys(stacks),
      outputs: async (s: string) => stacks[s] ?? {},
      destroy: async (s: string) => void destroyed.push(s),
    },
    databases: { listClusters: async () => [], listClusterSnapshots: async () => [] },
  } as unknown as RunbookPorts;
  return { ports, destroyed };
}

/** A drill run (only what the sweeper reads). */
const run = (id: string, phase: RunPhase, createdAt: number) =>
  ({ id, kind: "restore-drill", target: `drill:restore:env:sandbox:${id}`, phase, createdAt }) as unknown as Run;

describe("sweeper (drill stacks)", function () {
  it("destroys a drill stack only when its run is not running and its TTL passed; never another stack", async function () {
    const { ports, destroyed } = portsWith({
      dr: {},
      primary: {},
      "drill-running": {},
      "drill-running-home": {},
      "drill-dead": {},
      "drill-fresh": {},
      "drill-expired": {},
      "drill-unknown-fresh": { expiresAt: new Date(NOW + HOUR).toISOString() },
      "drill-unknown-expired": { expiresAt: new Date(NOW - HOUR).toISOString() },
      "drill-unknown-no-outputs": {},
    });
    // SANDBOX.drills.ttl is 6 h.
    const runs = [
      run("running", "InProgress", NOW - 10 * HOUR),
      run("dead", "InProgress", NOW - 7 * HOUR),
      run("fresh", "Completed", NOW - HOUR),
      run("expired", "Failed", NOW - 7 * HOUR),
    ];
    const report = await sweep(ports, SANDBOX, {
      now: NOW,
      signal: new AbortController().signal,
      drillRuns: runs,
      leaseLive: async (r) => r.id === "running",
      dryRun: false,
    });
    expect(destroyed).to.deep.equal([
      "drill-dead",
      "drill-expired",
      "drill-unknown-expired",
      "drill-unknown-no-outputs",
    ]);
    expect(report.destroyedStacks).to.deep.equal(destroyed);
  });
});
