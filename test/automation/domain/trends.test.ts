import { expect } from "chai";
import type { Run, RunPhase } from "../../../automation/domain/run";
import { computeTrends, sparkline } from "../../../automation/domain/trends";

const MIN = 60_000;

/** A finished restore drill of day `d` whose restore took `restore` minutes. */
function drill(d: number, phase: RunPhase, restore: number, rto?: number, rpo?: number, env = "prod"): Run {
  const at = Date.UTC(2026, 2, d, 3);
  return {
    id: `restore-drill-${d}`,
    kind: "restore-drill",
    target: `drill:restore:env:${env}`,
    spec: { env },
    phase,
    steps: [
      {
        id: "stand-up-drill",
        title: "",
        dependsOn: [],
        timeoutMs: 1,
        state: phase === "Failed" ? "Failed" : "Succeeded",
        attempts: 1,
        startedAt: at,
        endedAt: at + restore * MIN,
      },
    ],
    createdAt: at,
    updatedAt: at,
    startedAt: at,
    endedAt: at + 90 * MIN,
    attempts: 1,
    measurements: {
      ...(rto === undefined ? {} : { rtoMs: rto * MIN }),
      ...(rpo === undefined ? {} : { rpoMs: rpo * MIN }),
    },
  };
}

describe("trends", function () {
  const objectives = () => ({ rtoMs: 60 * MIN, rpoMs: 120 * MIN });

  it("summarises completed runs per environment and kind, oldest first, failures counted but not averaged", function () {
    const runs = [
      drill(3, "Completed", 40, 50, 180),
      drill(1, "Completed", 30, 40, 170),
      drill(2, "Failed", 0),
      drill(4, "Completed", 50, 70, 100),
      drill(5, "Completed", 60, 80, 110),
      drill(1, "Completed", 1, 1, 1, "stage"),
    ];
    const [prod, stage] = [
      computeTrends(runs, objectives).find((t) => t.env === "prod")!,
      computeTrends(runs, objectives).find((t) => t.env === "stage")!,
    ];
    expect(prod.points.map((p) => p.runId)).to.deep.equal([
      "restore-drill-1",
      "restore-drill-2",
      "restore-drill-3",
      "restore-drill-4",
      "restore-drill-5",
    ]);
    expect(prod.outcomes).to.deep.equal({ Completed: 4, Failed: 1 });
    expect(prod.successRate).to.equal(0.8);
    expect(prod.metrics.restoreMs).to.deep.include({
      n: 4,
      last: 60 * MIN,
      p50: 40 * MIN,
      p95: 60 * MIN,
      max: 60 * MIN,
      objectiveMs: null,
      overObjective: 0,
    });
    // RTO 40, 50, 70, 80 against 60: two over; the newer half (70, 80) is slower than the older (40, 50).
    expect(prod.metrics.rtoMs).to.deep.include({ overObjective: 2, drift: 30 * MIN, objectiveMs: 60 * MIN });
    expect(prod.metrics.rpoMs).to.deep.include({ overObjective: 2, drift: -70 * MIN });
    expect(stage.runs).to.equal(1);
    expect(stage.metrics.rtoMs.drift).to.equal(null);
  });

  it("leaves runs still in progress out, and draws failures as × on the sparkline", function () {
    const running = { ...drill(6, "InProgress", 10) };
    delete running.endedAt;
    const [t] = computeTrends(
      [drill(1, "Completed", 10), drill(2, "Failed", 0), drill(3, "Completed", 80), running],
      objectives,
    );
    expect(t!.runs).to.equal(3);
    expect(sparkline(t!.points, "restoreMs")).to.equal("▁×█");
  });
});
