import { DEMO_FOLDER } from "../demo-folder";
import type { CommandModule } from "../context";
import { EXIT } from "../exit-codes";

/** `demo`: the whole story on a fresh sandbox world (primary, outage, failover, report, failback). */
export const demoCommand: CommandModule = {
  command: "demo",
  describe: `Rehearse a regional outage end to end on a fresh sandbox world (${DEMO_FOLDER}): failover, measured RTO/RPO, failback, teardown`,
  builder: (y) =>
    y.example("$0 demo", "about half a minute; reports land in .pilotlight/sandbox/demo/reports") as never,
  handler: async (ctx, args) => {
    const r = ctx.renderer(args);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the sandbox loads only for this command
    const { runDemo } = require("../demo-story") as typeof import("../demo-story");
    const summary = await runDemo(
      ctx.io.openPilotlight,
      {
        cwd: ctx.io.cwd,
        env: ctx.io.env,
        ...(args.config === undefined ? {} : { configFile: args.config }),
        onEvent: (e) =>
          e.code === "run.finished" || e.code === "step.failed" || e.level === "warn" ? r.event(e) : undefined,
      },
      (line) => (r.mode === "json" ? undefined : ctx.io.stderr.write(`${line}\n`)),
    );
    const lines = [
      "",
      `failover ${summary.failover.phase}: report ${summary.failover.report ?? "-"}`,
      `failback ${summary.failback.phase}: report ${summary.failback.report ?? "-"}`,
    ];
    r.result(summary, lines.join("\n"));
    ctx.setExit(
      summary.failover.phase === "Completed" && summary.failback.phase === "Completed" ? EXIT.ok : EXIT.runFailed,
    );
  },
};
