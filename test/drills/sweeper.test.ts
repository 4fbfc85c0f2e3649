import { expect } from "chai";
import type { RunbookPorts } from "../../automation/runbooks/ports";
import { sweep } from "../../drills/sweeper";
import { SANDBOX } from "../support/sandbox-harness";

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

describe("sweeper (drill stacks)", function () {
  it("destroys a drill stack only when its run is not running and its TTL passed; never another stack", async function () {
    const { ports, destroyed } = portsWith({
      dr: {},
      primary: {},
      "drill-running": {},
      "drill-fresh": {},
      "drill-expired": {},
      "drill-unknown-fresh": { expiresAt: new Date(NOW + HOUR).toISOString() },
      "drill-unknown-expired": { expiresAt: new Date(NOW - HOUR).toISOString() },
      "drill-unknown-no-outputs": {},
    });
    const states: Record<string, { active: boolean; expiresAt?: number }> = {
      "drill-running": { active: true, expiresAt: NOW - HOUR },
      "drill-fresh": { active: false, expiresAt: NOW + HOUR },
      "drill-expired": { active: false, expiresAt: NOW - 1 },
    };
    const report = await sweep(ports, SANDBOX, { now: NOW, signal: new AbortController().signal, stackState: async (s) => states[s] ?? { active: false } });
    expect(destroyed).to.deep.equal(["drill-expired", "drill-unknown-expired", "drill-unknown-no-outputs"]);
    expect(report.destroyedStacks).to.deep.equal(destroyed);
  });
});
