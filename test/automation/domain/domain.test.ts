import { expect } from "chai";
import { formatDuration, parseDuration } from "../../../automation/domain/objectives";
import { findPlanProblems } from "../../../automation/domain/plan";
import { decideTerminalPhase, prepareResume, createRun, type Step, type StepState } from "../../../automation/domain/run";

const s = (id: string, state: StepState, extra: Partial<Step> = {}): Step => ({ id, title: id, dependsOn: [], timeoutMs: 1, state, attempts: 1, ...extra });

describe("domain", function () {
  describe("parseDuration / formatDuration", function () {
    const cases: Array<[string, number | undefined]> = [
      ["90s", 90_000],
      ["15m", 900_000],
      ["1.5h", 5_400_000],
      ["2d", 172_800_000],
      ["250ms", 250],
      ["0m", undefined],
      ["15", undefined],
      ["1h30m", undefined],
      ["-1h", undefined],
    ];
    for (const [text, ms] of cases) it(`${text} → ${ms}`, () => expect(parseDuration(text)).to.equal(ms));
    it("formats compactly", function () {
      expect([42_000, 1_025_000, 10_920_000, 450].map(formatDuration)).to.deep.equal(["42s", "17m 05s", "3h 02m", "450ms"]);
    });
  });

  describe("findPlanProblems", function () {
    it("accepts a valid graph", function () {
      expect(findPlanProblems({ steps: [{ id: "a", title: "", dependsOn: [], timeoutMs: 1 }, { id: "b", title: "", dependsOn: ["a"], timeoutMs: 1, cleanup: true }] })).to.deep.equal([]);
    });
    it("finds duplicates, bad ids, and normal steps depending on cleanup steps", function () {
      const problems = findPlanProblems({
        steps: [
          { id: "a", title: "", dependsOn: [], timeoutMs: 1 },
          { id: "a", title: "", dependsOn: [], timeoutMs: 1 },
          { id: "Bad_Id", title: "", dependsOn: [], timeoutMs: 1 },
          { id: "c", title: "", dependsOn: [], timeoutMs: 1, cleanup: true },
          { id: "d", title: "", dependsOn: ["c"], timeoutMs: 1 },
        ],
      });
      expect(problems).to.have.length(3);
      expect(problems.join("\n")).to.contain('"a" is used twice').and.contain("Bad_Id").and.contain('depends on cleanup step "c"');
    });
    it("reports an empty plan", () => expect(findPlanProblems({ steps: [] })).to.deep.equal(["the plan has no steps"]));
  });

  describe("decideTerminalPhase", function () {
    const table: Array<[string, Step[], boolean, string]> = [
      ["all succeeded", [s("a", "Succeeded"), s("z", "Succeeded", { cleanup: true })], false, "Completed"],
      ["aborted wins", [s("a", "Succeeded")], true, "Interrupted"],
      ["critical failure", [s("a", "Failed"), s("z", "Succeeded", { cleanup: true })], false, "Failed"],
      ["timeout is a failure", [s("a", "TimedOut")], false, "Failed"],
      ["skipped normal step", [s("a", "Succeeded"), s("b", "Skipped")], false, "Failed"],
      ["cleanup failed", [s("a", "Succeeded"), s("z", "Failed", { cleanup: true })], false, "PartiallyFailed"],
      ["non-critical failed", [s("a", "Succeeded"), s("n", "Failed", { critical: false })], false, "PartiallyFailed"],
    ];
    for (const [name, steps, aborted, phase] of table) it(name, () => expect(decideTerminalPhase(steps, aborted)).to.equal(phase));
  });

  describe("prepareResume", function () {
    it("keeps succeeded steps and external references, re-arms the rest and every cleanup step", function () {
      const run = createRun({ id: "r", kind: "failover", target: "t", spec: {}, steps: [], now: 0 });
      run.phase = "Failed";
      run.error = { code: "step.failed", source: "aws", message: "x" };
      run.steps = [
        s("a", "Succeeded", { output: 1 }),
        s("b", "Failed", { external: { kind: "job", id: "j", recordedAt: 0 }, error: { code: "step.failed", source: "aws", message: "x" }, endedAt: 5 }),
        s("z", "Succeeded", { cleanup: true }),
      ];
      const next = prepareResume(run);
      expect(next.phase).to.equal("InProgress");
      expect(next).not.to.have.property("error");
      expect(next.steps.map((x) => x.state)).to.deep.equal(["Succeeded", "Pending", "Pending"]);
      expect(next.steps[1]).to.deep.include({ external: { kind: "job", id: "j", recordedAt: 0 } });
      expect(next.steps[1]).not.to.have.property("error");
      expect(next.steps[0]!.output).to.equal(1);
    });
  });
});
