import fc from "fast-check";
import { Workbench } from "../pglite-pair";
import { caseArb } from "./cases";
import { runCase } from "./oracle";

/**
 * Declares the truth suite's property test: generated cases (schema, rows, one defect) run on
 * real SQL, `numRuns` of them from `seed` (fixed, so that a failure replays).
 */
export function describeTruthSuite(title: string, o: { seed: number; numRuns: number; timeout: number }): void {
  describe(title, function () {
    this.timeout(o.timeout);
    let bench: Workbench;
    before(async function () {
      bench = await Workbench.create();
    });
    after(async function () {
      await bench.close();
    });

    it("names exactly the defect of every generated case, and finds every untouched copy equal", async function () {
      await fc.assert(
        fc.asyncProperty(caseArb, (c) => runCase(bench, c)),
        { seed: o.seed, numRuns: o.numRuns, endOnFailure: true },
      );
    });
  });
}
