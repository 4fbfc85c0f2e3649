import { withLibrary, type CommandModule } from "../context";
import { exitCodeOfPhase } from "../exit-codes";
import { describeRun } from "../render";

/** `resume RUN_ID`: continue an interrupted or failed run, re-attaching to in-flight work. */
export const resumeCommand: CommandModule = {
  command: "resume <runId>",
  describe: "Continue a run that was interrupted, failed, or whose process died; never restarts completed work",
  builder: (y) =>
    y
      .positional("runId", { type: "string", demandOption: true, describe: "the run to continue (see `runs list`)" })
      .example("$0 resume failover-20260101T000000-a1b2c3", "continue after the laptop died mid-failover") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const run = await lib.resume(args["runId"] as string, { signal: ctx.io.signal });
      r.result({ run }, describeRun(run));
      ctx.setExit(exitCodeOfPhase(run.phase));
    }),
};
