import type { Code } from "./codes";
import type { JsonObject } from "./json";

/** Severity of an event. */
export type EventLevel = "debug" | "info" | "warn" | "error";

/**
 * One item of the typed, coded event stream. The CLI renderer, a platform API and the tests all
 * consume the same stream; the library never prints.
 */
export interface PilotEvent {
  /** Epoch milliseconds from the run's clock (virtual in tests and the sandbox). */
  time: number;
  level: EventLevel;
  runId?: string;
  stepId?: string;
  code: Code;
  message: string;
  data?: JsonObject;
}

/** Receives events; must not throw (a throwing sink is ignored, never fatal to a run). */
export type EventSink = (event: PilotEvent) => void;

/** A sink that drops everything. */
export const discardEvents: EventSink = () => undefined;
