import * as pulumi from "@pulumi/pulumi";
import type { RawStackConfig } from "../../infra/config";
import { runProgram } from "../../infra/program";

/** A resource the program declared, with the state the mocks gave it and its deletion policy. */
export interface DeclaredResource {
  type: string;
  name: string;
  inputs: Record<string, any>;
  state: Record<string, any>;
  id: string;
  /** `retainOnDelete`: Pulumi leaves it in AWS when it leaves the program. */
  retain: boolean;
  /** `ignoreChanges`: input paths an update never changes. */
  ignoreChanges: string[];
}

/** Options of {@link evaluateProgram}. */
export interface EvaluateOptions {
  stack: string;
  region: string;
  account: string;
  config: RawStackConfig;
  /** The hosted zone's name servers (`route53.getZone`). */
  nameServers?: string[];
}

/**
 * Runs the real infra program under Pulumi's runtime mocks (preview off; every invoke not mocked
 * here throws) and returns what it declares, with deterministic ids and outputs derived from the
 * stack and resource names. The sandbox deploys exactly this; the infra tests assert on it.
 * Mocks are process-global: callers serialise evaluations.
 */
export async function evaluateProgram(
  o: EvaluateOptions,
): Promise<{ resources: DeclaredResource[]; outputs: Record<string, unknown> }> {
  const resources: DeclaredResource[] = [];
  const options = new Map<string, { retain: boolean; ignoreChanges: string[] }>();
  await pulumi.runtime.setMocks(
    {
      newResource(raw: pulumi.runtime.MockResourceArgs) {
        const args = { ...raw, inputs: unwrapSecrets(raw.inputs) as Record<string, any> };
        const region: string = args.inputs["region"] ?? o.region;
        const id = `${o.stack}-${args.name}`;
        const state: Record<string, unknown> = {
          ...args.inputs,
          ...mockState(args.type, args.name, args.inputs, id, region, o.account),
        };
        const opt = options.get(args.name) ?? { retain: false, ignoreChanges: [] };
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          state,
          id,
          retain: opt.retain,
          ignoreChanges: opt.ignoreChanges,
        });
        return { id, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        switch (args.token) {
          case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: [`${o.region}a`, `${o.region}b`, `${o.region}c`] };
          case "aws:index/getRegion:getRegion":
            return { name: o.region, region: o.region };
          case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: o.account, arn: `arn:aws:iam::${o.account}:user/sandbox`, userId: "SANDBOX" };
          case "aws:route53/getZone:getZone":
            return {
              zoneId: args.inputs["zoneId"],
              name: "sandbox.internal.",
              nameServers: o.nameServers ?? ["ns-1.sandbox.internal", "ns-2.sandbox.internal"],
              privateZone: false,
            };
          default:
            throw new Error(`unmocked invoke ${args.token}`);
        }
      },
    },
    "pilotlight",
    o.stack,
    false,
  );
  const componentOptions: pulumi.ComponentResourceOptions = {
    transformations: [
      (args) => {
        const opts = args.opts as pulumi.CustomResourceOptions;
        options.set(args.name, { retain: opts.retainOnDelete === true, ignoreChanges: opts.ignoreChanges ?? [] });
        return undefined;
      },
    ],
  };
  const exports = runProgram({ config: o.config, stack: o.stack, componentOptions });
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exports)) {
    outputs[key] = pulumi.Output.isInstance(value)
      ? await new Promise((resolve) => (value as pulumi.Output<unknown>).apply(resolve))
      : value;
  }
  // Late registrations (inside applies) land within a few turns of the event loop.
  let seen = -1;
  while (seen !== resources.length) {
    seen = resources.length;
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  }
  return { resources, outputs };
}

/** Pulumi's marker of a secret value in serialized inputs (the engine's "secret" signature). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Inputs as AWS receives them: secret envelopes opened (the sandbox is AWS, it sees the values). */
function unwrapSecrets(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o && "value" in o) return unwrapSecrets(o["value"]);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}

/** Deterministic outputs AWS would compute, by resource type. */
function mockState(
  type: string,
  name: string,
  inputs: Record<string, any>,
  id: string,
  region: string,
  account: string,
): Record<string, unknown> {
  switch (type) {
    case "awsx:ec2:Vpc":
      return {
        vpcId: `vpc-${id}`,
        isolatedSubnetIds: [`subnet-${id}-a`, `subnet-${id}-b`],
        vpc: { cidrBlock: "10.0.0.0/16" },
      };
    case "aws:rds/cluster:Cluster":
      return {
        arn: `arn:aws:rds:${region}:${account}:cluster:${inputs["clusterIdentifier"]}`,
        endpoint: `${inputs["clusterIdentifier"]}.cluster-sandbox.${region}.rds.amazonaws.com`,
        masterUserSecrets: [
          { secretArn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!${inputs["clusterIdentifier"]}` },
        ],
      };
    case "aws:kms/key:Key":
      return { arn: `arn:aws:kms:${region}:${account}:key/${id}` };
    case "aws:backup/vault:Vault":
      return { arn: `arn:aws:backup:${region}:${account}:backup-vault:${inputs["name"]}` };
    case "aws:s3/bucket:Bucket":
      return { bucket: id, arn: `arn:aws:s3:::${id}` };
    case "aws:lambda/function:Function":
      return { name: id, arn: `arn:aws:lambda:${region}:${account}:function:${id}` };
    case "aws:lambda/functionUrl:FunctionUrl":
      return { functionUrl: `https://${id}.lambda-url.${region}.on.aws/` };
    case "aws:rds/subnetGroup:SubnetGroup":
      return { name: id, arn: `arn:aws:rds:${region}:${account}:subgrp:${id}` };
    case "aws:ec2/securityGroup:SecurityGroup":
      return { arn: `arn:aws:ec2:${region}:${account}:security-group/sg-${id}` };
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { name: id, arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${id}` };
    default:
      return { arn: `arn:aws:${type.split(":")[1]?.split("/")[0] ?? "x"}:${region}:${account}:${name}` };
  }
}
