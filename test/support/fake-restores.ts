import type { Clock } from "../../automation/ports/clock";

/** A job of {@link FakeRestores}. */
export interface FakeJob {
  id: string;
  token: string;
  startedAt: number;
  doneAt: number;
  fail: boolean;
}

/**
 * An in-test external service with AWS Backup's restore-job semantics that matter to the engine:
 * a job takes time on the (virtual) clock, and starting twice with one idempotency token returns
 * the same job. `starts` counts real starts, so a test can prove no second restore began.
 */
export class FakeRestores {
  readonly jobs = new Map<string, FakeJob>();
  starts = 0;
  polls = 0;
  onPoll?: (n: number) => void;

  constructor(
    private readonly clock: Clock,
    private readonly durationMs: number,
    private readonly failing = false,
  ) {}

  start(token: string): string {
    for (const job of this.jobs.values()) if (job.token === token) return job.id;
    this.starts += 1;
    const id = `job-${this.starts}`;
    this.jobs.set(id, {
      id,
      token,
      startedAt: this.clock.now(),
      doneAt: this.clock.now() + this.durationMs,
      fail: this.failing,
    });
    return id;
  }

  status(id: string): "RUNNING" | "COMPLETED" | "FAILED" {
    this.polls += 1;
    this.onPoll?.(this.polls);
    const job = this.jobs.get(id);
    if (job === undefined) throw new Error(`no job ${id}`);
    if (this.clock.now() < job.doneAt) return "RUNNING";
    return job.fail ? "FAILED" : "COMPLETED";
  }
}
