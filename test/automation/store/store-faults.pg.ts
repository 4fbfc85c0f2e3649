/**
 * Store faults against a real PostgreSQL server (`npm run test:pg`), through a TCP proxy that
 * freezes (holds every byte: what a SIGSTOPped backend looks like to a client) or goes away.
 * The bounds are real time by nature — they are what is tested — so the timeouts are small.
 */
import { expect } from "chai";
import pg from "pg";
import { SystemClock } from "../../../automation/adapters/system-clock";
import { isPilotlightError } from "../../../automation/domain/errors";
import { Engine } from "../../../automation/engine/engine";
import { openRunStore } from "../../../automation/store/open-store";
import type { PgRunStore } from "../../../automation/store/pg-run-store";
import { PgPoolSql, type PgTimeouts } from "../../../automation/store/pg-sql";
import { HOLDER_A } from "../../support/engine-harness";
import { TestDatabases } from "../../support/pg-databases";
import { TcpProxy } from "../../support/tcp-proxy";

const TIMEOUTS: PgTimeouts = {
  connectMs: 500,
  statementMs: 500,
  lockMs: 300,
  idleInTransactionMs: 2_000,
  queryMs: 800,
  closeMs: 300,
};
/** Longest one store call may take on a frozen server: a query and a connect timeout, with slack. */
const BOUND_MS = TIMEOUTS.queryMs + TIMEOUTS.connectMs + 1_500;

async function timed<T>(p: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = Date.now();
  try {
    await p;
    return { ms: Date.now() - started, error: undefined };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

describe("run store faults on a PostgreSQL server (proxy frozen or stopped)", function () {
  this.timeout(30_000);
  const databases = new TestDatabases("pilotlight_faults");
  let direct: string;
  let proxy: TcpProxy;
  let store: PgRunStore;

  before(async function () {
    direct = await databases.fresh();
  });
  after(async function () {
    await databases.dropAll();
  });
  beforeEach(async function () {
    const u = new URL(direct);
    proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
    await proxy.start();
    store = await openRunStore(proxy.urlFor(direct), undefined, TIMEOUTS);
  });
  afterEach(async function () {
    const closing = await timed(store.close());
    await proxy.stop();
    // A frozen server cannot say goodbye: closing is bounded too, so the process can exit.
    expect(closing.ms, "close").to.be.lessThan(TIMEOUTS.closeMs + 1_000);
  });

  it("sends the server-side bounds with every connection", async function () {
    const sql = await PgPoolSql.open(direct, { timeouts: TIMEOUTS });
    try {
      const { rows } = await sql.query<{ s: string; l: string; i: string }>(
        "SELECT current_setting('statement_timeout') AS s, current_setting('lock_timeout') AS l, " +
          "current_setting('idle_in_transaction_session_timeout') AS i",
      );
      expect(rows[0]).to.deep.equal({ s: "500ms", l: "300ms", i: "2s" });
    } finally {
      await sql.close();
    }
  });

  it("a frozen server: every call is store.unavailable within a bounded time, and the store recovers", async function () {
    expect(await store.listRuns()).to.deep.equal([]);
    proxy.freeze();
    // The first call times out on its connection; the next needs a new connection, which times out too.
    const calls: Array<() => Promise<unknown>> = [() => store.listRuns(), () => store.readLease("env:prod")];
    for (const call of calls) {
      const { ms, error } = await timed(call());
      expect(isPilotlightError(error) && error.code, String(error)).to.equal("store.unavailable");
      expect(isPilotlightError(error) && error.source).to.equal("system");
      expect(ms).to.be.lessThan(BOUND_MS);
    }
    proxy.thaw();
    expect(await store.listRuns()).to.deep.equal([]);
  });

  it("a stopped server: store.unavailable at once", async function () {
    expect(await store.listRuns()).to.deep.equal([]);
    await proxy.stop();
    const { ms, error } = await timed(store.listRuns());
    expect(isPilotlightError(error) && error.code, String(error)).to.equal("store.unavailable");
    expect(ms).to.be.lessThan(BOUND_MS);
  });

  it("a lease row locked by a stuck transaction: lock_timeout ends the wait as store.unavailable", async function () {
    const acquired = await store.acquireLease({
      target: "env:locked",
      runId: "r",
      holder: HOLDER_A,
      now: 0,
      ttlMs: 60_000,
    });
    expect(acquired.acquired).to.equal(true);
    const blocker = new pg.Client({ connectionString: direct });
    await blocker.connect();
    try {
      await blocker.query("BEGIN");
      await blocker.query("SELECT * FROM pilotlight_leases WHERE target = 'env:locked' FOR UPDATE");
      const lease = acquired.acquired ? acquired.lease : undefined;
      const { ms, error } = await timed(store.renewLease(lease!, 1, 60_000));
      expect(isPilotlightError(error) && error.code, String(error)).to.equal("store.unavailable");
      expect(isPilotlightError(error) && error.details).to.deep.include({ sqlState: "55P03" });
      expect(ms).to.be.lessThan(BOUND_MS);
    } finally {
      await blocker.query("ROLLBACK");
      await blocker.end();
    }
  });

  it("a run on a store that freezes stops at its lease's expiry, its step aborted, and stays resumable", async function () {
    const clock = new SystemClock();
    const engine = new Engine({ store, clock, holder: HOLDER_A, newRunId: () => "frozen-run", leaseTtlMs: 1_500 });
    let aborted = false;
    const plan = { steps: [{ id: "wait", title: "wait", dependsOn: [], timeoutMs: 60_000 }] };
    const handlers = {
      wait: async (ctx: { signal: AbortSignal; clock: SystemClock }) => {
        setTimeout(() => proxy.freeze(), 300);
        try {
          await ctx.clock.sleep(30_000, ctx.signal);
        } finally {
          aborted = ctx.signal.aborted;
        }
      },
    };
    const { ms, error } = await timed(
      engine.start({ kind: "failover", target: "env:frozen", spec: {}, plan, handlers }),
    );
    expect(isPilotlightError(error) && error.code, String(error)).to.equal("lease.expired");
    expect(aborted).to.equal(true);
    // Expiry (1.5 s) plus the renewal and release still in flight, each bounded.
    expect(ms).to.be.lessThan(1_500 + 2 * BOUND_MS);
    proxy.thaw();
    const stored = await store.loadRun("frozen-run");
    expect(stored?.phase).to.equal("InProgress");
    expect(stored?.steps[0]?.state).to.equal("Running");
  });
});
