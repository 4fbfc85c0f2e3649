import { expect } from "chai";
import { runCli } from "../../../automation/cli/run-cli";
import { PilotlightError } from "../../../automation/domain/errors";
import type { OpenedPilotlight, OpenOptions } from "../../../automation/targets/open";
import { capturingIo } from "../../support/cli-io";

/**
 * Every numeric and time argument is checked by the parser: a bad one is a usage error (exit 2)
 * naming the flag and an example, before any library is created — never "a bug" (exit 5) from
 * a NaN or a -1 reaching the store, a socket or a Date.
 */
describe("CLI: numeric and time arguments are validated by the parser", function () {
  async function cli(args: string[]): Promise<{ code: number; stderr: string; created: OpenOptions[] }> {
    const created: OpenOptions[] = [];
    const { io, written } = capturingIo({
      cwd: "/nonexistent",
      openPilotlight: async (options) => {
        created.push(options);
        throw new Error("the library must not be created for a bad argument");
      },
    });
    return { code: await runCli(args, io), stderr: written.stderr, created };
  }

  const BAD: Array<[string[], string, string]> = [
    [["runs", "list", "--limit", "-1"], "--limit", "--limit 20"],
    [["runs", "list", "--limit", "abc"], "--limit", "--limit 20"],
    [["runs", "list", "--limit", "0"], "--limit", "--limit 20"],
    [["runs", "list", "--limit", "1.5"], "--limit", "--limit 20"],
    [["runs", "list", "--limit", "99999999999999999999"], "--limit", "--limit 20"],
    [["runs", "list", "--limit", "5", "--limit", "6"], "--limit", "once"],
    [["runs", "trends", "--days", "abc"], "--days", "--days 30"],
    [["runs", "trends", "--days", "0"], "--days", "--days 30"],
    [["runs", "trends", "--days", "-3"], "--days", "--days 30"],
    [["drills", "--metrics-port", "-1"], "--metrics-port", "--metrics-port 9464"],
    [["drills", "--metrics-port", "70000"], "--metrics-port", "--metrics-port 9464"],
    [["drills", "--metrics-port", "abc"], "--metrics-port", "--metrics-port 9464"],
    [["failover", "--sandbox", "--before", "not a time"], "--before", "2026-01-19T13:00:00Z"],
    [["failover", "--sandbox", "--before", "1"], "--before", "2026-01-19T13:00:00Z"],
    [["failover", "--sandbox", "--outage-since", "junk"], "--outage-since", "2026-01-19T13:00:00Z"],
    [["failover", "--sandbox", "--outage-since", "2026-13-45T99:00:00Z"], "--outage-since", "2026-01-19T13:00:00Z"],
    [["restore", "--sandbox", "--to=-99999999999999999999d"], "--to", "--to=-45m"],
    [["restore", "--sandbox", "--to=-400d"], "--to", "--to=-45m"],
    [["restore", "--sandbox", "--to=-0m"], "--to", "--to=-45m"],
    [["restore", "--sandbox", "--to", "yesterday"], "--to", "--to=-45m"],
  ];
  for (const [args, flag, example] of BAD) {
    it(`${args.join(" ")} → exit 2 naming ${flag} with an example`, async function () {
      const c = await cli(args);
      expect(c.code, c.stderr).to.equal(2);
      expect(c.stderr).to.contain(flag).and.contain(example);
      expect(c.stderr).not.to.contain("a bug");
      expect(c.created, "library created").to.deep.equal([]);
    });
  }

  it("accepts the values in range and hands the library numbers, and times as the text the library resolves once against its clock", async function () {
    const calls: Array<[string, unknown]> = [];
    const record = (name: string) => async (arg: unknown) => {
      calls.push([name, arg]);
      throw new PilotlightError("refused.declined", "stub", { source: "user" });
    };
    const lib = {
      config: { notifications: {}, store: { url: "memory://" } },
      runs: { list: record("list"), trends: record("trends") },
      serveDrills: record("serveDrills"),
      failover: record("failover"),
      restore: record("restore"),
      close: async () => undefined,
    } as unknown as OpenedPilotlight;
    for (const args of [
      ["runs", "list", "--limit", "1000"],
      ["runs", "trends", "--days", "1"],
      ["drills", "--metrics-port", "65535"],
      ["failover", "--before", "2026-01-19T13:00:00Z", "--outage-since", "2026-01-19 12:00Z", "--yes"],
      ["restore", "--to=-45m", "--yes"],
      ["restore", "--to", "2026-01-19T13:00:00+01:00", "--yes"],
    ]) {
      const { io } = capturingIo({ cwd: "/nonexistent", openPilotlight: async () => lib });
      expect(await runCli(args, io), args.join(" ")).to.equal(3);
    }
    const arg = (name: string, i = 0) => calls.filter(([n]) => n === name)[i]![1] as Record<string, unknown>;
    expect(arg("list")["limit"]).to.equal(1000);
    expect(arg("trends")["days"]).to.equal(1);
    expect(arg("serveDrills")["metricsPort"]).to.equal(65_535);
    // Relative and absolute times alike: the library resolves them once (its clock is the
    // target's, virtual in the sandbox) and echoes the absolute time before acting.
    expect(arg("failover")).to.deep.include({ before: "2026-01-19T13:00:00Z", outageSince: "2026-01-19 12:00Z" });
    expect(arg("restore", 0)["to"]).to.equal("-45m");
    expect(arg("restore", 1)["to"]).to.equal("2026-01-19T13:00:00+01:00");
  });
});
