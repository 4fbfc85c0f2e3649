import fc from "fast-check";
import { Workbench } from "./pglite-pair";
import { caseArb } from "./truth/cases";
import { runCase } from "./truth/oracle";

/**
 * The truth suite's soak run: many more generated cases than `npm test` runs. The seed is fixed
 * (SOAK_SEED overrides it, SOAK_RUNS the number of cases) so that a failure can be replayed.
 */
describe("validation truth suite (soak)", function () {
  this.timeout(0);
  let bench: Workbench;
  before(async function () {
    bench = await Workbench.create();
  });
  after(async function () {
    await bench.close();
  });

  it("names exactly the defect of every generated case, and finds every untouched copy equal", async function () {
    const seed = Number(process.env["SOAK_SEED"] ?? 13);
    const numRuns = Number(process.env["SOAK_RUNS"] ?? 500);
    await fc.assert(
      fc.asyncProperty(caseArb, (c) => runCase(bench, c)),
      { seed, numRuns, endOnFailure: true },
    );
  });
});
