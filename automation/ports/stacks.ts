import type { JsonObject } from "../domain/json";

/** A stack config value; secrets are never passed on a command line by adapters. */
export interface StackConfigValue {
  value: string;
  secret?: boolean;
}

/**
 * How an update changes a stack's config. `config set-all` only adds or replaces keys, so the
 * keys a runbook no longer wants are named in `remove` (`config rm`); `defaults` are set only
 * where the stack file has no value — pilotlight never overrides what the user's file decides.
 */
export interface StackConfigChange {
  set: Record<string, StackConfigValue>;
  remove?: string[];
  defaults?: Record<string, StackConfigValue>;
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

/** Result of `up`. */
export interface StackUpdateResult {
  outputs: JsonObject;
  /** Resource changes by operation (create, update, delete, same...). */
  changes: Record<string, number>;
}

/**
 * Pulumi stacks of the project (`primary`, `dr`, drill stacks named after runs). Implemented by
 * `PulumiStacks` over the Automation API and by the sandbox. An update interrupted by a dead
 * process is recovered by the next one (its lock of a dead holder cleared, its pending creates
 * adopted by name, the state refreshed).
 */
export interface Stacks {
  exists(stack: string): Promise<boolean>;
  /** Names of the project's stacks in the state backend (the sweeper looks for drill stacks). */
  list(): Promise<string[]>;
  outputs(stack: string): Promise<JsonObject>;
  /** The stack file's config (`Pulumi.<stack>.yaml`), whether or not the stack exists. */
  fileConfig(stack: string): Promise<Record<string, string>>;
  up(stack: string, change: StackConfigChange, opts: StackOperationOptions): Promise<StackUpdateResult>;
  /**
   * Destroys the stack's resources, then (with `remove`) removes the stack, keeping its
   * `Pulumi.<stack>.yaml` unless `preserveConfig` is false (drill stacks have no committed file);
   * `removeKeys` leave the kept file first (`config rm-all`: what a run set does not outlive it).
   */
  destroy(
    stack: string,
    opts: StackOperationOptions & { remove: boolean; preserveConfig?: boolean; removeKeys?: string[] },
  ): Promise<void>;
}
