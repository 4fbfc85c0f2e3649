import { PilotlightError } from "../domain/errors";
import { parseDuration } from "../domain/objectives";
import type { SandboxWorld } from "./world";
import type { Window } from "./world-state";

/** Options a fault may take from `sandbox fault NAME`. */
export interface FaultOptions {
  region?: string;
  /** How long the fault lasts (`--for 2h`); without it, until `sandbox recover`. */
  forMs?: number;
  /** How many times a counted fault strikes (`--count 2`). */
  count?: number;
}

/** A fault the sandbox knows. */
export interface FaultKind {
  name: string;
  describe: string;
  /** Options it uses. */
  takes: Array<"region" | "for" | "count">;
  inject(w: SandboxWorld, o: FaultOptions): string | Promise<string>;
  recover(w: SandboxWorld): void;
}

const windowOf = (w: SandboxWorld, o: FaultOptions): Window => ({
  since: w.now(),
  ...(o.forMs === undefined ? {} : { until: w.now() + o.forMs }),
});
const count = (o: FaultOptions) => Math.max(1, o.count ?? 1);

/**
 * Every fault the sandbox can inject, each as AWS would show it: a region that does not answer
 * (its API, its workloads, its backups), Route 53's control plane down, throttling, restores that
 * fail or never finish, a copy that loses rows, DNS that stops moving, a stack destroy that fails,
 * a disabled key, AWS Backup's Aurora opt-in off, an automatic minor engine upgrade, a lost primary.
 */
export const FAULTS: FaultKind[] = [
  {
    name: "region-outage",
    describe:
      "A region stops answering: its API, its workloads and its backups (default: the primary region; us-east-1 takes Route 53's control plane with it)",
    takes: ["region", "for"],
    inject: (w, o) => {
      const region = o.region ?? w.s.primaryRegion;
      w.s.faults.outages[region] = windowOf(w, o);
      return `${region} is out${o.forMs === undefined ? "" : ` for ${o.forMs / 60_000} min`}`;
    },
    recover: (w) => {
      w.s.faults.outages = {};
    },
  },
  {
    name: "control-plane-down",
    describe: "Route 53's control plane (us-east-1) refuses every call; health checks and DNS answers go on",
    takes: ["for"],
    inject: (w, o) => {
      w.s.faults.controlPlane = windowOf(w, o);
      return "Route 53's control plane does not answer";
    },
    recover: (w) => {
      delete w.s.faults.controlPlane;
    },
  },
  {
    name: "throttling",
    describe: "The next N AWS calls are throttled (ThrottlingException; the SDK retries each call 5 times)",
    takes: ["count"],
    inject: (w, o) => {
      w.s.faults.throttleNext += count(o);
      return `the next ${count(o)} calls are throttled`;
    },
    recover: (w) => {
      w.s.faults.throttleNext = 0;
    },
  },
  {
    name: "restore-fails",
    describe: "The next N cluster restores fail (insufficient capacity)",
    takes: ["count"],
    inject: (w, o) => {
      for (let i = 0; i < count(o); i++) w.s.faults.restoreOutcomes.push("FAILED");
      return `the next ${count(o)} restores fail`;
    },
    recover: (w) => {
      w.s.faults.restoreOutcomes = [];
    },
  },
  {
    name: "restore-stuck",
    describe: "The next N cluster restores never finish",
    takes: ["count"],
    inject: (w, o) => {
      for (let i = 0; i < count(o); i++) w.s.faults.restoreOutcomes.push("STUCK");
      return `the next ${count(o)} restores never finish`;
    },
    recover: (w) => {
      w.s.faults.restoreOutcomes = [];
    },
  },
  {
    name: "damaged-copy",
    describe: "The next N cross-region copies silently lose rows (orders 100–120)",
    takes: ["count"],
    inject: (w, o) => {
      w.s.faults.damageCopies += count(o);
      return `the next ${count(o)} copies lose rows`;
    },
    recover: (w) => {
      w.s.faults.damageCopies = 0;
    },
  },
  {
    name: "slow-copies",
    describe: "Cross-region copies take longer (--for is the extra delay)",
    takes: ["for"],
    inject: (w, o) => {
      w.s.faults.copyDelayMs = o.forMs ?? 2 * 3_600_000;
      return `copies take ${Math.round(w.s.faults.copyDelayMs / 60_000)} min longer`;
    },
    recover: (w) => {
      w.s.faults.copyDelayMs = 0;
    },
  },
  {
    name: "dns-stuck",
    describe: "Clients' resolvers keep their old answers",
    takes: ["for"],
    inject: (w, o) => {
      w.s.faults.dnsStuck = windowOf(w, o);
      return "resolvers stop following changes";
    },
    recover: (w) => {
      delete w.s.faults.dnsStuck;
    },
  },
  {
    name: "destroy-fails",
    describe: "The next N stack destroys fail before deleting anything (DependencyViolation)",
    takes: ["count"],
    inject: (w, o) => {
      w.s.faults.destroyFailures += count(o);
      return `the next ${count(o)} destroys fail`;
    },
    recover: (w) => {
      w.s.faults.destroyFailures = 0;
    },
  },
  {
    name: "key-disabled",
    describe: "The KMS key of a region's vault is disabled (default: the DR region's)",
    takes: ["region"],
    inject: (w, o) => {
      const region = o.region ?? w.s.drRegion;
      const key = Object.values(w.s.keys).find((k) => k.region === region);
      if (key === undefined) throw new PilotlightError("config.invalid", `no KMS key in ${region}`, { source: "user" });
      key.state = "Disabled";
      return `${key.arn} is disabled`;
    },
    recover: (w) => {
      for (const k of Object.values(w.s.keys)) k.state = "Enabled";
    },
  },
  {
    name: "backup-opt-out",
    describe:
      "AWS Backup is not opted in to Aurora in a region (default: the primary's): tag selections back nothing up",
    takes: ["region"],
    inject: (w, o) => {
      const region = o.region ?? w.s.primaryRegion;
      w.s.backupOptIn[region] = { Aurora: false };
      return `Aurora is not opted in to AWS Backup in ${region}`;
    },
    recover: (w) => {
      for (const r of Object.keys(w.s.backupOptIn)) w.s.backupOptIn[r] = { Aurora: true };
    },
  },
  {
    name: "minor-upgrade",
    describe: "AWS applies an automatic minor engine upgrade to the primary's clusters (16.4 → 16.6)",
    takes: [],
    inject: (w) => {
      const upgraded = w.liveClusters(w.s.primaryRegion).map((c) => {
        const [major] = c.state.engineVersion.split(".");
        c.state.engineVersion = `${major}.6`;
        return c.id;
      });
      return `upgraded ${upgraded.join(", ") || "nothing"}`;
    },
    recover: () => undefined,
  },
  {
    name: "data-corruption",
    describe:
      "A bad deploy negates every tenth order's total on the cluster clients write to (a journaled write, so a point-in-time restore can go back before it)",
    takes: [],
    inject: async (w) => {
      const c = w.clientTarget();
      if (c === undefined)
        throw new PilotlightError("config.invalid", "no cluster takes writes now", { source: "user" });
      await c.write(
        "UPDATE orders SET total_cents = -total_cents - 1, updated_at = $1::timestamptz WHERE id % 10 = 0",
        [new Date(w.now()).toISOString()],
      );
      return `every tenth order of ${c.id} corrupted at ${new Date(w.now()).toISOString()}`;
    },
    recover: () => undefined,
  },
  {
    name: "primary-lost",
    describe: "The primary cluster loses its instances (the region is up, the data is in its backups)",
    takes: [],
    inject: (w) => {
      const c = w.clientTarget() ?? w.liveClusters(w.s.primaryRegion)[0];
      if (c === undefined)
        throw new PilotlightError("config.invalid", "no primary cluster to lose", { source: "user" });
      c.state.instances = [];
      return `${c.id} has no instance left`;
    },
    recover: () => undefined,
  },
];

/** Injects a fault by name; returns what happened. Unknown names list the known ones. */
export async function injectFault(w: SandboxWorld, name: string, o: FaultOptions): Promise<string> {
  const f = FAULTS.find((x) => x.name === name);
  if (f === undefined) {
    throw new PilotlightError("config.invalid", `no fault "${name}"; known: ${FAULTS.map((x) => x.name).join(", ")}`, {
      source: "user",
      hint: "list them with `sandbox fault --list`",
    });
  }
  const said = await w.track(Promise.resolve(f.inject(w, o)));
  w.commit();
  return said;
}

/** Ends one fault, or all of them. */
export function recoverFaults(w: SandboxWorld, name?: string): string[] {
  const which = name === undefined ? FAULTS : FAULTS.filter((f) => f.name === name);
  if (which.length === 0)
    throw new PilotlightError("config.invalid", `no fault "${name}"; known: ${FAULTS.map((x) => x.name).join(", ")}`, {
      source: "user",
    });
  for (const f of which) f.recover(w);
  w.commit();
  return which.map((f) => f.name);
}

/** The faults in force now, for `inspect`. */
export function faultsInForce(w: SandboxWorld): string[] {
  const out: string[] = [];
  const f = w.s.faults;
  for (const [region, win] of Object.entries(f.outages))
    if (w.active(win))
      out.push(
        `region-outage ${region} since ${new Date(win.since).toISOString()}${win.until === undefined ? "" : ` until ${new Date(win.until).toISOString()}`}`,
      );
  if (w.active(f.controlPlane)) out.push("control-plane-down");
  if (f.throttleNext > 0) out.push(`throttling (${f.throttleNext} calls)`);
  if (f.restoreOutcomes.length > 0) out.push(`restores: ${f.restoreOutcomes.join(", ")}`);
  if (f.damageCopies > 0) out.push(`damaged-copy (${f.damageCopies})`);
  if (f.copyDelayMs > 0) out.push(`slow-copies (+${Math.round(f.copyDelayMs / 60_000)} min)`);
  if (w.active(f.dnsStuck)) out.push("dns-stuck");
  if (f.destroyFailures > 0) out.push(`destroy-fails (${f.destroyFailures})`);
  for (const k of Object.values(w.s.keys)) if (k.state !== "Enabled") out.push(`key-disabled ${k.arn}`);
  for (const [region, o] of Object.entries(w.s.backupOptIn)) if (!o.Aurora) out.push(`backup-opt-out ${region}`);
  return out;
}

/** Parses `--for 90m` style options. */
export function parseFor(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === undefined || ms > 30 * 24 * 3_600_000) {
    throw new PilotlightError("config.invalid", `--for "${text}" is not a duration up to 30d`, {
      source: "user",
      hint: "e.g. --for 2h",
    });
  }
  return ms;
}
