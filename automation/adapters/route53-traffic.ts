import { GetHealthCheckStatusCommand, Route53Client, TestDNSAnswerCommand, UpdateHealthCheckCommand } from "@aws-sdk/client-route-53";
import type { HealthCheckStatus, Traffic } from "../ports/traffic";
import { toAwsError } from "./aws-errors";

/**
 * Route 53. Failover itself happens on the data plane (failover records and health checks);
 * inverting a health check — to force a failover away from a primary that still answers, or to
 * pin traffic to DR — is a control-plane call, served from us-east-1 (Route 53 Developer Guide,
 * "Best practices for Amazon Route 53": rely on the data plane during an event).
 */
export class Route53Traffic implements Traffic {
  constructor(private readonly client: Route53Client = new Route53Client({ region: "us-east-1", retryMode: "adaptive", maxAttempts: 6 })) {}

  async healthCheckStatus(q: { healthCheckId: string }): Promise<HealthCheckStatus> {
    try {
      const r = await this.client.send(new GetHealthCheckStatusCommand({ HealthCheckId: q.healthCheckId }));
      const observations = r.HealthCheckObservations ?? [];
      if (observations.length === 0) return { state: "unknown" };
      const healthy = observations.filter((o) => (o.StatusReport?.Status ?? "").startsWith("Success")).length;
      // Route 53 considers an endpoint healthy when more than 18% of its checkers report so.
      return { state: healthy / observations.length > 0.18 ? "healthy" : "unhealthy" };
    } catch (error) {
      throw toAwsError(error, "GetHealthCheckStatus", q.healthCheckId);
    }
  }

  async forceFailover(q: { healthCheckId: string }): Promise<{ changeId: string }> {
    return this.invert(q.healthCheckId, true);
  }

  async restorePrimary(q: { healthCheckId: string }): Promise<{ changeId: string }> {
    return this.invert(q.healthCheckId, false);
  }

  async resolve(q: { zoneId: string; name: string; type: "A" | "AAAA" | "CNAME" }): Promise<string[]> {
    try {
      // What Route 53 answers now for the record, health checks applied.
      const r = await this.client.send(new TestDNSAnswerCommand({ HostedZoneId: q.zoneId, RecordName: q.name, RecordType: q.type }));
      return (r.RecordData ?? []).map((d) => d.replace(/\.$/, ""));
    } catch (error) {
      throw toAwsError(error, "TestDNSAnswer", q.name);
    }
  }

  private async invert(id: string, inverted: boolean): Promise<{ changeId: string }> {
    try {
      const r = await this.client.send(new UpdateHealthCheckCommand({ HealthCheckId: id, Inverted: inverted }));
      return { changeId: `${id}@${r.HealthCheck?.HealthCheckVersion ?? "?"}` };
    } catch (error) {
      throw toAwsError(error, "UpdateHealthCheck", id);
    }
  }
}
