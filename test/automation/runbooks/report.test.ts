import { expect } from "chai";
import { createRun } from "../../../automation/domain/run";
import { buildRunReport } from "../../../automation/runbooks/report";
import { escapeHtml } from "../../../automation/runbooks/report-html";

describe("run reports", function () {
  const run = createRun({
    id: "restore-drill-1",
    kind: "restore-drill",
    target: "drill:env:prod",
    spec: { facts: { recoveryPoint: { arn: "arn:aws:rds:us-west-2:1:cluster-snapshot:x", vault: "v", createdAt: 0 } } },
    steps: [
      { id: "stand-up-drill", title: "Restore <the newest copy>", dependsOn: [], timeoutMs: 1 },
      { id: "validate", title: "Validate", dependsOn: ["stand-up-drill"], timeoutMs: 1 },
    ],
    now: 0,
  });
  run.phase = "Failed";
  run.startedAt = 0;
  run.endedAt = 3_600_000;
  run.steps[0] = { ...run.steps[0]!, state: "Succeeded", startedAt: 0, endedAt: 2_700_000 };
  run.steps[1] = {
    ...run.steps[1]!,
    state: "Failed",
    startedAt: 2_700_000,
    endedAt: 3_600_000,
    error: { code: "validation.failed", source: "system", message: "public.orders damaged keys 64..127 & more" },
  };
  run.measurements = { rtoMs: 2_700_000, rpoMs: 5_400_000 };

  it("judges achieved figures against the targets in every format", function () {
    const r = buildRunReport(run, { rtoMs: 4 * 3_600_000, rpoMs: 3_600_000 }, "Restore drill of prod");
    expect(r.markdown).to.contain("| RTO (declaration → workload healthy) | 4h 00m | 45m 00s | met |");
    expect(r.markdown).to.contain("| RPO (recovery point age) | 1h 00m | 1h 30m | MISSED |");
    expect(r.summary).to.deep.include({ phase: "Failed" });
    expect(r.html).to.contain('<td class="ok">met</td>').and.contain('<td class="bad">MISSED</td>');
  });

  it("names the run store, state backend and reports folder when given them", function () {
    const locations = {
      baseDir: "/srv/pl",
      store: "postgres://pl@db/runs",
      stateBackend: "s3://state/pl",
      reportsDir: "/srv/pl/reports",
      projectDir: "/srv/pl",
    };
    const r = buildRunReport(run, { rtoMs: 1, rpoMs: 1 }, "t", locations);
    expect(JSON.parse(r.json).summary.locations).to.deep.equal(locations);
    expect(r.markdown).to.contain("Run store `postgres://pl@db/runs`, state backend `s3://state/pl`");
  });

  it("draws a timeline chart and escapes what it shows", function () {
    const html = buildRunReport(run, { rtoMs: 4 * 3_600_000, rpoMs: 3_600_000 }, "Restore drill of prod").html!;
    expect(html).to.contain("<svg").and.contain('aria-label="Timeline of run restore-drill-1"');
    expect((html.match(/<rect /g) ?? []).length).to.equal(2);
    expect(html).to.contain("damaged keys 64..127 &amp; more").and.contain("Restore &lt;the newest copy&gt;");
    expect(escapeHtml(`<a href="x">'</a>`)).to.equal("&lt;a href=&quot;x&quot;&gt;&#39;&lt;/a&gt;");
  });
});
