/**
 * Issue 17's acceptance check, against a PostgreSQL server (`npm run test:pg`):
 * `PILOTLIGHT_REPORTS_DIR=/tmp/x pilotlight status --config f.yaml` with a file naming an `s3://`
 * state backend and a `postgres://` store shows both unchanged.
 */
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../automation/cli/run-cli";
import { redactUrl } from "../../../automation/domain/redact";
import { openPilotlight } from "../../../drills/index";
import { capturingIo } from "../../support/cli-io";
import { TestDatabases } from "../../support/pg-databases";

describe("CLI status on a PostgreSQL store with an environment override", function () {
  this.timeout(60_000);
  const databases = new TestDatabases("pilotlight_status");
  after(async function () {
    await databases.dropAll();
  });

  it("PILOTLIGHT_REPORTS_DIR leaves the file's s3 state backend and postgres store as they are", async function () {
    const dir = mkdtempSync(join(tmpdir(), "pilotlight-status-pg-"));
    const store = await databases.fresh();
    const stateBackend = "s3://team-state/pilotlight?region=eu-west-1";
    const environments = {
      prod: {
        primary: { region: "us-east-1", vault: "primary-vault" },
        dr: { region: "us-west-2", vault: "dr-vault" },
        objectives: { rto: "4h", rpo: "1h" },
      },
    };
    writeFileSync(join(dir, "f.yaml"), JSON.stringify({ stateBackend, store: { url: store }, environments }));
    const env = { PILOTLIGHT_REPORTS_DIR: "/tmp/x", PATH: "/nonexistent" };
    const { io, written } = capturingIo({ cwd: dir, env, openPilotlight });
    const code = await runCli(["status", "--config", "f.yaml", "--json"], io);
    expect(code, written.stderr).to.equal(0);
    const { locations } = JSON.parse(written.stdout);
    expect(locations).to.deep.include({ store: redactUrl(store), stateBackend, reportsDir: "/tmp/x" });
  });
});
