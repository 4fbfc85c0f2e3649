import { SystemClock } from "../automation/adapters/system-clock";
import type { EventSink } from "../automation/domain/events";
import type { Pilotlight } from "../automation/library";
import { serveMetrics } from "./metrics";
import { DrillScheduler, clockCron, nodeCron } from "./scheduler";

/**
 * `pilotlight drills`: the scheduler from the configuration and, when asked, a Prometheus
 * endpoint, until `signal` aborts; then running drills are interrupted (their cleanup still runs)
 * and awaited. On the sandbox's virtual clock the schedule follows that clock.
 */
export async function serveDrills(
  lib: Pilotlight,
  o: { sink: EventSink; signal: AbortSignal; metricsPort?: number },
): Promise<void> {
  const cron = lib.clock instanceof SystemClock ? nodeCron : clockCron(lib.clock);
  const scheduler = new DrillScheduler({
    lib,
    config: lib.config,
    store: lib.store,
    cron,
    clock: lib.clock,
    sink: o.sink,
  });
  const server =
    o.metricsPort === undefined ? undefined : await serveMetrics(() => lib.runs.list({ limit: 500 }), o.metricsPort);
  try {
    await scheduler.start();
    await new Promise<void>((resolve) =>
      o.signal.aborted ? resolve() : o.signal.addEventListener("abort", () => resolve(), { once: true }),
    );
  } finally {
    await scheduler.stop();
    server?.close();
  }
}
