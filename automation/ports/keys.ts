/** A KMS key's state, as KMS describes it. */
export interface KeyInfo {
  arn: string;
  /** `Enabled`, `Disabled`, `PendingDeletion`, `PendingImport`, `Unavailable`, … */
  state: string;
  enabled: boolean;
}

/**
 * KMS, read-only: the posture check proves the keys that encrypt the vaults and the restored
 * clusters are usable. A disabled key or one pending deletion makes every recovery point it
 * encrypts unrestorable (AWS KMS Developer Guide, "Key states of AWS KMS keys").
 */
export interface Keys {
  /** `undefined` when the key does not exist (or is not visible to these credentials). */
  describeKey(q: { region: string; keyArn: string }): Promise<KeyInfo | undefined>;
}
