import type { EnvironmentConfig } from "../config/schema";
import type { Run } from "../domain/run";
import type { StepHandler } from "../engine/step-context";
import type { RunbookPorts } from "./ports";
import { buildNotification, buildRunReport } from "./report";

/**
 * The cleanup step every runbook ends with: writes the report (Markdown + JSON) and notifies
 * stakeholders with the measured figures, whatever the run's outcome. A failed notification is
 * an event, never a lost report.
 */
export function reportStep(ports: RunbookPorts, env: EnvironmentConfig, titled: string | ((run: Run) => string), where: (run: Run) => string): StepHandler {
  return async (ctx) => {
    const run = ctx.run();
    const title = typeof titled === "string" ? titled : titled(run);
    // The report describes the outcome of the steps before it.
    const outcome: Run = { ...run, phase: run.steps.some((s) => s.id !== ctx.step.id && s.state !== "Succeeded") ? "Failed" : "Completed", endedAt: ctx.clock.now() };
    const targets = { rtoMs: env.objectives.rto, rpoMs: env.objectives.rpo };
    const report = buildRunReport(outcome, targets, title);
    const paths = await ctx.clock.track(ports.reports.write(run.id, report));
    ctx.progress(`report written to ${paths.markdown}`, { markdown: paths.markdown, json: paths.json });
    try {
      await ctx.clock.track(ports.notifier.notify(buildNotification(outcome, targets, title, where(outcome))));
    } catch (error) {
      ctx.progress(`notification failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    return { ...paths, summary: report.summary };
  };
}
