import { describeTruthSuite } from "./truth/suite";

/**
 * The generated truth suite, a short seeded run (`truth.soak.ts` runs it long): schemas of every
 * column type and key shape, partitions and odd names, each with one defect, on real SQL — the
 * verdict names exactly the defect, and an untouched copy is equal.
 */
describeTruthSuite("validation truth suite (generated, seeded)", { seed: 20260101, numRuns: 30, timeout: 120_000 });
