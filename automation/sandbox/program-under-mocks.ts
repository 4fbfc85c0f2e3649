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
}

/** Options of {@link evaluateProgram}. */
export interface EvaluateOptions {
  stack: string;
  region: string;
  account: string;
  config: RawStackConfig;
}

/**
 * Runs the real infra program under Pulumi's runtime mocks (preview off; every invoke not mocked
 * here throws) and returns what it declares, with deterministic ids and outputs derived from the
 * stack and resource names. The sandbox deploys exactly this; the infra tests assert on it.
 * Mocks are process-global: callers serialise evaluations.
 */
export async function evaluateProgram(o: EvaluateOptions): Promise<{ resources: DeclaredResource[]; outputs: Record<string, unknown> }> {
  const resources: DeclaredResource[] = [];
  const retained = new Map<string, boolean>();
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const region: string = args.inputs["region"] ?? o.region;
        const id = `${o.stack}-${args.name}`;
        const state: Record<string, unknown> = { ...args.inputs, ...mockState(args.type, args.name, args.inputs, id, region, o.account) };
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, state, id, retain: retained.get(args.name) ?? false });
        return { id, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        switch (args.token) {
          case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: [`${o.region}a`, `${o.region}b`, `${o.region}c`] };
          case "aws:index/getRegion:getRegion":
            return { name: o.region, region: o.region };
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
        retained.set(args.name, (args.opts as pulumi.CustomResourceOptions).retainOnDelete === true);
        return undefined;
      },
    ],
  };
  const exports = runProgram({ config: o.config, stack: o.stack, componentOptions });
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exports)) {
    outputs[key] = pulumi.Output.isInstance(value) ? await new Promise((resolve) => (value as pulumi.Output<unknown>).apply(resolve)) : value;
  }
  // Late registrations (inside applies) land within a few turns of the event loop.
  let seen = -1;
  while (seen !== resources.length) {
    seen = resources.length;
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  }
  return { resources, outputs };
}

/** Deterministic outputs AWS would compute, by resource type. */
function mockState(type: string, name: string, inputs: Record<string, any>, id: string, region: string, account: string): Record<string, unknown> {
  switch (type) {
    case "awsx:ec2:Vpc":
      return { vpcId: `vpc-${id}`, isolatedSubnetIds: [`subnet-${id}-a`, `subnet-${id}-b`], vpc: { cidrBlock: "10.0.0.0/16" } };
    case "aws:rds/cluster:Cluster":
      return {
        arn: `arn:aws:rds:${region}:${account}:cluster:${inputs["clusterIdentifier"]}`,
        endpoint: `${inputs["clusterIdentifier"]}.cluster-sandbox.${region}.rds.amazonaws.com`,
        masterUserSecrets: [{ secretArn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!${inputs["clusterIdentifier"]}` }],
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
    default:
      return { arn: `arn:aws:${type.split(":")[1]?.split("/")[0] ?? "x"}:${region}:${account}:${name}` };
  }
}
