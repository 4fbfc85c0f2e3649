import { expect } from "chai";
import { formatDuration, parseDuration, readDuration } from "../../../automation/domain/objectives";
import { readIsoTime, readRestoreTime } from "../../../automation/domain/time";
import { findPlanProblems } from "../../../automation/domain/plan";
import {
  decideTerminalPhase,
  prepareResume,
  createRun,
  type Step,
  type StepState,
} from "../../../automation/domain/run";

const s = (id: string, state: StepState, extra: Partial<Step> = {}): Step => ({
  id,
  title: id,
  dependsOn: [],
  timeoutMs: 1,
  state,
  attempts: 1,
  ...extra,
});

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
      ["365d", 365 * 86_400_000],
      ["366d", undefined],
      ["99999999999999999999d", undefined],
    ];
    for (const [text, ms] of cases) it(`${text} → ${ms}`, () => expect(parseDuration(text)).to.equal(ms));
    it("readDuration says which problem a text has", function () {
      expect(readDuration("0s")).to.deep.equal({ ok: false, problem: "not-positive" });
      expect(readDuration("99999999999999999999d")).to.deep.equal({ ok: false, problem: "too-long" });
      expect(readDuration("soon")).to.deep.equal({ ok: false, problem: "syntax" });
      expect(readDuration("2h", 3_600_000)).to.deep.equal({ ok: false, problem: "too-long" });
    });
    it("reads ISO 8601 times only, and restore times with bounds", function () {
      expect(readIsoTime("2026-01-19T13:00:00Z")).to.equal(Date.UTC(2026, 0, 19, 13));
      expect(readIsoTime("2026-01-19 13:00+01:00")).to.equal(Date.UTC(2026, 0, 19, 12));
      for (const bad of ["1", "Jan 2", "not a time", "2026-13-45T99:00:00Z", ""]) {
        expect(readIsoTime(bad), bad).to.equal(undefined);
      }
      expect(readRestoreTime("-45m", 3_600_000)).to.deep.equal({ ok: true, ms: 900_000 });
      expect(readRestoreTime("-99999999999999999999d", 0)).to.deep.include({ ok: false });
      expect(readRestoreTime("-0m", 0)).to.deep.equal({ ok: false, problem: "must lie before now" });
    });
    it("formats compactly", function () {
      expect([42_000, 1_025_000, 10_920_000, 450].map(formatDuration)).to.deep.equal([
        "42s",
        "17m 05s",
        "3h 02m",
        "450ms",
      ]);
    });
  });

  describe("findPlanProblems", function () {
    it("accepts a valid graph", function () {
      expect(
        findPlanProblems({
          steps: [
            { id: "a", title: "", dependsOn: [], timeoutMs: 1 },
            { id: "b", title: "", dependsOn: ["a"], timeoutMs: 1, cleanup: true },
          ],
        }),
      ).to.deep.equal([]);
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
      expect(problems.join("\n"))
        .to.contain('"a" is used twice')
        .and.contain("Bad_Id")
        .and.contain('depends on cleanup step "c"');
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
    for (const [name, steps, aborted, phase] of table)
      it(name, () => expect(decideTerminalPhase(steps, aborted)).to.equal(phase));
  });

  describe("prepareResume", function () {
    it("keeps succeeded steps and external references, re-arms the rest and every cleanup step", function () {
      const run = createRun({ id: "r", kind: "failover", target: "t", spec: {}, steps: [], now: 0 });
      run.phase = "Failed";
      run.error = { code: "step.failed", source: "aws", message: "x" };
      run.steps = [
        s("a", "Succeeded", { output: 1 }),
        s("b", "Failed", {
          external: { kind: "job", id: "j", recordedAt: 0 },
          error: { code: "step.failed", source: "aws", message: "x" },
          endedAt: 5,
        }),
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
