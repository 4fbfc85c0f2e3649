import { expect } from "chai";
import type { AddressInfo } from "node:net";
import { createRun, type Run } from "../../automation/domain/run";
import { renderMetrics, serveMetrics } from "../../drills/metrics";

function run(
  id: string,
  kind: Run["kind"],
  phase: Run["phase"],
  endedAt: number,
  measurements: Record<string, number> = {},
): Run {
  const r = createRun({ id, kind, target: "t", spec: { env: "prod" }, steps: [], now: 0 });
  return { ...r, phase, endedAt, measurements };
}

describe("Prometheus metrics", function () {
  const runs = [
    run("a", "restore-drill", "Completed", 86_400_000, { rtoMs: 2_700_000, rpoMs: 1_800_000 }),
    run("b", "restore-drill", "Failed", 2 * 86_400_000),
    run("c", "posture-check", "Completed", 3_600_000),
  ];

  it("exposes last success time, last outcome, RTO/RPO gauges and outcome counts", function () {
    const text = renderMetrics(runs);
    expect(text).to.contain('pilotlight_last_success_timestamp_seconds{env="prod",kind="restore-drill"} 86400');
    expect(text).to.contain('pilotlight_last_run_failed{env="prod",kind="restore-drill"} 1');
    expect(text).to.contain('pilotlight_rto_seconds{env="prod",kind="restore-drill"} 2700');
    expect(text).to.contain('pilotlight_rpo_seconds{env="prod",kind="restore-drill"} 1800');
    expect(text).to.contain('pilotlight_runs{env="prod",kind="restore-drill",phase="Failed"} 1');
    expect(text).to.contain('pilotlight_last_run_failed{env="prod",kind="posture-check"} 0');
  });

  it("serves /metrics over HTTP on loopback and 404s anything else", async function () {
    const server = await serveMetrics(async () => runs, 0);
    try {
      const { port } = server.address() as AddressInfo;
      const ok = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(ok.status).to.equal(200);
      expect(await ok.text()).to.contain("pilotlight_runs");
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).to.equal(404);
    } finally {
      server.close();
    }
  });

  it("a port already in use is a clear configuration error naming the port, not a crash", async function () {
    const taken = await serveMetrics(async () => runs, 0);
    const { port } = taken.address() as AddressInfo;
    try {
      const e = await serveMetrics(async () => runs, port).then(
        () => expect.fail("expected a refusal"),
        (error: unknown) => error as { code?: string; message: string; source?: string },
      );
      expect(e).to.deep.include({ code: "config.invalid", source: "user" });
      expect(e.message).to.contain(`--metrics-port ${port}`);
    } finally {
      taken.close();
    }
  });
});
