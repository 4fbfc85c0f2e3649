import { expect } from "chai";
import { VirtualClock } from "../../automation/adapters/virtual-clock";
import { CONFIG } from "../support/world";
import { isPilotlightError } from "../../automation/domain/errors";
import { createPilotlight as createCore } from "../../automation/library";
import type { EnvironmentPorts } from "../../automation/ports/runbook-ports";
import { PgRunStore } from "../../automation/store/pg-run-store";
import { PgliteSql } from "../../automation/store/pglite-sql";

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    if (isPilotlightError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a rejection");
}

/** Ports whose every method fails the test: the library must not reach them here. */
function untouchable(): EnvironmentPorts {
  return new Proxy({} as EnvironmentPorts, {
    get: (_t, port) =>
      new Proxy(
        {},
        {
          get: (_u, method) => () => {
            throw new Error(`the library called ${String(port)}.${String(method)}`);
          },
        },
      ),
  });
}

describe("library core", function () {
  it("without the drills kit refuses drills, sweeps and manifests with kit.missing, and persists nothing", async function () {
    const store = await PgRunStore.open(await PgliteSql.open());
    const clock = new VirtualClock({ start: 0 });
    let built = 0;
    const lib = createCore({
      config: CONFIG,
      target: { kind: "custom", id: "test", simulated: true },
      clock,
      store,
      ports: () => {
        built += 1;
        return untouchable();
      },
    });
    try {
      for (const p of [
        lib.drill("restore", {}),
        lib.sweep({}),
        lib.recordManifest({}),
        lib.serveDrills({ signal: new AbortController().signal }),
      ]) {
        const e = await rejection(p);
        expect(e.code).to.equal("kit.missing");
        expect(e.message).to.contain("drills kit");
      }
      expect(await store.listRuns({})).to.deep.equal([]);
      expect(built).to.equal(0);
    } finally {
      await lib.close();
      await store.close();
      clock.dispose();
    }
  });

  it("asks the target for an environment's ports once, however many operations use them", async function () {
    const store = await PgRunStore.open(await PgliteSql.open());
    const clock = new VirtualClock({ start: 0 });
    let built = 0;
    const lib = createCore({
      config: CONFIG,
      target: { kind: "custom", id: "test", simulated: true },
      clock,
      store,
      ports: () => ((built += 1), untouchable()),
    });
    try {
      for (let i = 0; i < 3; i++) await rejection(lib.failover({ yes: true })).catch(() => undefined);
      expect(built).to.equal(1);
    } finally {
      await lib.close();
      await store.close();
      clock.dispose();
    }
  });
});
