import type { JsonObject } from "../domain/json";

/** A stack config value; secrets are never passed on a command line by adapters. */
export interface StackConfigValue {
  value: string;
  secret?: boolean;
}

/** Progress of a stack operation, mapped from the engine's events by the adapter. */
export interface StackProgress {
  resource?: string;
  type?: string;
  op?: string;
  status: "started" | "done" | "failed" | "diagnostic";
  message?: string;
}

/** Options every stack operation takes. */
export interface StackOperationOptions {
  signal: AbortSignal;
  /** Absolute epoch ms by which the operation must end. */
  deadline: number;
  onProgress?: (p: StackProgress) => void;
}

/** Result of `up`/`preview`. */
export interface StackUpdateResult {
  outputs: JsonObject;
  /** Resource changes by operation (create, update, delete, same...). */
  changes: Record<string, number>;
}

/**
 * Pulumi stacks of the project (`primary`, `dr`, drill stacks named after runs). Implemented by
 * `PulumiStacks` over the Automation API and by the sandbox.
 */
export interface Stacks {
  exists(stack: string): Promise<boolean>;
  /** Names of the project's stacks in the state backend (the sweeper looks for drill stacks). */
  list(): Promise<string[]>;
  outputs(stack: string): Promise<JsonObject>;
  preview(stack: string, config: Record<string, StackConfigValue>, opts: StackOperationOptions): Promise<StackUpdateResult>;
  up(stack: string, config: Record<string, StackConfigValue>, opts: StackOperationOptions): Promise<StackUpdateResult>;
  refresh(stack: string, opts: StackOperationOptions): Promise<void>;
  /**
   * Destroys the stack's resources, then (with `remove`) removes the stack, keeping its
   * `Pulumi.<stack>.yaml` unless `preserveConfig` is false (drill stacks have no committed file).
   */
  destroy(stack: string, opts: StackOperationOptions & { remove: boolean; preserveConfig?: boolean }): Promise<void>;
}
