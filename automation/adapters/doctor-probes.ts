import { GetRoleCommand, IAMClient, paginateSimulatePrincipalPolicy } from "@aws-sdk/client-iam";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { DescribeOrderableDBInstanceOptionsCommand, RDSClient } from "@aws-sdk/client-rds";
import { GetHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import type { CallerIdentity, DoctorProbes, SimulatedDecision } from "../ports/doctor";
import { toAwsError } from "./aws-errors";
import type { IamAction } from "./iam/action";

/**
 * The AWS calls of each probe, as IAM actions. `sts:GetCallerIdentity` needs no permission
 * ("No permissions are required to perform this operation": STS API Reference).
 */
export const DOCTOR_ACTIONS = {
  identity: [],
  principalOf: ["iam:GetRole"],
  simulate: ["iam:SimulatePrincipalPolicy"],
  orderable: ["rds:DescribeOrderableDBInstanceOptions"],
  functionRuntime: ["lambda:GetFunctionConfiguration"],
  zone: ["route53:GetHostedZone"],
} as const satisfies Record<keyof DoctorProbes, readonly IamAction[]>;

/** An assumed role's session ARN: `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`. */
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/;

/** The doctor's questions through SDK v3 (read-only). */
export class AwsDoctorProbes implements DoctorProbes {
  private readonly rds = new Map<string, RDSClient>();
  private readonly lambda = new Map<string, LambdaClient>();

  constructor(
    private readonly clients: {
      sts?: STSClient;
      iam?: IAMClient;
      route53?: Route53Client;
      rds?: (region: string) => RDSClient;
      lambda?: (region: string) => LambdaClient;
    } = {},
  ) {}

  private sts = () => (this.clients.sts ??= new STSClient({ maxAttempts: 3 }));
  private iam = () => (this.clients.iam ??= new IAMClient({ region: "us-east-1", maxAttempts: 3 }));
  private route53 = () => (this.clients.route53 ??= new Route53Client({ region: "us-east-1", maxAttempts: 3 }));
  private rdsIn(region: string): RDSClient {
    let c = this.rds.get(region);
    if (c === undefined)
      this.rds.set(region, (c = this.clients.rds?.(region) ?? new RDSClient({ region, maxAttempts: 3 })));
    return c;
  }
  private lambdaIn(region: string): LambdaClient {
    let c = this.lambda.get(region);
    if (c === undefined)
      this.lambda.set(region, (c = this.clients.lambda?.(region) ?? new LambdaClient({ region, maxAttempts: 3 })));
    return c;
  }

  async identity(): Promise<CallerIdentity> {
    try {
      const r = await this.sts().send(new GetCallerIdentityCommand({}));
      return { account: r.Account ?? "", arn: r.Arn ?? "" };
    } catch (error) {
      throw toAwsError(error, "GetCallerIdentity");
    }
  }

  async principalOf(callerArn: string): Promise<string> {
    const m = ASSUMED_ROLE.exec(callerArn);
    if (m === null) return callerArn; // a user (or a role ARN already)
    // The session ARN drops the role's path; GetRole has it (research: route53-pulumi.md U12).
    try {
      const r = await this.iam().send(new GetRoleCommand({ RoleName: m[3]! }));
      return r.Role?.Arn ?? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}`;
    } catch (error) {
      throw toAwsError(error, "GetRole", m[3]);
    }
  }

  async simulate(q: { principalArn: string; actions: string[] }): Promise<SimulatedDecision[]> {
    const out: SimulatedDecision[] = [];
    try {
      // Results come in pages: followed until IsTruncated is false ("IAM might return fewer than
      // the MaxItems number of results even when there are more": IAM API Reference).
      const pages = paginateSimulatePrincipalPolicy(
        { client: this.iam() },
        { PolicySourceArn: q.principalArn, ActionNames: q.actions },
      );
      for await (const page of pages) {
        for (const r of page.EvaluationResults ?? []) {
          out.push({
            action: r.EvalActionName ?? "",
            decision: (r.EvalDecision ?? "implicitDeny") as SimulatedDecision["decision"],
          });
        }
      }
      return out;
    } catch (error) {
      throw toAwsError(error, "SimulatePrincipalPolicy", q.principalArn);
    }
  }

  async orderable(q: { region: string; engineVersion: string; instanceClass: string }): Promise<boolean> {
    try {
      const r = await this.rdsIn(q.region).send(
        new DescribeOrderableDBInstanceOptionsCommand({
          Engine: "aurora-postgresql",
          EngineVersion: q.engineVersion,
          DBInstanceClass: q.instanceClass,
          MaxRecords: 20,
        }),
      );
      return (r.OrderableDBInstanceOptions ?? []).length > 0;
    } catch (error) {
      throw toAwsError(
        error,
        "DescribeOrderableDBInstanceOptions",
        `${q.region} ${q.engineVersion} ${q.instanceClass}`,
      );
    }
  }

  async functionRuntime(q: { region: string; name: string }): Promise<string | undefined> {
    try {
      const r = await this.lambdaIn(q.region).send(new GetFunctionConfigurationCommand({ FunctionName: q.name }));
      return r.Runtime;
    } catch (error) {
      if ((error as Error).name === "ResourceNotFoundException") return undefined;
      throw toAwsError(error, "GetFunctionConfiguration", q.name);
    }
  }

  async zone(q: { zoneId: string }): Promise<{ name: string; private: boolean } | undefined> {
    try {
      const r = await this.route53().send(new GetHostedZoneCommand({ Id: q.zoneId }));
      return { name: r.HostedZone?.Name ?? "", private: r.HostedZone?.Config?.PrivateZone === true };
    } catch (error) {
      if ((error as Error).name === "NoSuchHostedZone") return undefined;
      throw toAwsError(error, "GetHostedZone", q.zoneId);
    }
  }
}
