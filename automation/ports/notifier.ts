/** A stakeholder notification, filled with measured figures. */
export interface Notification {
  subject: string;
  body: string;
  severity: "info" | "warning" | "critical";
  runId?: string;
}

/** Where notifications go (SNS, a Slack-compatible webhook, the test host). */
export interface Notifier {
  notify(n: Notification): Promise<void>;
}
