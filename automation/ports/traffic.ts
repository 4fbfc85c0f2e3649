/** Route 53 health check state as seen by its checkers. */
export type HealthCheckState = "healthy" | "unhealthy" | "unknown";

/** A health check's state and, when unhealthy, since when (the outage's observed start). */
export interface HealthCheckStatus {
  state: HealthCheckState;
  since?: number;
}

/** Traffic switching on Route 53's data plane (failover records with health checks). */
export interface Traffic {
  healthCheckStatus(q: { healthCheckId: string }): Promise<HealthCheckStatus>;
  /**
   * Forces failover away from a primary that still answers (data corruption, forced drill) by
   * inverting its health check; returns the change so it can be undone on failback.
   */
  forceFailover(q: { healthCheckId: string }): Promise<{ changeId: string }>;
  /** Undoes {@link forceFailover}. */
  restorePrimary(q: { healthCheckId: string }): Promise<{ changeId: string }>;
  /** Which value a record name currently answers with (what clients are sent to). */
  resolve(q: { zoneId: string; name: string; type: "A" | "AAAA" | "CNAME" }): Promise<string[]>;
}
