import type { IamAction } from "./action";

/** What the Pulumi engine does to a resource in an update. */
export type ResourceOp = "create" | "update" | "delete";

/** The provider's AWS calls for one resource type, per operation. */
export type ResourceActions = Readonly<Partial<Record<ResourceOp, readonly IamAction[]>>>;

const rdsTags: IamAction[] = ["rds:AddTagsToResource", "rds:ListTagsForResource"];
const ec2Tags: IamAction[] = ["ec2:CreateTags", "ec2:DeleteTags"];

/**
 * The AWS calls the Pulumi AWS provider (the Terraform AWS provider underneath) makes for each
 * resource type pilotlight's programs declare, per operation: the mutating call, the reads its
 * waiters and the read-after-write make, and the tagging calls. Sources: the provider's resource
 * implementations (internal/service/<service>/<resource>.go: Create/Read/Update/Delete and their
 * waiters) and the Service Authorization Reference for dependent actions (`iam:PassRole` of a
 * role handed to a service; `kms:CreateGrant` of a key handed to RDS or AWS Backup).
 * `awsx:ec2:Vpc` is a component: its VPC, subnets and route tables are the EC2 calls listed.
 */
export const RESOURCE_ACTIONS: Readonly<Record<string, ResourceActions>> = {
  "awsx:ec2:Vpc": {
    create: [
      "ec2:CreateVpc",
      "ec2:DescribeVpcs",
      "ec2:ModifyVpcAttribute",
      "ec2:DescribeVpcAttribute",
      "ec2:CreateSubnet",
      "ec2:DescribeSubnets",
      "ec2:CreateRouteTable",
      "ec2:AssociateRouteTable",
      "ec2:DescribeRouteTables",
      "ec2:DescribeAvailabilityZones",
      ...ec2Tags,
    ],
    delete: [
      "ec2:DisassociateRouteTable",
      "ec2:DeleteRouteTable",
      "ec2:DeleteSubnet",
      "ec2:DeleteVpc",
      "ec2:DescribeVpcs",
      "ec2:DescribeSubnets",
      "ec2:DescribeRouteTables",
    ],
  },
  "aws:ec2/securityGroup:SecurityGroup": {
    create: [
      "ec2:CreateSecurityGroup",
      "ec2:DescribeSecurityGroups",
      "ec2:AuthorizeSecurityGroupIngress",
      "ec2:AuthorizeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupEgress",
      ...ec2Tags,
    ],
    // The provider waits for the network interfaces of what used the group to go.
    delete: ["ec2:DeleteSecurityGroup", "ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces"],
  },
  "aws:rds/subnetGroup:SubnetGroup": {
    create: ["rds:CreateDBSubnetGroup", "rds:DescribeDBSubnetGroups", ...rdsTags],
    delete: ["rds:DeleteDBSubnetGroup", "rds:DescribeDBSubnetGroups"],
  },
  "aws:rds/cluster:Cluster": {
    // One of the three creates, by the program's inputs; then ModifyDBCluster for what a restore
    // does not take (managed master password, backup window), waiting on DescribeDBClusters.
    // A managed master password is a secret RDS creates on the caller's behalf.
    create: [
      "rds:CreateDBCluster",
      "rds:RestoreDBClusterFromSnapshot",
      "rds:RestoreDBClusterToPointInTime",
      "rds:ModifyDBCluster",
      "rds:DescribeDBClusters",
      ...rdsTags,
      "kms:CreateGrant",
      "kms:DescribeKey",
      "secretsmanager:CreateSecret",
      "secretsmanager:TagResource",
    ],
    update: [
      "rds:ModifyDBCluster",
      "rds:EnableHttpEndpoint",
      "rds:DescribeDBClusters",
      ...rdsTags,
      "rds:RemoveTagsFromResource",
    ],
    delete: [
      "rds:DeleteDBCluster",
      "rds:DescribeDBClusters",
      "rds:ModifyDBCluster",
      "rds:CreateDBClusterSnapshot",
      "rds:AddTagsToResource",
    ],
  },
  "aws:rds/clusterInstance:ClusterInstance": {
    create: ["rds:CreateDBInstance", "rds:DescribeDBInstances", ...rdsTags],
    update: ["rds:ModifyDBInstance", "rds:DescribeDBInstances", ...rdsTags, "rds:RemoveTagsFromResource"],
    delete: ["rds:DeleteDBInstance", "rds:DescribeDBInstances"],
  },
  "aws:backup/vault:Vault": {
    create: [
      "backup:CreateBackupVault",
      "backup:DescribeBackupVault",
      "backup:TagResource",
      "backup:ListTags",
      "backup-storage:MountCapsule",
      "kms:CreateGrant",
      "kms:DescribeKey",
    ],
    delete: ["backup:DeleteBackupVault", "backup:DescribeBackupVault"],
  },
  "aws:backup/regionSettings:RegionSettings": {
    create: ["backup:UpdateRegionSettings", "backup:DescribeRegionSettings"],
    update: ["backup:UpdateRegionSettings", "backup:DescribeRegionSettings"],
  },
  "aws:kms/key:Key": {
    create: [
      "kms:CreateKey",
      "kms:DescribeKey",
      "kms:GetKeyPolicy",
      "kms:PutKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:EnableKeyRotation",
      "kms:ListResourceTags",
      "kms:TagResource",
    ],
    delete: ["kms:ScheduleKeyDeletion", "kms:DescribeKey"],
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    create: [
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:TagResource",
      "cloudwatch:ListTagsForResource",
    ],
    update: ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"],
    delete: ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms"],
  },
  "aws:lambda/function:Function": {
    create: [
      "lambda:CreateFunction",
      "lambda:GetFunction",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:ListVersionsByFunction",
      "lambda:TagResource",
      "iam:PassRole",
    ],
    update: ["lambda:UpdateFunctionConfiguration", "lambda:UpdateFunctionCode", "lambda:GetFunction", "iam:PassRole"],
    delete: ["lambda:DeleteFunction", "lambda:GetFunction"],
  },
  "aws:lambda/functionUrl:FunctionUrl": {
    create: ["lambda:CreateFunctionUrlConfig", "lambda:GetFunctionUrlConfig"],
    delete: ["lambda:DeleteFunctionUrlConfig", "lambda:GetFunctionUrlConfig"],
  },
  "aws:lambda/permission:Permission": {
    create: ["lambda:AddPermission", "lambda:GetPolicy"],
    delete: ["lambda:RemovePermission", "lambda:GetPolicy"],
  },
  "aws:ssm/parameter:Parameter": {
    create: ["ssm:PutParameter", "ssm:GetParameter", "ssm:AddTagsToResource", "ssm:ListTagsForResource"],
    update: ["ssm:PutParameter", "ssm:GetParameter"],
    delete: ["ssm:DeleteParameter"],
  },
  "aws:route53/healthCheck:HealthCheck": {
    create: [
      "route53:CreateHealthCheck",
      "route53:GetHealthCheck",
      "route53:ChangeTagsForResource",
      "route53:ListTagsForResource",
    ],
    update: ["route53:UpdateHealthCheck", "route53:GetHealthCheck"],
    delete: ["route53:DeleteHealthCheck"],
  },
  "aws:route53/record:Record": {
    create: ["route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListResourceRecordSets"],
    update: ["route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListResourceRecordSets"],
    delete: ["route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListResourceRecordSets"],
  },
  "aws:iam/role:Role": {
    create: ["iam:CreateRole", "iam:GetRole", "iam:TagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"],
    delete: [
      "iam:DeleteRole",
      "iam:ListInstanceProfilesForRole",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
    ],
  },
  "aws:iam/rolePolicy:RolePolicy": {
    create: ["iam:PutRolePolicy", "iam:GetRolePolicy"],
    update: ["iam:PutRolePolicy", "iam:GetRolePolicy"],
    delete: ["iam:DeleteRolePolicy"],
  },
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
    create: ["iam:AttachRolePolicy", "iam:ListAttachedRolePolicies"],
    delete: ["iam:DetachRolePolicy"],
  },
};

/** The provider's calls for a resource operation; an undeclared one is a bug the coverage test names. */
export function resourceActions(type: string, op: ResourceOp): readonly IamAction[] | undefined {
  return RESOURCE_ACTIONS[type]?.[op];
}
