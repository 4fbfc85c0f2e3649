/** Result of one probe of the workload. */
export interface ProbeResult {
  ok: boolean;
  status?: number;
  latencyMs: number;
  /** Why it is not ok (timeout, status, body mismatch). */
  reason?: string;
  databaseHealthy?: boolean;
}

/** HTTP health of the workload. */
export interface Health {
  probe(q: { url: string; timeoutMs: number; signal?: AbortSignal; readWrite?: boolean }): Promise<ProbeResult>;
}
