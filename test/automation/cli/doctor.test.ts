import { expect } from "chai";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../../automation/cli/run-cli";
import { openPilotlight } from "../../../drills/index";
import { capturingIo } from "../../support/cli-io";
import { FRESH, fixture } from "../../support/world";

const REAL = `
environments:
  prod:
    primary: { region: us-east-1, vault: pilotlight-prod-primary }
    dr: { region: us-west-2, vault: pilotlight-prod-dr }
`;

/** The AWS SDK reads credentials from the process environment: none, for the length of `fn`. */
async function withoutAwsCredentials<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith("AWS_")) delete process.env[k];
  Object.assign(process.env, {
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: join(dir, "none"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
  });
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe("CLI: doctor and iam-policy", function () {
  this.timeout(300_000);

  it("doctor on a real target without the pulumi CLI or credentials: exit 3, each missing thing named with its fix, no trace", async function () {
    const dir = mkdtempSync(join(tmpdir(), "pilotlight-doctor-"));
    writeFileSync(join(dir, "prod.yaml"), REAL);
    let opened = 0;
    const { io, written } = capturingIo({
      cwd: dir,
      env: { PATH: "/nonexistent", HOME: dir },
      openPilotlight: async (o) => ((opened += 1), openPilotlight(o)),
    });
    const code = await withoutAwsCredentials(dir, () =>
      runCli(["doctor", "--env", "prod", "--config", "prod.yaml", "--json"], io),
    );
    expect(code, written.stderr).to.equal(3);
    const out = JSON.parse(written.stdout) as {
      ready: boolean;
      findings: Array<{ check: string; status: string; fix?: string }>;
    };
    expect(out.ready).to.equal(false);
    expect(out.findings.map((f) => [f.check, f.status])).to.deep.equal([
      ["pulumi CLI", "fail"],
      ["AWS credentials", "fail"],
    ]);
    for (const f of out.findings) expect(f.fix, f.check).to.be.a("string").and.not.equal("");
    expect(written.stdout + written.stderr).not.to.match(/\n\s+at /); // no stack trace
    expect(opened, "nothing opened before the prerequisites hold").to.equal(0);
  });

  it("doctor --sandbox runs every check against the world and reports each", async function () {
    const dir = mkdtempSync(join(tmpdir(), "pilotlight-doctor-"));
    mkdirSync(join(dir, ".pilotlight", "sandbox"), { recursive: true });
    cpSync(await fixture(FRESH), join(dir, ".pilotlight", "sandbox", "world"), { recursive: true });
    const { io, written } = capturingIo({ cwd: dir, openPilotlight });
    const code = await runCli(["doctor", "--sandbox", "--json"], io);
    const out = JSON.parse(written.stdout) as {
      env: string;
      ready: boolean;
      findings: Array<{ check: string; status: string }>;
    };
    const checks = out.findings.map((f) => f.check);
    for (const c of [
      "identity",
      "state backend reachable",
      "primary vault",
      "DR vault",
      "recovery points",
      "backup opt-in",
      "data api on the primary",
      "DR engine and class orderable",
      "DR class serves the Data API",
      "DR workload runtime",
      "hosted zone",
      "permissions",
    ]) {
      expect(checks, c).to.include(c);
    }
    expect(out.findings.find((f) => f.check === "DR workload runtime")!.status).to.equal("ok");
    expect(code).to.equal(out.ready ? 0 : 1);
  });

  it("iam-policy prints the policy as JSON, for one operation or all; an unknown operation is refused by name", async function () {
    const dir = mkdtempSync(join(tmpdir(), "pilotlight-iam-"));
    const run = async (args: string[]) => {
      const { io, written } = capturingIo({
        cwd: dir,
        openPilotlight: () => Promise.reject(new Error("iam-policy needs no library")),
      });
      return { code: await runCli(args, io), ...written };
    };
    const all = await run(["iam-policy", "--sandbox", "--env", "sandbox", "--operation", "all"]);
    expect(all.code, all.stderr).to.equal(0);
    const actions = (JSON.parse(all.stdout) as { Statement: Array<{ Action: string[] }> }).Statement.flatMap(
      (s) => s.Action,
    );
    expect(actions).to.include.members([
      "rds-data:BeginTransaction",
      "sns:Publish",
      "rds:DeleteDBInstance",
      "rds:EnableHttpEndpoint",
    ]);
    const failover = await run(["iam-policy", "--sandbox", "--operation", "failover", "--account", "123456789012"]);
    const fo = JSON.parse(failover.stdout) as { Statement: Array<{ Action: string[]; Resource: string | string[] }> };
    expect(fo.Statement.flatMap((s) => s.Action).length).to.be.lessThan(actions.length);
    expect(JSON.stringify(fo)).to.contain("123456789012").and.not.contain(":*:cluster");
    const bad = await run(["iam-policy", "--sandbox", "--operation", "everything"]);
    expect(bad.code).to.equal(3);
    expect(bad.stderr).to.contain("--operation everything").and.contain("failover");
  });
});
