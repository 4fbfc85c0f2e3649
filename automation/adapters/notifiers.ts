import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Notification, Notifier } from "../ports/notifier";
import { redactText } from "../domain/redact";
import { toAwsError } from "./aws-errors";
import type { IamAction } from "./iam/action";

/** The AWS call of a notification (a webhook is no AWS call). */
export const NOTIFIER_ACTIONS = { notify: ["sns:Publish"] } as const satisfies Record<
  keyof Notifier,
  readonly IamAction[]
>;

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
      // SNS subjects: printable ASCII "less than 100 characters long" (PublishInput.Subject; ledger N-2).
      const subject = n.subject.replace(/[^\x20-\x7e]/g, "-").slice(0, 99);
      await this.client.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Subject: subject,
          Message: n.body,
          MessageAttributes: { severity: { DataType: "String", StringValue: n.severity } },
        }),
      );
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
    let res: Response;
    try {
      res = await this.fetchFn(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: `*${n.subject}*\n${n.body}` }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      // fetch names the URL in some errors ("Failed to parse URL from …"): the whole URL is the
      // secret (Slack's token is its path), so only the error's kind and the host are kept.
      throw new Error(`webhook ${hostOf(this.url)} did not answer: ${redactText(describe(error), [this.url])}`);
    }
    if (!res.ok) throw new Error(`webhook ${hostOf(this.url)} answered ${res.status}`);
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(unparsable URL)";
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/** Sends to every notifier; fails only if all of them failed. */
export class FanOutNotifier implements Notifier {
  constructor(private readonly targets: Notifier[]) {}

  async notify(n: Notification): Promise<void> {
    const results = await Promise.allSettled(this.targets.map((t) => t.notify(n)));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length > 0 && failed.length === results.length)
      throw new Error(`every notifier failed: ${failed.map((f) => String(f.reason?.message ?? f.reason)).join("; ")}`);
  }
}
