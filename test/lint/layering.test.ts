import { expect } from "chai";
import { join } from "node:path";

const root = join(__dirname, "..", "..");

/** Lints one import line as if it were written in `file`, with the layering rules of eslint.config.mjs only. */
async function restricted(file: string, from: string): Promise<string[]> {
  const { ESLint } = await import("eslint");
  const tseslint = (await import("typescript-eslint")).default;
  const { layers } = (await import(join(root, "eslint.config.mjs"))) as { layers: object[] };
  const eslint = new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [{ files: ["**/*.ts"], languageOptions: { parser: tseslint.parser } }, ...layers],
  });
  const [result] = await eslint.lintText(`import { x } from "${from}";\nexport const y = x;\n`, {
    filePath: join(root, file),
  });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe("the layering (npm run lint)", function () {
  this.timeout(20_000);

  const backEdges: [string, string][] = [
    ["automation/runbooks/failover.ts", "../adapters/aws-databases"],
    ["automation/runbooks/failover.ts", "../sandbox/target"],
    ["automation/adapters/aws-traffic.ts", "../runbooks/failover"],
    ["automation/adapters/iam/policy.ts", "../../sandbox/world"],
    ["automation/adapters/aws-ports.ts", "../../infra/program"],
    ["automation/domain/run.ts", "../ports/clock"],
    ["automation/ports/clock.ts", "../engine/engine"],
    ["automation/engine/engine.ts", "../runbooks/runbook"],
    ["automation/library.ts", "./sandbox/target"],
    ["automation/library.ts", "./targets/open"],
    ["infra/primary.ts", "../automation/domain/run"],
  ];
  for (const [file, from] of backEdges) {
    it(`refuses ${from} in ${file}`, async function () {
      expect(await restricted(file, from)).to.deep.equal(["no-restricted-imports"]);
    });
  }

  const allowed: [string, string][] = [
    ["automation/runbooks/failover.ts", "../ports/stacks"],
    ["automation/runbooks/failover.ts", "../../infra/contract"],
    ["automation/adapters/aws-ports.ts", "../ports/runbook-ports"],
    ["automation/ports/runbook-ports.ts", "./doctor"],
    ["automation/library.ts", "./runbooks/failover"],
    ["automation/sandbox/target.ts", "../../infra/program"],
  ];
  for (const [file, from] of allowed) {
    it(`allows ${from} in ${file}`, async function () {
      expect(await restricted(file, from)).to.deep.equal([]);
    });
  }
});
