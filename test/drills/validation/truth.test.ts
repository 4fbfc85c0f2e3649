import fc from "fast-check";
import { Workbench } from "./pglite-pair";
import { caseArb } from "./truth/cases";
import { runCase } from "./truth/oracle";

/**
 * The generated truth suite (a short, seeded run; `truth.soak.ts` runs it long): schemas of every
 * column type and key shape, partitions and odd names, each with one defect, on real SQL — the
 * verdict names exactly the defect, and an untouched copy is equal.
 */
describe("validation truth suite (generated, seeded)", function () {
  this.timeout(120_000);
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
      { seed: 20260101, numRuns: 30, endOnFailure: true },
    );
  });
});
