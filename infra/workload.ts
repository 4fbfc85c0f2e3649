import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * What a workload is given: the database to use — its ARNs, or (the pilot light's DR workload,
 * deployed before any DR database exists) an SSM parameter the DR stack writes them to, and the
 * ARN patterns its permissions cover.
 */
export interface WorkloadArgs {
  database:
    | { clusterArn: pulumi.Input<string>; secretArn: pulumi.Input<string> }
    | {
        parameter: string;
        parameterArn: pulumi.Input<string>;
        clusterArn: pulumi.Input<string>;
        secretArnPattern: pulumi.Input<string>;
      };
  databaseName: string;
  /** Deploy in this region instead of the stack's. */
  region?: string;
  tags: Record<string, string>;
}

/** What a workload returns: where its health endpoint answers. */
export interface WorkloadOutputs {
  /** Full URL of the health endpoint (`GET` → `{"status":"healthy","database":{"status":"healthy"}}`). */
  healthUrl: pulumi.Output<string>;
  /** Host name clients and the DNS record point at. */
  host: pulumi.Output<string>;
  /** The Lambda function serving it, when it is one (`doctor` checks its runtime is supported). */
  functionName?: pulumi.Output<string>;
}

/** A pluggable workload: the reference one, or the user's own component. */
export type WorkloadFactory = (
  name: string,
  args: WorkloadArgs,
  opts: pulumi.ComponentResourceOptions,
) => WorkloadOutputs;

/**
 * Source of the reference workload's function. It reaches the database through the RDS Data API
 * (no VPC, no driver to bundle; the Node.js 22 Lambda runtime ships the AWS SDK v3), so that a DR
 * stack comes up with nothing but the restored cluster. `?probe=rw` also writes and reads a row.
 * Data API for Aurora PostgreSQL provisioned clusters: Aurora User Guide, "Using the Amazon RDS
 * Data API".
 */
export const REFERENCE_HANDLER = `
const { RDSDataClient, ExecuteStatementCommand } = require("@aws-sdk/client-rds-data");
const { SSMClient, GetParameterCommand } = require("@aws-sdk/client-ssm");
const client = new RDSDataClient({});
const locate = async () => {
  if (!process.env.DATABASE_PARAMETER) return { resourceArn: process.env.CLUSTER_ARN, secretArn: process.env.SECRET_ARN };
  const p = await new SSMClient({}).send(new GetParameterCommand({ Name: process.env.DATABASE_PARAMETER }));
  const v = JSON.parse(p.Parameter.Value);
  return { resourceArn: v.clusterArn, secretArn: v.secretArn };
};
const sql = async (s) => client.send(new ExecuteStatementCommand({ ...(await locate()), database: process.env.DATABASE, sql: s }));
exports.handler = async (event) => {
  const path = event.rawPath || "/";
  if (path !== "/health") return { statusCode: 404, body: "not found" };
  const database = { status: "healthy" };
  try {
    await sql("SELECT 1");
    if ((event.queryStringParameters || {}).probe === "rw") {
      await sql("CREATE TABLE IF NOT EXISTS pilotlight_probe (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
      await sql("INSERT INTO pilotlight_probe DEFAULT VALUES");
      await sql("SELECT max(id) FROM pilotlight_probe");
      database.readWrite = "ok";
    }
    return { statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "healthy", database }) };
  } catch (e) {
    return { statusCode: 503, headers: { "content-type": "application/json" }, body: JSON.stringify({ status: "unhealthy", database: { status: "unhealthy", error: String(e && e.name) } }) };
  }
};
`;

/** The reference workload: a Lambda behind a function URL whose health endpoint reports the database. */
export class ReferenceWorkload extends pulumi.ComponentResource implements WorkloadOutputs {
  readonly healthUrl: pulumi.Output<string>;
  readonly host: pulumi.Output<string>;
  readonly functionName: pulumi.Output<string>;

  constructor(name: string, args: WorkloadArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("pilotlight:workload:Reference", name, {}, opts);
    const child = { parent: this };
    const regional = args.region === undefined ? {} : { region: args.region };
    const db = args.database;
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: args.tags,
      },
      child,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-logs`,
      { role: role.name, policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-data`,
      {
        role: role.name,
        policy: pulumi
          .all(
            "parameter" in db
              ? [db.clusterArn, db.secretArnPattern, db.parameterArn]
              : [db.clusterArn, db.secretArn, ""],
          )
          .apply(([cluster, secret, parameter]) =>
            JSON.stringify({
              Version: "2012-10-17",
              Statement: [
                { Effect: "Allow", Action: ["rds-data:ExecuteStatement"], Resource: cluster },
                { Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secret },
                ...(parameter === "" ? [] : [{ Effect: "Allow", Action: ["ssm:GetParameter"], Resource: parameter }]),
              ],
            }),
          ),
      },
      child,
    );
    const fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        // The Node.js 20 runtime: function creation blocked since 2026-08-31, updates since 2026-09-30 (Lambda
        // Developer Guide, "Lambda runtimes"). nodejs22.x is supported until 2027-04-30.
        runtime: aws.lambda.Runtime.NodeJS22dX,
        handler: "index.handler",
        role: role.arn,
        timeout: 15,
        code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(REFERENCE_HANDLER) }),
        environment: {
          variables:
            "parameter" in db
              ? { DATABASE_PARAMETER: db.parameter, DATABASE: args.databaseName }
              : { CLUSTER_ARN: db.clusterArn, SECRET_ARN: db.secretArn, DATABASE: args.databaseName },
        },
        tags: args.tags,
        ...regional,
      },
      child,
    );
    const url = new aws.lambda.FunctionUrl(
      `${name}-url`,
      { functionName: fn.name, authorizationType: "NONE", ...regional },
      child,
    );
    // A function URL with auth NONE answers 403 unless the function's policy lets everyone invoke
    // it through the URL: lambda:InvokeFunctionUrl and, since October 2025, lambda:InvokeFunction
    // too (Lambda Developer Guide, "Control access to function URLs").
    new aws.lambda.Permission(
      `${name}-url-public`,
      {
        function: fn.name,
        action: "lambda:InvokeFunctionUrl",
        principal: "*",
        functionUrlAuthType: "NONE",
        ...regional,
      },
      child,
    );
    new aws.lambda.Permission(
      `${name}-invoke-public`,
      { function: fn.name, action: "lambda:InvokeFunction", principal: "*", invokedViaFunctionUrl: true, ...regional },
      child,
    );
    this.host = url.functionUrl.apply((u) => new URL(u).host);
    this.functionName = fn.name;
    this.healthUrl = url.functionUrl.apply((u) => new URL("/health", u).toString());
    this.registerOutputs({ healthUrl: this.healthUrl, host: this.host });
  }
}

/** The default {@link WorkloadFactory}. */
export const referenceWorkload: WorkloadFactory = (name, args, opts) => new ReferenceWorkload(name, args, opts);
