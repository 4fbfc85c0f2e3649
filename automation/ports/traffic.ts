/** Route 53 health check state as seen by its checkers. */
export type HealthCheckState = "healthy" | "unhealthy" | "unknown";

/** A health check's state; `unknown` with the reason when Route 53's control plane did not answer. */
export interface HealthCheckStatus {
  state: HealthCheckState;
  reason?: string;
}

/**
 * A traffic gate: a CloudWatch metric in the DR region whose alarm feeds a Route 53 health check
 * (`CLOUDWATCH_METRIC`) that is a child of a record's calculated check. Setting the metric is a
 * data-plane call in the DR region, so traffic is switched and held while Route 53's control
 * plane (us-east-1) is down (Well-Architected REL11-BP04; Route 53 Developer Guide, "Monitoring
 * a CloudWatch alarm"). Value 1 sets the alarm off (the check goes unhealthy); 0 clears it.
 */
export interface TrafficGate {
  region: string;
  namespace: string;
  metric: string;
  dimensions: Record<string, string>;
}

/** Traffic on Route 53's data plane: endpoint health, the gates, what the record name answers. */
export interface Traffic {
  /**
   * The endpoint's health as Route 53's checkers report it (`GetHealthCheckStatus`, a
   * control-plane read): `unknown`, never an error, when that does not answer.
   */
  healthCheckStatus(q: { healthCheckId: string }): Promise<HealthCheckStatus>;
  /** Sets a gate's metric (`PutMetricData` in its region). */
  setGate(q: { gate: TrafficGate; value: 0 | 1 }): Promise<{ changeId: string }>;
  /** The gate's alarm state now: `ALARM` once a 1 was evaluated (`DescribeAlarms`). */
  gateState(q: { gate: TrafficGate }): Promise<"OK" | "ALARM" | "INSUFFICIENT_DATA" | "unknown">;
  /**
   * What the record name answers now, asked of the zone's authoritative name servers (data
   * plane, health checks applied; clients follow within the TTL).
   */
  resolve(q: { zoneId: string; name: string; nameServers: string[] }): Promise<string[]>;
}
