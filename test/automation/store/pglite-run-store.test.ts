import { expect } from "chai";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRun } from "../../../automation/domain/run";
import { openRunStore } from "../../../automation/store/open-store";
import { PgRunStore } from "../../../automation/store/pg-run-store";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import { HOLDER_A, T0 } from "../../support/engine-harness";
import { crossProcessSuite } from "./cross-process";
import { runStoreContract } from "./run-store.contract";

runStoreContract("PGlite in memory", async () => PgRunStore.open(await PgliteSql.open()));

describe("PGlite run store on disk", function () {
  it("keeps runs across close and reopen, and migrates once", async function () {
    const dir = mkdtempSync(join(tmpdir(), "pilotlight-store-"));
    const url = `pglite://${dir}`;
    const first = await openRunStore(url);
    const attempt = await first.acquireLease({
      target: "env:disk",
      runId: "disk-run",
      holder: HOLDER_A,
      now: T0,
      ttlMs: 60_000,
    });
    if (!attempt.acquired) throw new Error("unexpected");
    const run = createRun({
      id: "disk-run",
      kind: "restore-drill",
      target: "env:disk",
      spec: {},
      steps: [{ id: "a", title: "a", dependsOn: [], timeoutMs: 1 }],
      now: T0,
    });
    await first.insertRun(run, attempt.lease);
    await first.close();
    const second = await openRunStore(url);
    expect(await second.loadRun("disk-run")).to.deep.equal(run);
    await second.close();
  });
});

crossProcessSuite("PGlite folder", async () => `pglite://${mkdtempSync(join(tmpdir(), "pilotlight-xproc-"))}`, false);
