import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SANDBOX_CONFIG } from "../../automation/config/sandbox-default";
import { isPilotlightError } from "../../automation/domain/errors";
import { createPilotlight as createCore } from "../../automation/library";
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

describe("library core without the drills kit", function () {
  it("refuses drills, sweeps and manifests with kit.missing, and persists nothing", async function () {
    const store = await PgRunStore.open(await PgliteSql.open());
    const lib = await createCore({ target: "sandbox", config: { ...SANDBOX_CONFIG, reportsDir: mkdtempSync(join(tmpdir(), "pilotlight-core-")) }, store });
    try {
      for (const p of [lib.drill("restore", {}), lib.sweep({}), lib.recordManifest({}), lib.serveDrills({ signal: new AbortController().signal })]) {
        const e = await rejection(p);
        expect(e.code).to.equal("kit.missing");
        expect(e.message).to.contain("drills kit");
      }
      expect(await store.listRuns({})).to.deep.equal([]);
    } finally {
      await lib.close();
      await store.close();
    }
  });
});
