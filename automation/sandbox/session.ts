import { VirtualClock } from "../adapters/virtual-clock";
import type { EnvironmentConfig } from "../config/schema";
import type { Reports } from "../ports/reports";
import type { EnvironmentPorts } from "../runbooks/ports";
import type { SandboxDurations } from "./durations";
import { bootstrapSandbox, createSandbox, type SandboxPorts } from "./sandbox";
import type { SandboxActivity } from "./world";

const HOUR = 3_600_000;

/** Options of a {@link SandboxSession}. */
export interface SandboxSessionOptions {
  envName: string;
  environment: EnvironmentConfig;
  reports: Reports;
  /** Virtual start time; default: the top of the current real hour. */
  start?: number;
  seed?: number;
  durations?: Partial<SandboxDurations>;
  /** Seed rows of the primary database. */
  rows?: number;
  /** Backup and write intervals, retention (defaults: hourly, every minute, 7 days). */
  activity?: SandboxActivity;
}

/**
 * One simulated region pair for the life of a process, on virtual time: what `--sandbox` and the
 * demo act on. It is created only when the sandbox is asked for by name.
 */
export class SandboxSession {
  readonly clock: VirtualClock;
  readonly sandbox: SandboxPorts;
  readonly ports: EnvironmentPorts;
  /** Distinguishes this world's runs from earlier sandbox processes' in a shared store. */
  readonly worldId: string;
  private bootstrapped = false;

  constructor(private readonly o: SandboxSessionOptions) {
    const start = o.start ?? Math.floor(Date.now() / HOUR) * HOUR;
    this.clock = new VirtualClock({ start });
    this.sandbox = createSandbox({ clock: this.clock, envName: o.envName, environment: o.environment, ...(o.seed === undefined ? {} : { seed: o.seed }), ...(o.durations === undefined ? {} : { durations: o.durations }), ...(o.activity === undefined ? {} : { activity: o.activity }) });
    this.ports = { ...this.sandbox, clock: this.clock, reports: o.reports };
    this.worldId = `${start.toString(36)}-${(o.seed ?? 7).toString(36)}-${process.pid.toString(36)}`;
  }

  /** Deploys the primary and lets `hours` of writes, backups and copies happen. */
  async bootstrap(hours = 6): Promise<void> {
    if (this.bootstrapped) return;
    this.bootstrapped = true;
    await bootstrapSandbox(this.sandbox, this.o.envName, this.o.environment, this.o.rows ?? 500);
    await this.advance(hours * HOUR);
  }

  /** Lets virtual time pass (the world's activity runs meanwhile). */
  async advance(ms: number): Promise<void> {
    await this.clock.sleep(ms);
  }

  /** The primary region stops answering. */
  outage(): void {
    this.sandbox.world.injectOutage(this.o.environment.primary.region);
  }

  /** Corrupts data on the cluster clients write to (journaled, like any write). */
  async corrupt(): Promise<void> {
    const c = this.sandbox.world.writeTarget();
    if (c === undefined) throw new Error("sandbox: nothing to corrupt");
    await this.clock.track(c.write(this.clock.now(), "UPDATE orders SET total_cents = -total_cents - 1, updated_at = $1::timestamptz WHERE id % 10 = 0", [new Date(this.clock.now()).toISOString()]));
  }

  /** The primary region answers again. */
  recover(): void {
    this.sandbox.world.endOutage(this.o.environment.primary.region);
  }

  /**
   * Brings the world to the state an operation needs when nothing was staged: a history of
   * backups and, for a failover, a regional outage older than the prepare threshold.
   */
  async stageFor(kind: "failover" | "restore" | "status"): Promise<void> {
    if (this.bootstrapped) return;
    await this.bootstrap(6);
    if (kind === "restore") {
      // Data corruption 30 minutes ago: a bad deploy zeroed and negated some totals.
      await this.advance(HOUR - (this.clock.now() % HOUR) + 20 * 60_000);
      await this.corrupt();
      await this.advance(30 * 60_000);
    }
    if (kind === "failover") {
      // Mid-hour, after the top-of-the-hour backup was copied to the DR region.
      await this.advance(HOUR - (this.clock.now() % HOUR) + 50 * 60_000);
      this.outage();
      await this.advance(this.o.environment.decision.prepareBelow + 10 * 60_000);
    }
  }

  /** Stops activity and releases every database. */
  async close(): Promise<void> {
    await this.sandbox.world.shutdown();
    this.clock.dispose();
  }
}
