import { describeTruthSuite } from "./truth/suite";

/**
 * The truth suite's soak run: many more generated cases than `npm test` runs. The seed is fixed
 * (SOAK_SEED overrides it, SOAK_RUNS the number of cases) so that a failure can be replayed.
 */
describeTruthSuite("validation truth suite (soak)", {
  seed: Number(process.env["SOAK_SEED"] ?? 13),
  numRuns: Number(process.env["SOAK_RUNS"] ?? 500),
  timeout: 0,
});
