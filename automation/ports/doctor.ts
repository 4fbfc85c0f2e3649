/** Who the credentials are (`sts:GetCallerIdentity`). */
export interface CallerIdentity {
  account: string;
  arn: string;
}

/** One action's decision in a policy simulation. */
export interface SimulatedDecision {
  action: string;
  decision: "allowed" | "explicitDeny" | "implicitDeny";
}

/**
 * The read-only questions `doctor` asks of an account beyond what the runbooks' ports answer:
 * identity, permissions, what RDS can create in the DR region, the workload's runtime, the zone.
 */
export interface DoctorProbes {
  /** `sts:GetCallerIdentity` (needs no permission). */
  identity(): Promise<CallerIdentity>;
  /**
   * The IAM principal to simulate for a caller: a user as it is; an assumed role's session ARN
   * (`arn:aws:sts::…:assumed-role/NAME/SESSION`, which carries no path) → the role's ARN with its
   * path (`iam:GetRole`).
   */
  principalOf(callerArn: string): Promise<string>;
  /** `iam:SimulatePrincipalPolicy` of the actions for the principal (every page). */
  simulate(q: { principalArn: string; actions: string[] }): Promise<SimulatedDecision[]>;
  /** Whether RDS offers the engine version on the instance class in the region (`DescribeOrderableDBInstanceOptions`). */
  orderable(q: { region: string; engineVersion: string; instanceClass: string }): Promise<boolean>;
  /** The function's runtime (`lambda:GetFunctionConfiguration`); undefined when it does not exist. */
  functionRuntime(q: { region: string; name: string }): Promise<string | undefined>;
  /** The hosted zone (`route53:GetHostedZone`); undefined when it does not exist. */
  zone(q: { zoneId: string }): Promise<{ name: string; private: boolean } | undefined>;
}
