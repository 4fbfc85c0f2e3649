import { expect } from "chai";
import { actionsOf, iamPolicy, OPERATION_USES, OPERATIONS, PORT_ACTIONS } from "../../automation/adapters/iam/policy";
import { RESOURCE_ACTIONS } from "../../automation/adapters/iam/resource-actions";
import { injectFault, recoverFaults } from "../../automation/sandbox/faults";
import { CONFIG, FAILED_OVER, HOUR, MIN, asRun, openWorld, stageOutage, type TestWorld } from "../support/world";

/**
 * Actions the policy grants that no sandbox run calls, each for a reason a run cannot show:
 * called only when something fails.
 */
const FAILURE_ONLY = new Map([
  ["rds-data:RollbackTransaction", "a Data API transaction whose statement failed is rolled back"],
]);

interface Recorded {
  actions: Set<string>;
  resourceOps: Set<string>;
}

/** What a world's API answered while `fn` ran: IAM actions, and resource operations of updates. */
async function recording(w: TestWorld, fn: () => Promise<void>): Promise<Recorded> {
  const stats = w.target.world.s.stats;
  const before = { actions: { ...(stats.actions ?? {}) }, ops: { ...(stats.resourceOps ?? {}) } };
  await fn();
  const grew = (now: Record<string, number> | undefined, was: Record<string, number>) =>
    new Set(
      Object.entries(now ?? {})
        .filter(([k, n]) => n > (was[k] ?? 0))
        .map(([k]) => k),
    );
  return { actions: grew(stats.actions, before.actions), resourceOps: grew(stats.resourceOps, before.ops) };
}

describe("the generated IAM policy holds every action the runs call, and nothing they do not (sandbox)", function () {
  this.timeout(600_000);
  const all: Recorded = { actions: new Set(), resourceOps: new Set() };

  /** Runs an operation's scenario and holds its recording to the operation's declared uses. */
  async function holds(operation: string, w: TestWorld, scenario: () => Promise<void>): Promise<void> {
    const got = await recording(w, scenario);
    for (const a of got.actions) all.actions.add(a);
    for (const r of got.resourceOps) all.resourceOps.add(r);
    const granted = actionsOf(operation);
    expect(
      [...got.actions].filter((a) => !granted.has(a as never)).sort(),
      `${operation}: called but not in its policy`,
    ).to.deep.equal([]);
    const declared = new Set<string>(OPERATION_USES[operation]!.resources);
    expect(
      [...got.resourceOps].filter((r) => !declared.has(r)).sort(),
      `${operation}: resource operations its Pulumi updates made but it does not declare`,
    ).to.deep.equal([]);
    expect(
      [...got.resourceOps].filter(
        (r) => RESOURCE_ACTIONS[r.split(" ")[0]!]?.[r.split(" ")[1] as "create"] === undefined,
      ),
      "resource operations without their provider actions",
    ).to.deep.equal([]);
  }

  it("failover: prepare, abandon the prepared run, fail over cold, status", async function () {
    const w = await openWorld();
    try {
      await holds("failover", w, async () => {
        const since = await stageOutage(w, 30 * MIN);
        const prepared = asRun(await w.lib.failover({ yes: true, outageSince: since, prepare: true }));
        expect(prepared.phase, JSON.stringify(prepared.error)).to.equal("Completed");
        expect(asRun(await w.lib.abandon({ yes: true, run: prepared.id })).phase).to.equal("Completed");
        await w.target.world.advance(HOUR);
        expect(asRun(await w.lib.failover({ yes: true, outageSince: since })).phase).to.equal("Completed");
        await w.lib.status();
      });
    } finally {
      await w.close();
    }
  });

  it("failback, after a failover", async function () {
    const w = await openWorld(FAILED_OVER);
    try {
      await holds("failback", w, async () => {
        // The region returns an hour later: by then every client follows DR (no write strands).
        await w.target.world.advance(HOUR);
        recoverFaults(w.target.world, "region-outage");
        await w.target.world.advance(HOUR);
        const run = asRun(await w.lib.failback({ yes: true }));
        expect(run.phase, JSON.stringify(run.error)).to.equal("Completed");
      });
    } finally {
      await w.close();
    }
  });

  it("point-in-time restore: a wrong time abandoned, then the right one", async function () {
    const w = await openWorld();
    try {
      await holds("restore", w, async () => {
        await w.target.world.advance(20 * MIN);
        const before = w.target.clock.now();
        await injectFault(w.target.world, "data-corruption", {});
        await w.target.world.advance(30 * MIN);
        const wrong = asRun(await w.lib.restore({ yes: true, to: "-10m" }));
        expect(asRun(await w.lib.abandon({ yes: true, run: wrong.id })).phase).to.equal("Completed");
        const right = asRun(await w.lib.restore({ yes: true, to: new Date(before - MIN).toISOString() }));
        expect(right.phase, JSON.stringify(right.error)).to.equal("Completed");
      });
    } finally {
      await w.close();
    }
  });

  it("drills: manifest, posture check, restore drill, full drill, sweep", async function () {
    const w = await openWorld();
    try {
      await holds("drills", w, async () => {
        await w.target.world.advance(HOUR - (w.target.clock.now() % HOUR) + 50 * MIN);
        await w.lib.recordManifest({});
        for (const kind of ["posture", "restore", "full"] as const) {
          const run = asRun(await w.lib.drill(kind, {}));
          expect(run.phase, `${kind}: ${JSON.stringify(run.error)}`).to.be.oneOf(["Completed", "Failed"]);
        }
        await w.lib.sweep({});
        await w.lib.status(); // the region is up: Route 53's control plane answers the health check
      });
    } finally {
      await w.close();
    }
  });

  it("doctor", async function () {
    const w = await openWorld();
    try {
      await holds("doctor", w, async () => {
        const { findings } = await w.lib.doctor();
        expect(findings.map((f) => f.check)).to.include("permissions");
      });
    } finally {
      await w.close();
    }
  });

  it("together, the runs called every action the policy for all operations grants (but for failure-only ones)", function () {
    const unknown = OPERATIONS.flatMap((o) => OPERATION_USES[o]!.calls.filter((c) => PORT_ACTIONS[c] === undefined));
    expect(unknown, "declared calls that name no port method").to.deep.equal([]);
    const unused = [...actionsOf("all")].filter((a) => !all.actions.has(a) && !FAILURE_ONLY.has(a)).sort();
    expect(unused, "granted but never called").to.deep.equal([]);
    const declared = new Set(OPERATIONS.flatMap((o) => [...OPERATION_USES[o]!.resources]));
    expect(
      [...declared].filter((r) => !all.resourceOps.has(r)).sort(),
      "declared resource operations no run made",
    ).to.deep.equal([]);
    // The named four are among them.
    for (const a of ["rds-data:BeginTransaction", "sns:Publish", "rds:DeleteDBInstance", "rds:EnableHttpEndpoint"])
      expect(all.actions.has(a), a).to.equal(true);
  });

  it("prints valid policy JSON: every action once, in one statement, tag-scoped where it changes or deletes RDS/EC2", function () {
    const policy = iamPolicy(CONFIG, "sandbox", "all", "000000000000");
    const actions = policy.Statement.flatMap((s) => s.Action);
    expect(new Set(actions).size).to.equal(actions.length);
    expect(new Set(actions)).to.deep.equal(new Set([...actionsOf("all")]));
    const tagged = policy.Statement.find((s) => s.Action.includes("rds:DeleteDBCluster"))!;
    expect(tagged.Condition).to.deep.equal({ StringEquals: { "aws:ResourceTag/managed-by": "pilotlight" } });
    expect(policy.Statement.find((s) => s.Action.includes("sns:Publish"))!.Resource).to.equal(
      CONFIG.notifications.snsTopicArn,
    );
    expect(JSON.parse(JSON.stringify(policy))).to.deep.equal(policy);
  });
});
