import type { JsonObject } from "../domain/json";
import type { Backups } from "../ports/backups";
import type { Clock } from "../ports/clock";
import type { Databases } from "../ports/databases";
import type { DoctorProbes } from "../ports/doctor";
import type { Health } from "../ports/health";
import type { Keys } from "../ports/keys";
import type { Notifier } from "../ports/notifier";
import type { Reports } from "../ports/reports";
import type { SqlAccess } from "../ports/sql-access";
import type { Stacks } from "../ports/stacks";
import type { Traffic } from "../ports/traffic";
import type { Validator } from "../ports/validator";

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
  manifests?: { latestManifest(env: string, before: number): Promise<{ recordedAt: number; manifest: JsonObject } | undefined> };
}

/** The ports an environment provides (real adapters, the sandbox); the library adds the rest. */
export type EnvironmentPorts = Omit<RunbookPorts, "validator" | "manifests">;
