import { PilotlightError } from "../../domain/errors";
import type { DoctorFinding } from "../../doctor";
import { configOf } from "../../targets/open";
import { withLibrary, type CliContext, type CommandModule, type GlobalArgs } from "../context";
import { EXIT } from "../exit-codes";

const MARK: Record<DoctorFinding["status"], string> = { ok: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" };

function render(findings: DoctorFinding[]): string {
  return findings
    .map((f) => `${MARK[f.status]} ${f.check}: ${f.detail}${f.fix === undefined ? "" : `\n     fix: ${f.fix}`}`)
    .join("\n");
}

/**
 * What a real target needs before anything can be asked of it: the pulumi CLI and AWS
 * credentials. Each missing one is a finding; the AWS modules load only here.
 */
async function prerequisites(ctx: CliContext): Promise<DoctorFinding[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const aws = require("../../adapters/aws-ports") as typeof import("../../adapters/aws-ports");
  const { requireAwsCredentials, requirePulumiCli } = aws;
  const out: DoctorFinding[] = [];
  try {
    out.push({ check: "pulumi CLI", status: "ok", detail: await requirePulumiCli(ctx.io.env) });
  } catch (error) {
    out.push({
      check: "pulumi CLI",
      status: "fail",
      detail: (error as Error).message,
      ...((error as PilotlightError).hint === undefined ? {} : { fix: (error as PilotlightError).hint! }),
    });
  }
  try {
    await requireAwsCredentials();
    out.push({ check: "AWS credentials", status: "ok", detail: "found by the default credential chain" });
  } catch (error) {
    out.push({
      check: "AWS credentials",
      status: "fail",
      detail: (error as Error).message,
      ...((error as PilotlightError).hint === undefined ? {} : { fix: (error as PilotlightError).hint! }),
    });
  }
  return out;
}

/** `doctor`: the read-only readiness check of an environment, before the bad day. */
export const doctorCommand: CommandModule = {
  command: "doctor",
  describe:
    "Check an environment is ready for a failover (read-only): CLI, credentials, state, vaults, copies, Data API, engine, runtime, zone, permissions",
  builder: (y) =>
    y
      .example("$0 doctor --env prod", "every readiness check against the account, each finding with its fix")
      .example("$0 doctor --sandbox", "the same checks against the simulated region pair")
      .epilog(
        "Exit codes: 0 ready (warnings allowed), 1 a check failed, 3 the CLI or credentials are missing.",
      ) as never,
  handler: async (ctx, args) => {
    const r = ctx.renderer(args);
    const before = args.sandbox === true ? [] : await prerequisites(ctx);
    if (before.some((f) => f.status === "fail")) {
      r.result(
        { ready: false, findings: before },
        `${render(before)}\nnot ready: fix the above, then run doctor again`,
      );
      ctx.setExit(EXIT.user);
      return;
    }
    await withLibrary(ctx, args, async (lib) => {
      const { env, findings } = await lib.doctor(args.env === undefined ? {} : { env: args.env });
      const all = [...before, ...findings];
      const ready = !all.some((f) => f.status === "fail");
      const counts = (s: DoctorFinding["status"]) => all.filter((f) => f.status === s).length;
      r.result(
        { env, ready, findings: all },
        `${render(all)}\n${env}: ${ready ? "ready" : "NOT READY"} (${counts("ok")} ok, ${counts("warn")} warnings, ${counts("fail")} failed)`,
      );
      ctx.setExit(ready ? EXIT.ok : EXIT.runFailed);
    });
  },
};

/** `iam-policy`: the operator's least-privilege policy, generated from what the code calls. */
export const iamPolicyCommand: CommandModule = {
  command: "iam-policy",
  describe: "Print the least-privilege IAM policy (JSON) the operator needs for an operation",
  builder: (y) =>
    y
      .option("operation", {
        type: "string",
        default: "all",
        describe: "failover, failback, restore, drills, doctor, or all",
      })
      .option("account", { type: "string", describe: "the AWS account id the ARNs name (default: any, `*`)" })
      .check((a) =>
        a["account"] === undefined || /^\d{12}$/.test(String(a["account"]))
          ? true
          : "--account is a 12-digit AWS account id",
      )
      .example("$0 iam-policy --env prod --operation failover --account 123456789012", "the failover operator's policy")
      .epilog(
        "Generated from the AWS calls each adapter declares and the resource operations each runbook's Pulumi updates make; tag-scoped where AWS allows.",
      ) as never,
  handler: async (ctx, args: GlobalArgs & Record<string, unknown>) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const policies = require("../../adapters/iam/policy") as typeof import("../../adapters/iam/policy");
    const { iamPolicy, OPERATIONS } = policies;
    const operation = String(args["operation"]);
    if (operation !== "all" && !OPERATIONS.includes(operation)) {
      throw new PilotlightError("config.invalid", `--operation ${operation} is not an operation`, {
        source: "user",
        hint: `one of ${[...OPERATIONS, "all"].join(", ")}`,
      });
    }
    const { config } = configOf({
      sandbox: args.sandbox === true,
      ...(args.config === undefined ? {} : { configFile: args.config }),
      cwd: ctx.io.cwd,
      env: ctx.io.env,
    });
    const names = Object.keys(config.environments);
    const envName = args.env ?? (names.length === 1 ? names[0]! : undefined);
    if (envName === undefined)
      throw new PilotlightError("config.invalid", `name the environment: --env ${names.join("|")}`, { source: "user" });
    const policy = iamPolicy(config, envName, operation, args["account"] === undefined ? "*" : String(args["account"]));
    // The policy is the output in both modes: JSON a machine and `aws iam create-policy` read.
    ctx.io.stdout.write(JSON.stringify(policy, null, 2) + "\n");
  },
};
