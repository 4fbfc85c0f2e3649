import * as pulumi from "@pulumi/pulumi";

/** A resource registered while a program ran under mocks. */
export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  opts?: pulumi.CustomResourceOptions;
}

const ACCOUNT = "123456789012";

/**
 * Installs Pulumi runtime mocks (preview off: with preview on, awaiting an unknown output never
 * resolves and the process exits 0 — a silent pass). Every invoke that is not mocked here throws.
 * Returns the recorded resources and a function that waits until the program settled.
 */
export function installMocks(stack: string, region: string) {
  const resources: Recorded[] = [];
  const options = new Map<string, pulumi.CustomResourceOptions>();
  void pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const id = `${args.name}-id`;
        const arnOf = (service: string, kind: string) =>
          `arn:aws:${service}:${args.inputs["region"] ?? region}:${ACCOUNT}:${kind}/${id}`;
        const extra: Record<string, unknown> = {};
        switch (args.type) {
          case "awsx:ec2:Vpc":
            Object.assign(extra, {
              vpcId: "vpc-1",
              isolatedSubnetIds: ["subnet-a", "subnet-b"],
              vpc: { cidrBlock: "10.0.0.0/16" },
            });
            break;
          case "aws:rds/cluster:Cluster":
            Object.assign(extra, {
              arn: `arn:aws:rds:${region}:${ACCOUNT}:cluster:${args.inputs["clusterIdentifier"]}`,
              endpoint: `${args.inputs["clusterIdentifier"]}.cluster-x.${region}.rds.amazonaws.com`,
              engineVersion: args.inputs["engineVersion"],
              masterUserSecrets: [{ secretArn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:rds!cluster-1` }],
            });
            break;
          case "aws:kms/key:Key":
            extra["arn"] = arnOf("kms", "key");
            break;
          case "aws:backup/vault:Vault":
            extra["arn"] =
              `arn:aws:backup:${args.inputs["region"] ?? region}:${ACCOUNT}:backup-vault:${args.inputs["name"]}`;
            break;
          case "aws:s3/bucket:Bucket":
            Object.assign(extra, { bucket: id, arn: `arn:aws:s3:::${id}` });
            break;
          case "aws:lambda/functionUrl:FunctionUrl":
            extra["functionUrl"] = `https://${id}.lambda-url.${region}.on.aws/`;
            break;
          default:
            extra["arn"] = arnOf(args.type.split(":")[1]!.split("/")[0]!, args.name);
        }
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, opts: options.get(args.name) });
        return { id, state: { ...args.inputs, ...extra } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        switch (args.token) {
          case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { names: [`${region}a`, `${region}b`, `${region}c`] };
          case "aws:index/getRegion:getRegion":
            return { name: region, region };
          case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/ci`, userId: "AIDA", id: ACCOUNT };
          case "aws:route53/getZone:getZone":
            return {
              zoneId: args.inputs["zoneId"],
              name: "example.com.",
              nameServers: ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"],
              privateZone: false,
            };
          default:
            throw new Error(`unmocked invoke ${args.token}: mock it in test/infra/mocks.ts`);
        }
      },
    },
    "pilotlight",
    stack,
    false,
  );
  // Record resource options (not visible to newResource) through a component transformation.
  const componentOptions: pulumi.ComponentResourceOptions = {
    transformations: [
      (args) => {
        options.set(args.name, args.opts as pulumi.CustomResourceOptions);
        return undefined;
      },
    ],
  };

  /** Resolves every output of `exports` (bounded), then lets late registrations land. */
  async function settle(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
    const resolved: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exports)) {
      resolved[key] = pulumi.Output.isInstance(value)
        ? await withTimeout(new Promise((r) => (value as pulumi.Output<unknown>).apply(r)), key)
        : value;
    }
    let seen = -1;
    while (seen !== resources.length) {
      seen = resources.length;
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    }
    return resolved;
  }

  return { resources, settle, componentOptions };
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`output ${what} never resolved (an unknown under mocks?)`)), 5000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resources of one type. */
export function ofType(resources: Recorded[], type: string): Recorded[] {
  return resources.filter((r) => r.type === type);
}

/** The one resource of a type (fails when there are several or none). */
export function one(resources: Recorded[], type: string): Recorded {
  const found = ofType(resources, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0]!;
}
