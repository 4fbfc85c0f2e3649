import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import type { KeyInfo, Keys } from "../ports/keys";
import { toAwsError } from "./aws-errors";
import type { IamAction } from "./iam/action";

/** The AWS calls of each method, as IAM actions (the policy generator reads them). */
export const KEY_ACTIONS = { describeKey: ["kms:DescribeKey"] } as const satisfies Record<
  keyof Keys,
  readonly IamAction[]
>;

/** Creates a KMS client for a region (injected in tests). */
export type KmsClientFactory = (region: string) => KMSClient;

export const defaultKmsClient: KmsClientFactory = (region) =>
  new KMSClient({ region, retryMode: "adaptive", maxAttempts: 6 });

/** KMS through SDK v3: DescribeKey's `KeyMetadata.KeyState` and `Enabled` (AWS KMS API Reference, DescribeKey). */
export class AwsKeys implements Keys {
  private readonly clients = new Map<string, KMSClient>();

  constructor(private readonly factory: KmsClientFactory = defaultKmsClient) {}

  async describeKey(q: { region: string; keyArn: string }): Promise<KeyInfo | undefined> {
    let c = this.clients.get(q.region);
    if (c === undefined) this.clients.set(q.region, (c = this.factory(q.region)));
    try {
      const r = await c.send(new DescribeKeyCommand({ KeyId: q.keyArn }));
      const m = r.KeyMetadata;
      if (m === undefined) return undefined;
      return { arn: m.Arn ?? q.keyArn, state: m.KeyState ?? "Unknown", enabled: m.Enabled === true };
    } catch (error) {
      if ((error as Error).name === "NotFoundException") return undefined;
      throw toAwsError(error, "DescribeKey", q.keyArn);
    }
  }
}
