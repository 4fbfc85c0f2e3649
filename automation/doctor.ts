import { readPrimaryOutputs, supportsDataApi } from "../infra/contract";
import type { Config, EnvironmentConfig } from "./config/schema";
import { isPilotlightError } from "./domain/errors";
import { runtimeStanding } from "./domain/lambda-runtimes";
import { formatDuration } from "./domain/objectives";
import type { DoctorProbes } from "./ports/doctor";
import type { EnvironmentPorts } from "./ports/runbook-ports";

/** One readiness finding: what was checked, how it stands, and the fix when it is not ok. */
export interface DoctorFinding {
  check: string;
  status: "ok" | "warn" | "fail" | "skip";
  detail: string;
  fix?: string;
}

/** What the doctor asks through. */
export interface DoctorInput {
  config: Config;
  envName: string;
  env: EnvironmentConfig;
  ports: EnvironmentPorts;
  probes: DoctorProbes;
  now: number;
  /** Every action the operator's policy must allow (`iam-policy --operation all`). */
  requiredActions: string[];
}

type Check = (d: DoctorInput, seen: Seen) => Promise<DoctorFinding | DoctorFinding[]>;

/** What earlier checks learned for later ones. */
interface Seen {
  account?: string;
  principal?: string;
  primary?: ReturnType<typeof readPrimaryOutputs>;
}

const finding = (check: string, status: DoctorFinding["status"], detail: string, fix?: string): DoctorFinding => ({
  check,
  status,
  detail,
  ...(fix === undefined ? {} : { fix }),
});

const CHECKS: Array<[string, Check]> = [
  [
    "identity",
    async (d, seen) => {
      const id = await d.probes.identity();
      seen.account = id.account;
      seen.principal = await d.probes.principalOf(id.arn);
      return finding("identity", "ok", `account ${id.account} as ${id.arn}`);
    },
  ],
  [
    "state backend",
    async (d) => {
      const url = d.config.stateBackend;
      const out: DoctorFinding[] = [];
      const names = await d.ports.stacks.list();
      out.push(finding("state backend reachable", "ok", `${names.length} stacks (${names.join(", ") || "none"})`));
      if (url.startsWith("file://")) {
        out.push(
          finding(
            "state backend placement",
            "warn",
            "the Pulumi state is on this machine's disk: a failover can run only here",
            "move it to s3://bucket?region=<a region other than the primary's> (pulumi stack export/import)",
          ),
        );
      } else if (url.startsWith("s3://")) {
        const region = new URL(url).searchParams.get("region");
        if (region === null)
          out.push(
            finding(
              "state backend placement",
              "warn",
              "the S3 backend names no region: cannot tell it is not in the primary region",
              `add ?region=<bucket region> to stateBackend`,
            ),
          );
        else if (region === d.env.primary.region) {
          out.push(
            finding(
              "state backend placement",
              "fail",
              `the state bucket is in the primary region ${region}: unreachable in the outage a failover is for`,
              "replicate the state to a bucket in another region and point stateBackend at it",
            ),
          );
        } else out.push(finding("state backend placement", "ok", `state in ${region}, not the primary region`));
      }
      return out;
    },
  ],
  [
    "primary stack",
    async (d, seen) => {
      seen.primary = readPrimaryOutputs(d.env.primary.stack, await d.ports.stacks.outputs(d.env.primary.stack));
      return finding("primary stack", "ok", `serving ${seen.primary.clusterIdentifier}`);
    },
  ],
  [
    "vaults and keys",
    async (d) => {
      const out: DoctorFinding[] = [];
      for (const [side, region, vault] of [
        ["primary", d.env.primary.region, d.env.primary.vault],
        ["DR", d.env.dr.region, d.env.dr.vault],
      ] as const) {
        const v = await d.ports.backups.describeVault({ region, vault });
        if (v === undefined) {
          out.push(
            finding(
              `${side} vault`,
              "fail",
              `vault ${vault} does not exist in ${region}`,
              `deploy the primary program, or fix environments.${d.envName}.${side === "DR" ? "dr" : "primary"}.vault`,
            ),
          );
          continue;
        }
        const key =
          v.encryptionKeyArn === undefined
            ? undefined
            : await d.ports.keys.describeKey({ region, keyArn: v.encryptionKeyArn });
        if (key === undefined || !key.enabled) {
          out.push(
            finding(
              `${side} vault key`,
              "fail",
              `the key of ${vault} is ${key?.state ?? "missing"}: its recovery points cannot be restored`,
              "enable the key (or cancel its deletion) in KMS",
            ),
          );
        } else
          out.push(
            finding(`${side} vault`, "ok", `${vault} in ${region}, ${v.recoveryPoints} recovery points, key enabled`),
          );
      }
      return out;
    },
  ],
  [
    "recovery points",
    async (d, seen) => {
      const primary = seen.primary;
      if (primary === undefined) return finding("recovery points", "skip", "no primary stack outputs");
      const points = await d.ports.backups.listRecoveryPoints({
        region: d.env.dr.region,
        vault: d.env.dr.vault,
        resourceArn: primary.clusterArn,
      });
      const newest = points.filter((p) => p.status === "COMPLETED").sort((a, b) => b.createdAt - a.createdAt)[0];
      if (newest === undefined)
        return finding(
          "recovery points",
          "fail",
          `no completed copy of ${primary.clusterIdentifier} in ${d.env.dr.vault}`,
          "check the backup plan's copy rule and the copy jobs (AWS Backup console)",
        );
      const age = d.now - newest.createdAt;
      const within = age <= d.env.objectives.rpo;
      return finding(
        "recovery points",
        within ? "ok" : "fail",
        `newest copy in DR is ${formatDuration(age)} old (RPO ${formatDuration(d.env.objectives.rpo)})`,
        within ? undefined : "check the backup plan's schedule and the copy jobs",
      );
    },
  ],
  [
    "backup opt-in",
    async (d) => {
      const s = await d.ports.backups.regionSettings({ region: d.env.primary.region });
      return s.optIn["Aurora"] === true
        ? finding("backup opt-in", "ok", `AWS Backup manages Aurora in ${d.env.primary.region}`)
        : finding(
            "backup opt-in",
            "fail",
            `Aurora is not opted in to AWS Backup in ${d.env.primary.region}: a selection by tag backs nothing up`,
            "set pilotlight:manageBackupOptIn true in the primary stack, or opt in under AWS Backup settings",
          );
    },
  ],
  [
    "data api on the primary",
    async (d, seen) => {
      if (seen.primary === undefined) return finding("data api on the primary", "skip", "no primary stack outputs");
      const c = await d.ports.databases.describeCluster({
        region: d.env.primary.region,
        id: seen.primary.clusterIdentifier,
      });
      if (c === undefined)
        return finding(
          "data api on the primary",
          "fail",
          `cluster ${seen.primary.clusterIdentifier} not found in ${d.env.primary.region}`,
        );
      const tClass = c.instances.find((i) => i.instanceClass !== undefined && !supportsDataApi(i.instanceClass));
      if (!c.httpEndpointEnabled)
        return finding(
          "data api on the primary",
          "fail",
          "the RDS Data API is off: manifests, fencing and checks need it",
          "set enableHttpEndpoint on the cluster (the primary program does)",
        );
      if (tClass !== undefined)
        return finding(
          "data api on the primary",
          "fail",
          `instance ${tClass.id} is ${tClass.instanceClass}: the Data API does not serve T classes`,
          "move the cluster to an r/x class or db.serverless",
        );
      return finding(
        "data api on the primary",
        "ok",
        `on, ${c.instances.length} instances, engine ${c.engineVersion ?? "?"}`,
      );
    },
  ],
  [
    "DR engine and class",
    async (d) => {
      const file = await d.ports.stacks.fileConfig(d.env.dr.stack);
      const version = file["pilotlight:engineVersion"] ?? "16.4";
      const instanceClass = file["pilotlight:instanceClass"] ?? "db.r6g.large";
      const out: DoctorFinding[] = [];
      const orderable = await d.probes.orderable({ region: d.env.dr.region, engineVersion: version, instanceClass });
      out.push(
        orderable
          ? finding(
              "DR engine and class orderable",
              "ok",
              `aurora-postgresql ${version} on ${instanceClass} in ${d.env.dr.region}`,
            )
          : finding(
              "DR engine and class orderable",
              "fail",
              `RDS does not offer aurora-postgresql ${version} on ${instanceClass} in ${d.env.dr.region}`,
              `pick an offered version/class in Pulumi.${d.env.dr.stack}.yaml (aws rds describe-orderable-db-instance-options)`,
            ),
      );
      out.push(
        supportsDataApi(instanceClass)
          ? finding("DR class serves the Data API", "ok", instanceClass)
          : finding(
              "DR class serves the Data API",
              "fail",
              `${instanceClass} is a T class: the Data API does not serve it`,
              "use an r/x class or db.serverless",
            ),
      );
      return out;
    },
  ],
  [
    "DR workload runtime",
    async (d, seen) => {
      const name = seen.primary?.drFunctionName;
      if (name === undefined)
        return finding("DR workload runtime", "skip", "the DR workload is not a Lambda function pilotlight knows");
      const runtime = await d.probes.functionRuntime({ region: d.env.dr.region, name });
      if (runtime === undefined)
        return finding(
          "DR workload runtime",
          "fail",
          `function ${name} does not exist in ${d.env.dr.region}`,
          "deploy the primary program",
        );
      const standing = runtimeStanding(runtime, d.now);
      if (standing.state === "blocked")
        return finding(
          "DR workload runtime",
          "fail",
          `${runtime} can no longer be updated: a failover that changes the function fails`,
          "move the function to nodejs22.x (this version's program)",
        );
      if (standing.state === "deprecated")
        return finding(
          "DR workload runtime",
          "warn",
          `${runtime} is deprecated; updates are blocked from ${new Date(standing.until!).toISOString().slice(0, 10)}`,
          "move to a supported runtime",
        );
      return finding(
        "DR workload runtime",
        standing.state === "ok" ? "ok" : "warn",
        `${runtime}${standing.until === undefined ? " (lifecycle unknown to pilotlight)" : `, supported until ${new Date(standing.until).toISOString().slice(0, 10)}`}`,
      );
    },
  ],
  [
    "hosted zone",
    async (d) => {
      if (d.env.dns === undefined) return finding("hosted zone", "skip", "no dns configured: traffic is not switched");
      const z = await d.probes.zone({ zoneId: d.env.dns.zoneId });
      if (z === undefined)
        return finding(
          "hosted zone",
          "fail",
          `zone ${d.env.dns.zoneId} does not exist`,
          `fix environments.${d.envName}.dns.zoneId`,
        );
      if (z.private) {
        return finding(
          "hosted zone",
          "warn",
          `${z.name} is private: its name servers answer only inside its VPCs, so switches are verified only from there`,
          "run pilotlight inside one of the zone's VPCs",
        );
      }
      return finding("hosted zone", "ok", `${z.name} is public`);
    },
  ],
  [
    "notifications",
    async (d) => {
      const topic = d.config.notifications.snsTopicArn;
      if (topic === undefined)
        return finding(
          "notifications",
          "warn",
          "no SNS topic: only the webhook (if any) hears of runs",
          "set notifications.snsTopicArn",
        );
      const region = topic.split(":")[3];
      return region === d.env.primary.region
        ? finding(
            "notifications",
            "warn",
            `the topic is in the primary region ${region}: down with it`,
            "use a topic in another region (the DR region)",
          )
        : finding("notifications", "ok", `topic in ${region}`);
    },
  ],
  [
    "permissions",
    async (d, seen) => {
      if (seen.principal === undefined) return finding("permissions", "skip", "identity unknown");
      const decisions = await d.probes.simulate({ principalArn: seen.principal, actions: d.requiredActions });
      const denied = decisions.filter((x) => x.decision !== "allowed").map((x) => x.action);
      return denied.length === 0
        ? finding("permissions", "ok", `${decisions.length} actions allowed for ${seen.principal}`)
        : finding(
            "permissions",
            "fail",
            `${denied.length} of ${decisions.length} actions not allowed for ${seen.principal}: ${denied.slice(0, 8).join(", ")}${denied.length > 8 ? ", …" : ""}`,
            `attach the policy \`pilotlight iam-policy --env ${d.envName}\` prints`,
          );
    },
  ],
];

/**
 * The read-only readiness check: every finding names its fix. A check that cannot run (an error
 * of AWS, a missing stack) is a failed finding, never a crash; nothing is changed.
 */
export async function runDoctor(d: DoctorInput): Promise<DoctorFinding[]> {
  const seen: Seen = {};
  const out: DoctorFinding[] = [];
  for (const [name, check] of CHECKS) {
    try {
      const r = await check(d, seen);
      out.push(...(Array.isArray(r) ? r : [r]));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      out.push(finding(name, "fail", message, isPilotlightError(error) ? error.hint : undefined));
    }
  }
  return out;
}
