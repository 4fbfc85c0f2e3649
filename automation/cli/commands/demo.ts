import { PilotlightError } from "../../domain/errors";
import type { CommandModule } from "../context";

/** `demo`: the whole story on the sandbox (primary, outage, failover, report, failback). */
export const demoCommand: CommandModule = {
  command: "demo",
  describe: "Rehearse a regional outage end to end on the sandbox and print the measured RTO/RPO",
  builder: (y) => y as never,
  handler: async () => {
    throw new PilotlightError("runbook.not-built", "the sandbox demo is not built yet in this version of pilotlight", {
      source: "system",
      hint: "see the README's roadmap; `npm test` shows what is built",
    });
  },
};
