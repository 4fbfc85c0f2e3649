import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Notification, Notifier } from "../ports/notifier";
import { toAwsError } from "./aws-errors";

/** Publishes to an SNS topic (its region is the ARN's). */
export class SnsNotifier implements Notifier {
  private readonly client: SNSClient;

  constructor(
    private readonly topicArn: string,
    client?: SNSClient,
  ) {
    this.client = client ?? new SNSClient({ region: topicArn.split(":")[3], retryMode: "adaptive", maxAttempts: 6 });
  }

  async notify(n: Notification): Promise<void> {
    try {
      // SNS subjects: at most 100 printable ASCII characters.
      const subject = n.subject.replace(/[^\x20-\x7e]/g, "-").slice(0, 100);
      await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: subject, Message: n.body, MessageAttributes: { severity: { DataType: "String", StringValue: n.severity } } }));
    } catch (error) {
      throw toAwsError(error, "Publish", this.topicArn);
    }
  }
}

/** Posts `{ "text": … }` to a Slack-compatible incoming webhook. The URL is a secret: never logged. */
export class WebhookNotifier implements Notifier {
  constructor(
    private readonly url: string,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  async notify(n: Notification): Promise<void> {
    const res = await this.fetchFn(this.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: `*${n.subject}*\n${n.body}` }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`webhook answered ${res.status}`);
  }
}

/** Sends to every notifier; fails only if all of them failed. */
export class FanOutNotifier implements Notifier {
  constructor(private readonly targets: Notifier[]) {}

  async notify(n: Notification): Promise<void> {
    const results = await Promise.allSettled(this.targets.map((t) => t.notify(n)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length > 0 && failed.length === results.length) throw new Error(`every notifier failed: ${failed.map((f) => String(f.reason?.message ?? f.reason)).join("; ")}`);
  }
}
