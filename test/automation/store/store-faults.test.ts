import { expect } from "chai";
import { runCli } from "../../../automation/cli/run-cli";
import { isPilotlightError } from "../../../automation/domain/errors";
import { PgRunStore } from "../../../automation/store/pg-run-store";
import { PgliteSql } from "../../../automation/store/pglite-sql";
import { FaultMappingSql, isStoreFault } from "../../../automation/store/store-faults";
import { openPilotlight } from "../../../drills/index";
import { capturingIo } from "../../support/cli-io";
import { rejection } from "../../support/rejection";
import { connectionRefused, FailingSql } from "../../support/failing-sql";

/**
 * A store that does not serve (stopped, frozen, restarting, closed) is `store.unavailable`:
 * source system, with what to do — never "a bug in pilotlight". A mistake in pilotlight's own
 * SQL stays what it is.
 */
describe("run store faults", function () {
  // Each test opens an embedded PostgreSQL: slow on a busy machine.
  this.timeout(120_000);
  let sql: FailingSql;
  let store: PgRunStore;

  beforeEach(async function () {
    sql = new FailingSql(await PgliteSql.open());
    store = await PgRunStore.open(sql);
  });
  afterEach(async function () {
    sql.start();
    await store.close();
  });

  it("every store call on a stopped store is store.unavailable naming what it was doing", async function () {
    sql.stop();
    const holder = { host: "h", pid: 1, instance: "i" };
    const lease = { target: "env:x", token: 1, runId: "r", holder, acquiredAt: 0, expiresAt: 1 };
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["listRuns", () => store.listRuns()],
      ["loadRun", () => store.loadRun("x")],
      ["readLease", () => store.readLease("env:x")],
      ["renewLease", () => store.renewLease(lease, 0, 1)],
      [
        "appendEvents",
        () => store.appendEvents([{ time: 0, level: "info", runId: "r", code: "run.created", message: "m" }]),
      ],
      ["claimOccurrence", () => store.claimOccurrence("env:restore:2026-01-01T03:00", holder, 0)],
    ];
    for (const [name, call] of calls) {
      const error = await rejection(call());
      expect(isPilotlightError(error) && error.code, name).to.equal("store.unavailable");
      expect(isPilotlightError(error) && error.source, name).to.equal("system");
      expect(isPilotlightError(error) && error.hint, name).to.contain("pilotlight status");
      expect((error as Error).message, name).to.contain("ECONNREFUSED");
    }
    sql.start();
    expect(await store.listRuns()).to.deep.equal([]);
  });

  it("a closed embedded store is unavailable; an SQL mistake is not a store fault", async function () {
    const syntax = await rejection(new FaultMappingSql(sql).query("SELEC 1"));
    expect(isPilotlightError(syntax)).to.equal(false);
    expect(isStoreFault(syntax)).to.equal(false);

    await sql.close();
    const error = await rejection(store.listRuns());
    expect(isPilotlightError(error) && error.code).to.equal("store.unavailable");
    // The server's own "not now" answers are faults: statement and lock timeouts, shutdown.
    for (const code of ["57014", "55P03", "57P01", "08006", "53300", "40001"]) {
      expect(isStoreFault(Object.assign(new Error(code), { code, severity: "ERROR" })), code).to.equal(true);
    }
    expect(isStoreFault(connectionRefused())).to.equal(true);
    expect(isStoreFault(new Error("Query read timeout"))).to.equal(true);
  });

  it("the CLI reports a stopped store as store.unavailable, exit 5 with its hint, never as a bug", async function () {
    const { io, written } = capturingIo({
      cwd: "/nonexistent",
      openPilotlight: async (options) => {
        const lib = await openPilotlight({ ...options, store });
        sql.stop();
        return lib;
      },
    });
    expect(await runCli(["runs", "list", "--sandbox"], io)).to.equal(5);
    expect(written.stderr).to.contain("error [store.unavailable]");
    expect(written.stderr).to.contain("→ check that the run store's database is up");
    expect(written.stderr).not.to.contain("bug");
    sql.start();
    expect(await runCli(["runs", "list", "--sandbox", "--json"], io)).to.equal(5);
    expect(JSON.parse(written.stdout)).to.include({ code: "store.unavailable", source: "system" });
  });
});
