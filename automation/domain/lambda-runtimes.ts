/**
 * Lambda's Node.js runtime lifecycle (Lambda Developer Guide, "Lambda runtimes", as quoted in
 * research/route53-pulumi.md and backup-iam.md): after `deprecated` a runtime gets no patches;
 * from `blockCreate` a function cannot be created on it, from `blockUpdate` not updated
 * (`InvalidParameterValueException`). Invocation goes on. Runtimes not listed are unknown here.
 */
export const NODE_RUNTIMES: Readonly<Record<string, { deprecated: number; blockCreate: number; blockUpdate: number }>> =
  {
    "nodejs20.x": {
      deprecated: Date.UTC(2026, 3, 30),
      blockCreate: Date.UTC(2026, 7, 31),
      blockUpdate: Date.UTC(2026, 8, 30),
    },
    "nodejs22.x": {
      deprecated: Date.UTC(2027, 3, 30),
      blockCreate: Date.UTC(2027, 5, 1),
      blockUpdate: Date.UTC(2027, 6, 1),
    },
  };

/** How a runtime stands at a time: ok, deprecated (still updatable), or blocked for updates. */
export function runtimeStanding(
  runtime: string,
  now: number,
): { state: "ok" | "deprecated" | "blocked" | "unknown"; until?: number } {
  const r = NODE_RUNTIMES[runtime];
  if (r === undefined) return { state: "unknown" };
  if (now >= r.blockUpdate) return { state: "blocked" };
  if (now >= r.deprecated) return { state: "deprecated", until: r.blockUpdate };
  return { state: "ok", until: r.deprecated };
}
