import type { Clock } from "../ports/clock";
import type { Health, ProbeResult } from "../ports/health";

/**
 * HTTP probe of the workload: `GET <url>` (with `?probe=rw` for a read/write probe) must answer
 * 200 with `{"status":"healthy","database":{"status":"healthy"}}` within the timeout.
 */
export class HttpHealth implements Health {
  constructor(
    private readonly clock: Clock,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async probe(q: { url: string; timeoutMs: number; signal?: AbortSignal; readWrite?: boolean }): Promise<ProbeResult> {
    const url = new URL(q.url);
    if (q.readWrite === true) url.searchParams.set("probe", "rw");
    const started = this.clock.now();
    const signals = [AbortSignal.timeout(q.timeoutMs), ...(q.signal === undefined ? [] : [q.signal])];
    try {
      const res = await this.fetchFn(url, {
        signal: AbortSignal.any(signals),
        headers: { accept: "application/json" },
      });
      const latencyMs = this.clock.now() - started;
      const body = (await res.json().catch(() => undefined)) as
        { status?: string; database?: { status?: string; readWrite?: string } } | undefined;
      const databaseHealthy = body?.database?.status === "healthy";
      const ok =
        res.status === 200 &&
        body?.status === "healthy" &&
        databaseHealthy &&
        (q.readWrite !== true || body?.database?.readWrite === "ok");
      return ok
        ? { ok, status: res.status, latencyMs, databaseHealthy }
        : {
            ok,
            status: res.status,
            latencyMs,
            databaseHealthy,
            reason: `status ${res.status}, body ${JSON.stringify(body ?? null).slice(0, 200)}`,
          };
    } catch (error) {
      const latencyMs = this.clock.now() - started;
      const timedOut = (error as Error).name === "TimeoutError";
      return {
        ok: false,
        latencyMs,
        reason: timedOut ? `no answer within ${q.timeoutMs} ms` : (error as Error).message,
      };
    }
  }
}
