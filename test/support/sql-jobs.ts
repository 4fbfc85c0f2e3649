import { PilotlightError } from "../../automation/domain/errors";
import type { StepHandlers } from "../../automation/engine/step-context";
import type { SqlClient } from "../../automation/ports/sql";

/**
 * Restore-job handlers whose "external service" is a table, so that it survives the process
 * that started the job: starting with the same idempotency token returns the same job.
 * `wait` is what the handler does after recording the job (block, or return to complete).
 */
export function restoreHandlers(sql: SqlClient, wait: () => Promise<void>): StepHandlers {
  return {
    restore: async (ctx) => {
      await sql.query("CREATE TABLE IF NOT EXISTS test_jobs (id serial PRIMARY KEY, token text UNIQUE NOT NULL)");
      if (ctx.external !== undefined) {
        const { rows } = await sql.query<{ id: number }>("SELECT id FROM test_jobs WHERE id = $1", [
          Number(ctx.external.id),
        ]);
        if (rows.length !== 1)
          throw new PilotlightError("step.failed", `job ${ctx.external.id} vanished`, { source: "aws" });
        return { jobId: ctx.external.id };
      }
      const token = `${ctx.runId}/${ctx.step.id}`;
      await sql.query("INSERT INTO test_jobs (token) VALUES ($1) ON CONFLICT (token) DO NOTHING", [token]);
      const { rows } = await sql.query<{ id: number }>("SELECT id FROM test_jobs WHERE token = $1", [token]);
      await ctx.recordExternal({ kind: "restore-job", id: String(rows[0]!.id) });
      await wait();
      return { jobId: String(rows[0]!.id) };
    },
  };
}

/** Number of jobs ever started. */
export async function countJobs(sql: SqlClient): Promise<number> {
  const { rows } = await sql.query<{ n: string | number }>("SELECT count(*) AS n FROM test_jobs");
  return Number(rows[0]!.n);
}
