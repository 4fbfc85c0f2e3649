import { Resolver } from "node:dns/promises";
import { CloudWatchClient, DescribeAlarmsForMetricCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { GetHealthCheckStatusCommand, Route53Client } from "@aws-sdk/client-route-53";
import { PilotlightError } from "../domain/errors";
import type { HealthCheckStatus, Traffic, TrafficGate } from "../ports/traffic";
import { toAwsError } from "./aws-errors";
import type { IamAction } from "./iam/action";

/** The AWS calls of each method, as IAM actions (`resolve` is DNS, no AWS API). */
export const TRAFFIC_ACTIONS = {
  healthCheckStatus: ["route53:GetHealthCheckStatus"],
  setGate: ["cloudwatch:PutMetricData"],
  gateState: ["cloudwatch:DescribeAlarmsForMetric"],
  resolve: [],
} as const satisfies Record<keyof Traffic, readonly IamAction[]>;

/** Creates a CloudWatch client for a region (injected in tests). */
export type CloudWatchClientFactory = (region: string) => CloudWatchClient;

/** Looks up what a name answers on given name servers (injected in tests). */
export type DnsLookup = (name: string, nameServers: string[]) => Promise<string[]>;

/**
 * Resolves a CNAME by asking the zone's authoritative name servers directly — Route 53's data
 * plane, health checks applied, no resolver cache in between. A private hosted zone answers only
 * inside its VPCs: there this fails, and the caller says "unknown".
 */
export const authoritativeLookup: DnsLookup = async (name, nameServers) => {
  const resolver = new Resolver({ timeout: 3_000, tries: 2 });
  const ips: string[] = [];
  for (const ns of nameServers) {
    try {
      ips.push(...(await new Resolver({ timeout: 3_000, tries: 2 }).resolve4(ns)));
    } catch {
      // Another of the four name servers answers.
    }
  }
  if (ips.length === 0)
    throw new PilotlightError(
      "aws.unavailable",
      `none of the zone's name servers (${nameServers.join(", ")}) could be found`,
      { source: "aws" },
    );
  resolver.setServers(ips);
  try {
    return (await resolver.resolveCname(name)).map((h) => h.replace(/\.$/, ""));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENODATA" || (error as NodeJS.ErrnoException).code === "ENOTFOUND")
      return [];
    throw toAwsError(error, "DNS query", name);
  }
};

/**
 * Traffic on AWS, data plane first. The gates are CloudWatch metrics in the DR region
 * (`PutMetricData`, `DescribeAlarmsForMetric`); what clients are sent to is asked of the zone's
 * authoritative name servers. Only the endpoint's measured health is read from Route 53's
 * control plane (us-east-1), and its failure there is "unknown", never an error (Well-Architected
 * REL11-BP04: rely on the data plane during recovery).
 */
export class AwsTraffic implements Traffic {
  private readonly clients = new Map<string, CloudWatchClient>();

  constructor(
    private readonly route53: Route53Client = new Route53Client({
      region: "us-east-1",
      retryMode: "adaptive",
      maxAttempts: 3,
    }),
    private readonly cloudwatch: CloudWatchClientFactory = (region) =>
      new CloudWatchClient({ region, retryMode: "adaptive", maxAttempts: 6 }),
    private readonly lookup: DnsLookup = authoritativeLookup,
  ) {}

  private cw(region: string): CloudWatchClient {
    let c = this.clients.get(region);
    if (c === undefined) this.clients.set(region, (c = this.cloudwatch(region)));
    return c;
  }

  async healthCheckStatus(q: { healthCheckId: string }): Promise<HealthCheckStatus> {
    try {
      const r = await this.route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: q.healthCheckId }));
      const observations = r.HealthCheckObservations ?? [];
      if (observations.length === 0) return { state: "unknown", reason: "no checker reported" };
      const healthy = observations.filter((o) => (o.StatusReport?.Status ?? "").startsWith("Success")).length;
      // Route 53 considers an endpoint healthy when more than 18% of its checkers report so
      // (Route 53 Developer Guide, "How Route 53 determines whether a health check is healthy").
      return { state: healthy / observations.length > 0.18 ? "healthy" : "unhealthy" };
    } catch (error) {
      return { state: "unknown", reason: toAwsError(error, "GetHealthCheckStatus", q.healthCheckId).message };
    }
  }

  async setGate(q: { gate: TrafficGate; value: 0 | 1 }): Promise<{ changeId: string }> {
    try {
      await this.cw(q.gate.region).send(
        new PutMetricDataCommand({
          Namespace: q.gate.namespace,
          MetricData: [
            {
              MetricName: q.gate.metric,
              Dimensions: Object.entries(q.gate.dimensions).map(([Name, Value]) => ({ Name, Value })),
              Value: q.value,
              Unit: "Count",
            },
          ],
        }),
      );
      return { changeId: `${q.gate.metric}=${q.value}@${Date.now()}` };
    } catch (error) {
      throw toAwsError(error, "PutMetricData", `${q.gate.namespace}/${q.gate.metric}`);
    }
  }

  async gateState(q: { gate: TrafficGate }): Promise<"OK" | "ALARM" | "INSUFFICIENT_DATA" | "unknown"> {
    try {
      const r = await this.cw(q.gate.region).send(
        new DescribeAlarmsForMetricCommand({
          Namespace: q.gate.namespace,
          MetricName: q.gate.metric,
          Dimensions: Object.entries(q.gate.dimensions).map(([Name, Value]) => ({ Name, Value })),
        }),
      );
      const state = r.MetricAlarms?.[0]?.StateValue;
      return state === "OK" || state === "ALARM" || state === "INSUFFICIENT_DATA" ? state : "unknown";
    } catch {
      return "unknown";
    }
  }

  async resolve(q: { zoneId: string; name: string; nameServers: string[] }): Promise<string[]> {
    if (q.nameServers.length === 0) {
      throw new PilotlightError("traffic.unknown", `the primary stack exports no name servers for zone ${q.zoneId}`, {
        source: "user",
        hint: "deploy this version's primary program (its nameServers output)",
      });
    }
    return this.lookup(q.name, q.nameServers);
  }
}
