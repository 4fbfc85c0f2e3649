import type { JsonObject } from "../domain/json";
import type { Backups } from "./backups";
import type { Clock } from "./clock";
import type { Databases } from "./databases";
import type { DoctorProbes } from "./doctor";
import type { Health } from "./health";
import type { Keys } from "./keys";
import type { Notifier } from "./notifier";
import type { Reports } from "./reports";
import type { SqlAccess } from "./sql-access";
import type { Stacks } from "./stacks";
import type { Traffic } from "./traffic";
import type { Validator } from "./validator";

/** Everything a runbook acts through: real adapters, the sandbox, or test fakes. */
export interface RunbookPorts {
  clock: Clock;
  stacks: Stacks;
  backups: Backups;
  databases: Databases;
  keys: Keys;
  traffic: Traffic;
  health: Health;
  sqlAccess: SqlAccess;
  notifier: Notifier;
  reports: Reports;
  /** Data validation (SQL checksums; `drills/validation/`, injected by the composition root). */
  validator: Validator;
  /** The readiness check's questions (`doctor`); runbooks never use them. */
  probes?: DoctorProbes;
  /** Validation manifests recorded on the primary (the run store keeps them). */
  manifests?: {
    latestManifest(env: string, before: number): Promise<{ recordedAt: number; manifest: JsonObject } | undefined>;
  };
}

/** The ports an environment provides (real adapters, the sandbox); the library adds the rest. */
export type EnvironmentPorts = Omit<RunbookPorts, "validator" | "manifests">;
