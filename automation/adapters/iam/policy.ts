import { GATE_NAMESPACE } from "../../../infra/contract";
import type { Config, EnvironmentConfig } from "../../config/schema";
import { PilotlightError } from "../../domain/errors";
import { BACKUP_ACTIONS } from "../aws-backups";
import { DATABASE_ACTIONS } from "../aws-databases";
import { KEY_ACTIONS } from "../aws-keys";
import { TRAFFIC_ACTIONS } from "../aws-traffic";
import { SQL_ACCESS_ACTIONS } from "../data-api-sql";
import { DOCTOR_ACTIONS } from "../doctor-probes";
import { NOTIFIER_ACTIONS } from "../notifiers";
import type { IamAction } from "./action";
import { RESOURCE_ACTIONS, type ResourceOp } from "./resource-actions";

/** The AWS calls of every port method, by `port.method`. */
export const PORT_ACTIONS: Readonly<Record<string, readonly IamAction[]>> = Object.fromEntries(
  Object.entries({
    backups: BACKUP_ACTIONS,
    databases: DATABASE_ACTIONS,
    keys: KEY_ACTIONS,
    traffic: TRAFFIC_ACTIONS,
    sqlAccess: SQL_ACCESS_ACTIONS,
    notifier: NOTIFIER_ACTIONS,
    doctor: DOCTOR_ACTIONS,
  }).flatMap(([port, methods]) =>
    Object.entries(methods).map(([method, actions]) => [`${port}.${method}`, actions as readonly IamAction[]]),
  ),
);

/** What an operation of pilotlight calls: port methods, and resource operations of its Pulumi updates. */
export interface OperationUse {
  describe: string;
  calls: readonly string[];
  resources: readonly `${string} ${ResourceOp}`[];
}

/** What `status` reads: every operator runs it, so every operation's policy has it. */
const STATUS = ["backups.listRecoveryPoints", "traffic.healthCheckStatus", "traffic.gateState", "traffic.resolve"];
const NOTIFY = ["notifier.notify"];
const DR_PROGRAM = [
  "awsx:ec2:Vpc",
  "aws:ec2/securityGroup:SecurityGroup",
  "aws:rds/subnetGroup:SubnetGroup",
  "aws:rds/cluster:Cluster",
  "aws:rds/clusterInstance:ClusterInstance",
] as const;
const each = (types: readonly string[], ...ops: ResourceOp[]) =>
  types.flatMap((t) => ops.map((op) => `${t} ${op}` as const));

/**
 * Every operation: the port methods its runbooks call and the resource operations its Pulumi
 * updates make. The IAM coverage test runs each in the sandbox and holds this table to what was
 * called, both ways.
 */
export const OPERATION_USES: Readonly<Record<string, OperationUse>> = {
  failover: {
    describe: "failover (with --prepare and --abandon) and status",
    calls: [
      ...STATUS,
      ...NOTIFY,
      "databases.describeClusterSnapshot",
      "databases.describeCluster",
      "databases.enableHttpEndpoint",
      "databases.deleteCluster",
      "sqlAccess.open",
      "traffic.setGate",
    ],
    resources: [
      ...each(DR_PROGRAM, "create", "delete"),
      ...each(["aws:ssm/parameter:Parameter"], "create", "delete"),
      ...each(["aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"], "update"),
    ],
  },
  failback: {
    describe: "failback (fence the old primary, copy DR's data home, restore it, switch back, tear DR down) and status",
    calls: [
      ...STATUS,
      ...NOTIFY,
      "databases.describeCluster",
      "databases.tagCluster",
      "databases.createClusterSnapshot",
      "databases.copyClusterSnapshot",
      "databases.describeClusterSnapshot",
      "databases.waitForSnapshotAvailable",
      "databases.enableHttpEndpoint",
      "sqlAccess.open",
      "traffic.setGate",
    ],
    resources: [
      ...each(["aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"], "create"),
      ...each(["aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"], "update"),
      "aws:lambda/function:Function update",
      "aws:iam/rolePolicy:RolePolicy update",
      "aws:cloudwatch/metricAlarm:MetricAlarm update",
      ...each([...DR_PROGRAM, "aws:ssm/parameter:Parameter"], "delete"),
    ],
  },
  restore: {
    describe: "point-in-time restore of the primary (with --abandon) and status",
    calls: [
      ...STATUS,
      ...NOTIFY,
      "databases.describeCluster",
      "databases.tagCluster",
      "databases.enableHttpEndpoint",
      "databases.deleteCluster",
      "sqlAccess.open",
    ],
    resources: [
      ...each(["aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"], "create"),
      "aws:rds/cluster:Cluster update",
      "aws:lambda/function:Function update",
      "aws:iam/rolePolicy:RolePolicy update",
      "aws:cloudwatch/metricAlarm:MetricAlarm update",
      ...each(["aws:rds/clusterInstance:ClusterInstance"], "delete"),
    ],
  },
  drills: {
    describe:
      "restore and full drills, the posture check, the sweeper and manifests (`drills`, `drill run`, `manifest record`)",
    calls: [
      ...STATUS,
      ...NOTIFY,
      "backups.describeVault",
      "backups.listJobs",
      "backups.regionSettings",
      "keys.describeKey",
      "databases.describeCluster",
      "databases.listClusters",
      "databases.deleteCluster",
      "databases.describeClusterSnapshot",
      "databases.listClusterSnapshots",
      "databases.deleteClusterSnapshot",
      "databases.createClusterSnapshot",
      "databases.copyClusterSnapshot",
      "databases.waitForSnapshotAvailable",
      "databases.enableHttpEndpoint",
      "sqlAccess.open",
      "traffic.setGate",
    ],
    resources: [
      ...each(DR_PROGRAM, "create", "delete"),
      "aws:rds/cluster:Cluster update",
      ...each(
        [
          "aws:lambda/function:Function",
          "aws:lambda/functionUrl:FunctionUrl",
          "aws:lambda/permission:Permission",
          "aws:iam/role:Role",
          "aws:iam/rolePolicy:RolePolicy",
          "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
          "aws:route53/record:Record",
        ],
        "create",
        "delete",
      ),
    ],
  },
  doctor: {
    describe: "the read-only readiness check (`doctor`)",
    calls: [
      "doctor.identity",
      "doctor.principalOf",
      "doctor.simulate",
      "doctor.orderable",
      "doctor.functionRuntime",
      "doctor.zone",
      "backups.describeVault",
      "backups.listRecoveryPoints",
      "backups.regionSettings",
      "keys.describeKey",
      "databases.describeCluster",
    ],
    resources: [],
  },
};

export const OPERATIONS = Object.keys(OPERATION_USES);

/** The IAM actions an operation (or `all`) needs: its calls' and its resource operations'. */
export function actionsOf(operation: string): Set<IamAction> {
  const ops = operation === "all" ? OPERATIONS : [operation];
  const out = new Set<IamAction>();
  for (const name of ops) {
    const use = OPERATION_USES[name];
    if (use === undefined) {
      throw new PilotlightError("config.invalid", `unknown operation "${name}"`, {
        source: "user",
        hint: `one of ${[...OPERATIONS, "all"].join(", ")}`,
      });
    }
    for (const call of use.calls) for (const a of PORT_ACTIONS[call] ?? []) out.add(a);
    for (const r of use.resources) {
      const [type, op] = r.split(" ") as [string, ResourceOp];
      for (const a of RESOURCE_ACTIONS[type]?.[op] ?? []) out.add(a);
    }
  }
  return out;
}

/** One statement of an IAM policy. */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

/**
 * RDS and EC2 actions that change or delete what exists: allowed only on resources tagged
 * `managed-by=pilotlight` (both services evaluate `aws:ResourceTag` for them: Service
 * Authorization Reference, Amazon RDS and Amazon EC2). Every other mutating action pilotlight
 * needs creates something new, tags it as it creates it, or is scoped by name below.
 */
const TAGGED_ONLY = new Set<string>([
  "rds:ModifyDBCluster",
  "rds:DeleteDBCluster",
  "rds:DeleteDBInstance",
  "rds:ModifyDBInstance",
  "rds:DeleteDBClusterSnapshot",
  "rds:DeleteDBSubnetGroup",
  "rds:RemoveTagsFromResource",
  "ec2:DeleteSecurityGroup",
  "ec2:DeleteSubnet",
  "ec2:DeleteVpc",
  "ec2:DeleteRouteTable",
]);

interface Scope {
  sid: string;
  resource: (c: ScopeContext) => string | string[];
  condition?: (c: ScopeContext) => PolicyStatement["Condition"];
}

interface ScopeContext {
  env: EnvironmentConfig;
  account: string;
  regions: string[];
  topicArn?: string;
}

const arns = (c: ScopeContext, service: string, resource: string) =>
  c.regions.map((r) => `arn:aws:${service}:${r}:${c.account}:${resource}`);

const SCOPES: Record<string, Scope> = {
  tagged: {
    sid: "ChangeOnlyWhatPilotlightTagged",
    resource: (c) => [
      ...arns(c, "rds", "cluster:*"),
      ...arns(c, "rds", "db:*"),
      ...arns(c, "rds", "cluster-snapshot:*"),
      ...arns(c, "rds", "subgrp:*"),
      ...arns(c, "ec2", "*"),
    ],
    condition: () => ({ StringEquals: { "aws:ResourceTag/managed-by": "pilotlight" } }),
  },
  dataApi: { sid: "DataApiOnTheEnvironmentsClusters", resource: (c) => arns(c, "rds", "cluster:*") },
  secrets: {
    sid: "DataApiReadsTheClustersManagedSecret",
    // RDS names the secrets it manages for a cluster `rds!cluster-<id>` (Aurora User Guide,
    // "Password management with Amazon RDS and AWS Secrets Manager").
    resource: (c) => arns(c, "secretsmanager", "secret:rds!cluster-*"),
  },
  vaults: {
    sid: "TheEnvironmentsBackupVaults",
    resource: (c) => [
      `arn:aws:backup:${c.env.primary.region}:${c.account}:backup-vault:${c.env.primary.vault}`,
      `arn:aws:backup:${c.env.dr.region}:${c.account}:backup-vault:${c.env.dr.vault}`,
    ],
  },
  gate: {
    sid: "TrafficGateMetricsOnly",
    resource: () => "*",
    condition: () => ({ StringEquals: { "cloudwatch:namespace": GATE_NAMESPACE } }),
  },
  topic: { sid: "NotifyTheConfiguredTopic", resource: (c) => c.topicArn ?? "*" },
  healthChecks: { sid: "HealthCheckStatus", resource: () => "arn:aws:route53:::healthcheck/*" },
  passRole: {
    sid: "PassRolesToLambdaOnly",
    resource: (c) => `arn:aws:iam::${c.account}:role/*`,
    condition: () => ({ StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } }),
  },
  any: { sid: "EverythingElseItNeeds", resource: () => "*" },
};

function scopeOf(action: string): keyof typeof SCOPES {
  if (TAGGED_ONLY.has(action)) return "tagged";
  if (action.startsWith("rds-data:")) return "dataApi";
  if (action === "secretsmanager:GetSecretValue") return "secrets";
  if (action === "backup:ListRecoveryPointsByBackupVault" || action === "backup:DescribeBackupVault") return "vaults";
  if (action === "cloudwatch:PutMetricData") return "gate";
  if (action === "sns:Publish") return "topic";
  if (action === "route53:GetHealthCheckStatus") return "healthChecks";
  if (action === "iam:PassRole") return "passRole";
  return "any";
}

/**
 * The least-privilege policy for the operator of one environment: the actions the operation's
 * calls and Pulumi updates need, each in one statement with the narrowest resource AWS lets us
 * name (or tag-scoped, for what changes or deletes existing RDS and EC2 resources).
 */
export function iamPolicy(config: Config, envName: string, operation: string, account = "*"): PolicyDocument {
  const env = config.environments[envName];
  if (env === undefined) {
    throw new PilotlightError("config.invalid", `no environment "${envName}" in the configuration`, {
      source: "user",
      hint: `one of ${Object.keys(config.environments).join(", ")}`,
    });
  }
  const ctx: ScopeContext = {
    env,
    account,
    regions: [env.primary.region, env.dr.region],
    ...(config.notifications.snsTopicArn === undefined ? {} : { topicArn: config.notifications.snsTopicArn }),
  };
  const groups = new Map<string, string[]>();
  for (const action of [...actionsOf(operation)].sort()) {
    // Without a topic, nothing is published: no sns:Publish on "*".
    if (action === "sns:Publish" && ctx.topicArn === undefined) continue;
    const scope = scopeOf(action);
    groups.set(scope, [...(groups.get(scope) ?? []), action]);
  }
  const statements: PolicyStatement[] = [];
  for (const [name, scope] of Object.entries(SCOPES)) {
    const actions = groups.get(name);
    if (actions === undefined) continue;
    const condition = scope.condition?.(ctx);
    statements.push({
      Sid: scope.sid,
      Effect: "Allow",
      Action: actions,
      Resource: scope.resource(ctx),
      ...(condition === undefined ? {} : { Condition: condition }),
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
