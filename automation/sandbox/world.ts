import { VirtualClock } from "../adapters/virtual-clock";
import { operationOf, type IamAction } from "../adapters/iam/action";
import { createPglite } from "../store/pglite-factory";
import type { BackupJobSummary } from "../ports/backups";
import { SandboxCluster, type ClusterHost } from "./cluster";
import { AWS_LIKE_DURATIONS, draw, type DurationRange, type SandboxDurations } from "./durations";
import { SeededRandom } from "./random";
import type { JournalEntry, WorldFolder } from "./world-folder";
import type {
  ClusterSource,
  ClusterState,
  DataRef,
  DnsRecordState,
  HealthCheckState,
  RecoveryPointState,
  ScheduledWork,
  Window,
  WorldState,
} from "./world-state";

const MIN = 60_000;
const HOUR = 60 * MIN;
/** Route 53's control plane is served from us-east-1 (Well-Architected REL11-BP04). */
export const CONTROL_PLANE_REGION = "us-east-1";

/** Options of a new world. */
export interface NewWorldOptions {
  seed: number;
  start: number;
  environment: string;
  primaryRegion: string;
  drRegion: string;
  account?: string;
  durations?: Partial<SandboxDurations>;
  writeIntervalMs?: number;
  backupIntervalMs?: number;
  retentionMs?: number;
  /** AWS Backup's Aurora opt-in in both regions (default on, as after a first use of AWS Backup). */
  auroraOptIn?: boolean;
}

/** An error shaped like the AWS SDK's (name, fault, retryable) so that adapters map it alike. */
export class SandboxAwsError extends Error {
  readonly $fault: "client" | "server";
  readonly $retryable?: { throttling: boolean };

  constructor(name: string, message: string, fault: "client" | "server", throttling = false) {
    super(message);
    this.name = name;
    this.$fault = fault;
    if (throttling) this.$retryable = { throttling: true };
  }
}

/**
 * The simulated region pair, persisted in a folder: clusters with real data, vaults and recovery
 * points made by a simulated backup plan, snapshots, DNS with health checks, workloads, stacks —
 * on a virtual clock that moves only when something waits on it, with seeded durations and
 * injectable faults. Behaviour spec with sources: `docs/fidelity.md`.
 *
 * Every change is saved at once (`commit`), so a killed process's successor finds the world as
 * AWS would hold it. Background activity (the application's writes, the hourly backups and their
 * copies) happens when the clock passes it and never moves the clock by itself.
 */
export class SandboxWorld implements ClusterHost {
  readonly clock: VirtualClock;
  readonly random: SeededRandom;
  private readonly runtime = new Map<string, SandboxCluster>();
  private readonly stop = new AbortController();
  private driver: Promise<void> | undefined;
  private savedAt = 0;
  private closed = false;
  private flushing = false;

  private constructor(
    readonly folder: WorldFolder,
    readonly s: WorldState,
  ) {
    this.random = new SeededRandom(s.rng);
    this.clock = new VirtualClock({ start: s.now, onAdvance: () => this.onTime() });
  }

  /** Creates a new world in `folder` (which must not hold one). */
  static create(folder: WorldFolder, o: NewWorldOptions): SandboxWorld {
    const random = new SeededRandom(o.seed);
    const id = `w${o.seed.toString(36)}-${random.hex(6)}`;
    const state: WorldState = {
      format: 1,
      id,
      seed: o.seed,
      rng: random.position,
      now: o.start,
      createdAt: o.start,
      account: o.account ?? "000000000000",
      environment: o.environment,
      primaryRegion: o.primaryRegion,
      drRegion: o.drRegion,
      durations: { ...AWS_LIKE_DURATIONS, ...(o.durations ?? {}) },
      activity: {
        started: false,
        writeIntervalMs: o.writeIntervalMs ?? MIN,
        backupIntervalMs: o.backupIntervalMs ?? HOUR,
        retentionMs: o.retentionMs ?? 7 * 24 * HOUR,
        nextWriteAt: 0,
        nextBackupAt: 0,
        scheduled: [],
      },
      clusters: {},
      vaults: {},
      keys: {},
      recoveryPoints: [],
      jobs: [],
      snapshots: {},
      healthChecks: {},
      dns: [],
      resolvers: {},
      switches: [],
      workloads: {},
      functions: {},
      parameters: {},
      stackFiles: {},
      alarms: {},
      metrics: {},
      backupOptIn: {
        [o.primaryRegion]: { Aurora: o.auroraOptIn ?? true },
        [o.drRegion]: { Aurora: o.auroraOptIn ?? true },
      },
      stacks: {},
      notifications: [],
      faults: {
        outages: {},
        throttleNext: 0,
        restoreOutcomes: [],
        copyDelayMs: 0,
        damageCopies: 0,
        destroyFailures: 0,
      },
      stats: { writes: 0, backups: 0, copies: 0, restoresStarted: 0, apiCalls: 0, throttled: 0 },
      seq: { order: 0, data: 0, cluster: 0 },
    };
    const world = new SandboxWorld(folder, state);
    world.flush();
    return world;
  }

  /** Opens the world saved in `folder`; its activity resumes where the clock stands. */
  static open(folder: WorldFolder): SandboxWorld {
    const world = new SandboxWorld(folder, folder.load());
    for (const c of Object.values(world.s.clusters)) {
      // A crash may have left journal lines the state never counted: they did not happen.
      if (c.status !== "deleted") world.folder.readJournal(c.uid, c.journalLength);
    }
    if (world.s.activity.started) world.startDriver();
    return world;
  }

  get id(): string {
    return this.s.id;
  }

  now(): number {
    return this.clock.now();
  }

  track<T>(work: Promise<T>): Promise<T> {
    return this.clock.track(work);
  }

  clusterState(uid: string): ClusterState | undefined {
    return this.s.clusters[uid];
  }

  /**
   * Saves the world: changes made in one turn of the event loop are written together, at the
   * end of it (a process killed in between loses that turn's changes, as a request lost on the
   * wire would be — never half of one).
   */
  commit(): void {
    if (this.closed || this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.settle());
  }

  /**
   * Writes what `commit()` scheduled, now. Every sandbox port call settles before it returns: a
   * change AWS or Pulumi reported done is on disk before the caller journals it, so a process
   * killed in between leaves a successor the world its journal describes.
   */
  settle(): void {
    if (!this.flushing) return;
    this.flushing = false;
    this.flush();
  }

  /** Writes the world now (a cluster's data changed on disk: see `ClusterHost.persist`). */
  persist(): void {
    this.flushing = false;
    this.flush();
  }

  /** Writes the world now. */
  flush(): void {
    if (this.closed) return;
    this.s.now = this.clock.now();
    this.s.rng = this.random.position;
    this.folder.save(this.s);
    this.savedAt = this.s.now;
  }

  /** Draws a modelled duration (the generator's position is saved with the world). */
  draw(range: DurationRange): number {
    return draw(this.random, range);
  }

  private onTime(): void {
    // Time alone is saved at most once per virtual minute; changes save themselves.
    if (this.clock.now() - this.savedAt >= MIN) this.commit();
  }

  // ---- the gate every simulated API call passes ----------------------------------------------

  /**
   * Region outages and throttling apply here, as the SDK would see them. `action` is the IAM
   * action of the call (`rds:DeleteDBCluster`): every call is recorded by it, so that a test can
   * hold the generated IAM policy to what runs really call.
   */
  api(region: string, action: IamAction, also: readonly IamAction[] = []): void {
    this.s.stats.apiCalls += 1;
    const operation = operationOf(action);
    if (this.isOut(region)) {
      throw new SandboxAwsError(
        "ServiceUnavailableException",
        `${operation}: the ${region} endpoint does not answer (region outage)`,
        "server",
      );
    }
    if (this.s.faults.throttleNext > 0) {
      this.s.faults.throttleNext -= 1;
      this.s.stats.throttled += 1;
      this.commit();
      throw new SandboxAwsError("ThrottlingException", `${operation}: Rate exceeded`, "client", true);
    }
    this.record(action, ...also);
  }

  /** Records IAM actions a call needed (the permission check happens even when the call fails later). */
  record(...actions: IamAction[]): void {
    const seen = (this.s.stats.actions ??= {});
    for (const a of actions) seen[a] = (seen[a] ?? 0) + 1;
  }

  /** Route 53 API calls: its control plane, in us-east-1; down with that region or by itself. */
  controlPlane(action: IamAction, also: readonly IamAction[] = []): void {
    if (this.active(this.s.faults.controlPlane)) {
      this.s.stats.apiCalls += 1;
      throw new SandboxAwsError(
        "ServiceUnavailableException",
        `${operationOf(action)}: Route 53's control plane does not answer`,
        "server",
      );
    }
    this.api(CONTROL_PLANE_REGION, action, also);
  }

  /** Whether a fault window is in force now. */
  active(w: Window | undefined): boolean {
    if (w === undefined) return false;
    const now = this.clock.now();
    return w.since <= now && (w.until === undefined || now < w.until);
  }

  isOut(region: string): boolean {
    return this.active(this.s.faults.outages[region]);
  }

  /** When a region's outage began, if it is out. */
  outageSince(region: string): number | undefined {
    return this.isOut(region) ? this.s.faults.outages[region]!.since : undefined;
  }

  // ---- clusters -----------------------------------------------------------------------------

  /** The live cluster of an identifier or ARN (not one that was deleted). */
  cluster(idOrArn: string): SandboxCluster | undefined {
    const id = idOrArn.startsWith("arn:") ? idOrArn.split(":").pop()! : idOrArn;
    const state = Object.values(this.s.clusters).find((c) => c.id === id && c.status !== "deleted");
    if (state === undefined) return undefined;
    const c = this.runtimeOf(state);
    if (c.refresh(this.clock.now())) this.commit();
    if (c.status === "deleted") {
      void c.destroy();
      return undefined;
    }
    return c;
  }

  /** Every cluster that is not deleted, transitions brought up to date. */
  liveClusters(region?: string): SandboxCluster[] {
    const out: SandboxCluster[] = [];
    for (const state of Object.values(this.s.clusters)) {
      if (state.status === "deleted" || (region !== undefined && state.region !== region)) continue;
      const c = this.cluster(state.id);
      if (c !== undefined && c.uid === state.uid) out.push(c);
    }
    return out;
  }

  /** A cluster by uid, deleted ones included (inspect, journals). */
  clusterByUid(uid: string): SandboxCluster | undefined {
    const state = this.s.clusters[uid];
    return state === undefined ? undefined : this.runtimeOf(state);
  }

  private runtimeOf(state: ClusterState): SandboxCluster {
    let c = this.runtime.get(state.uid);
    if (c === undefined) {
      c = new SandboxCluster(this, state);
      this.runtime.set(state.uid, c);
    }
    return c;
  }

  /**
   * Creates a cluster (empty, or restored from data) with no instance, as every Aurora restore
   * does. An identifier in use is `DBClusterAlreadyExistsFault`; nothing is adopted.
   */
  createCluster(o: {
    id: string;
    region: string;
    tags: Record<string, string>;
    source: ClusterSource;
    engineVersion: string;
    readyInMs: number;
    outcome?: ClusterState["outcome"];
    deletionProtection?: boolean;
    httpEndpointEnabled?: boolean;
    createdBy?: ClusterState["createdBy"];
    subnetGroup?: string;
    securityGroups?: string[];
  }): SandboxCluster {
    if (Object.values(this.s.clusters).some((c) => c.id === o.id && c.status !== "deleted")) {
      throw new SandboxAwsError("DBClusterAlreadyExistsFault", `DB cluster already exists: ${o.id}`, "client");
    }
    this.s.seq.cluster += 1;
    const uid = `${o.id}~${this.s.seq.cluster}`;
    const now = this.clock.now();
    const state: ClusterState = {
      uid,
      id: o.id,
      arn: `arn:aws:rds:${o.region}:${this.s.account}:cluster:${o.id}`,
      region: o.region,
      createdAt: now,
      status: "creating",
      outcome: o.outcome ?? "COMPLETED",
      readyAt: o.outcome === "STUCK" ? Number.MAX_SAFE_INTEGER : now + o.readyInMs,
      instances: [],
      tags: { ...o.tags },
      deletionProtection: o.deletionProtection ?? false,
      httpEndpointEnabled: o.httpEndpointEnabled ?? false,
      engineVersion: o.engineVersion,
      source: o.source,
      materialized: false,
      journalLength: 0,
      readOnly: false,
      ...(o.createdBy === undefined ? {} : { createdBy: o.createdBy }),
      ...(o.subnetGroup === undefined ? {} : { subnetGroup: o.subnetGroup }),
      ...(o.securityGroups === undefined ? {} : { securityGroups: o.securityGroups }),
    };
    this.s.clusters[uid] = state;
    if (o.source.kind !== "empty") this.s.stats.restoresStarted += 1;
    this.commit();
    return this.runtimeOf(state);
  }

  /** Starts deleting a cluster: it is `deleting` for a modelled time, then gone with its data. */
  startClusterDeletion(c: SandboxCluster): void {
    c.state.status = "deleting";
    c.state.deletingUntil = this.clock.now() + this.draw(this.s.durations.clusterDelete);
    this.commit();
  }

  /** Removes a deleted cluster's database at once (a retired cluster's memory). */
  async purgeCluster(c: SandboxCluster): Promise<void> {
    c.state.status = "deleted";
    this.commit();
    await c.destroy();
  }

  /**
   * A point-in-time restore: the newest backup of the source at or before `time`, then the
   * source's journal up to `time`. The restorable window ends 5 minutes before now (Aurora User
   * Guide, "Restoring a DB cluster to a specified time": `LatestRestorableTime`).
   */
  restoreToTime(o: {
    sourceId: string;
    time: number;
    targetId: string;
    region: string;
    tags: Record<string, string>;
    deletionProtection: boolean;
    createdBy?: ClusterState["createdBy"];
    subnetGroup?: string;
    securityGroups?: string[];
  }): SandboxCluster {
    const source = this.cluster(o.sourceId);
    if (source === undefined)
      throw new SandboxAwsError("DBClusterNotFoundFault", `DBCluster ${o.sourceId} not found.`, "client");
    const now = this.clock.now();
    const earliest = Math.max(source.state.createdAt, now - 7 * 24 * HOUR);
    if (o.time > now - 5 * MIN || o.time < earliest) {
      throw new SandboxAwsError(
        "InvalidRestoreFault",
        `restore time ${new Date(o.time).toISOString()} is outside the restorable window (${new Date(earliest).toISOString()} … ${new Date(now - 5 * MIN).toISOString()})`,
        "client",
      );
    }
    const base = this.s.recoveryPoints
      .filter(
        (p) =>
          p.sourceResourceArn === source.arn &&
          p.region === o.region &&
          p.status === "COMPLETED" &&
          p.createdAt <= o.time &&
          p.data?.sourceUid === source.uid,
      )
      .sort((a, b) => b.createdAt - a.createdAt)[0]?.data;
    // A cluster restored from data has that data as its first backup, before its own journal.
    const initial = source.state.source.kind === "data" ? source.state.source.data : undefined;
    const from: DataRef | undefined =
      base ?? (initial === undefined ? undefined : { ...initial, journalLength: 0, sourceUid: source.uid });
    return this.createCluster({
      id: o.targetId,
      region: o.region,
      tags: o.tags,
      source: { kind: "pitr", sourceUid: source.uid, time: o.time, ...(from === undefined ? {} : { base: from }) },
      engineVersion: source.state.engineVersion,
      readyInMs: this.draw(this.s.durations.clusterRestore),
      deletionProtection: o.deletionProtection,
      ...(o.createdBy === undefined ? {} : { createdBy: o.createdBy }),
      ...(o.subnetGroup === undefined ? {} : { subnetGroup: o.subnetGroup }),
      ...(o.securityGroups === undefined ? {} : { securityGroups: o.securityGroups }),
    });
  }

  /** The data a recovery point or snapshot ARN refers to (restores read it). */
  dataOf(arn: string): { data: DataRef; engineVersion: string } | undefined {
    const p = this.s.recoveryPoints.find((x) => x.arn === arn && x.status === "COMPLETED" && x.data !== undefined);
    if (p !== undefined)
      return { data: p.data!, engineVersion: this.s.clusters[p.data!.sourceUid]?.engineVersion ?? "16.4" };
    const s = Object.values(this.s.snapshots).find((x) => x.arn === arn);
    if (s !== undefined && this.snapshotStatus(s.arn) === "available" && s.data !== undefined)
      return { data: s.data, engineVersion: s.engineVersion };
    return undefined;
  }

  /** A snapshot's status now (creating and copying end at their modelled time). */
  snapshotStatus(arn: string): string | undefined {
    const s = this.s.snapshots[arn];
    if (s === undefined) return undefined;
    if (s.status !== "available" && this.clock.now() >= s.readyAt) {
      s.status = "available";
      this.commit();
    }
    return s.status;
  }

  /** A new data file name. */
  dataFile(prefix: string): string {
    this.s.seq.data += 1;
    return `${prefix}-${this.s.seq.data}.tgz`;
  }

  // ---- DNS, health checks, alarms ------------------------------------------------------------

  /**
   * How the workload on `host` answers: no answer when its region is out; 403 when its function
   * URL is not public (Lambda Developer Guide, "Control access to function URLs"); 503 when its
   * database has no available instance; 200 otherwise.
   */
  workloadStatus(host: string): "no-answer" | 403 | 503 | 200 {
    const w = this.s.workloads[host];
    if (w === undefined || this.isOut(w.region)) return "no-answer";
    const fn = this.s.functions[w.functionId];
    if (fn === undefined || !fn.publicUrl.invokeFunctionUrl || !fn.publicUrl.invokeFunction) return 403;
    const c = this.workloadCluster(host);
    return c !== undefined && c.hasAvailableInstance() && !this.isOut(c.region) ? 200 : 503;
  }

  /** Whether the workload on `host` answers healthy. */
  workloadHealthy(host: string): boolean {
    return this.workloadStatus(host) === 200;
  }

  /** The cluster the workload on `host` uses now (from its configuration or its SSM parameter). */
  workloadCluster(host: string): SandboxCluster | undefined {
    const w = this.s.workloads[host];
    const fn = w === undefined ? undefined : this.s.functions[w.functionId];
    if (fn === undefined) return undefined;
    let arn = fn.clusterArn;
    if (fn.parameter !== undefined) {
      const value = this.s.parameters[`${fn.region}/${fn.parameter}`];
      if (value === undefined) return undefined;
      try {
        arn = String((JSON.parse(value) as { clusterArn?: string }).clusterArn ?? "");
      } catch {
        return undefined;
      }
    }
    return arn === "" ? undefined : this.cluster(arn);
  }

  /** What the health check's measurement says, before `Inverted`. */
  private measured(check: HealthCheckState, depth = 0): boolean {
    if (check.disabled) return true; // "always healthy" (SDK HealthCheckConfig.Disabled)
    switch (check.type) {
      case "CALCULATED": {
        const healthy = (check.children ?? []).filter(
          (id) => depth < 4 && this.healthCheckHealthy(id, depth + 1),
        ).length;
        return healthy >= (check.healthThreshold ?? (check.children ?? []).length);
      }
      case "CLOUDWATCH_METRIC":
        return this.metricCheckHealthy(check);
      default:
        return check.host !== undefined && this.workloadHealthy(check.host);
    }
  }

  /**
   * A CLOUDWATCH_METRIC check: Route 53 "monitors the data stream for the corresponding alarm
   * instead of monitoring the alarm state" (Route 53 Developer Guide, "How Amazon Route 53
   * determines whether a health check is healthy"). While a data point counts for the alarm's
   * evaluation (period × evaluation periods) it decides; after that the data is insufficient and
   * the check's `InsufficientDataHealthStatus` does: Healthy, Unhealthy, or LastKnownStatus — the
   * status of the last time the data was sufficient, healthy for a check that never had data
   * (Route 53 API Reference, HealthCheckConfig). An alarm's `treatMissingData` does not hold it.
   */
  private metricCheckHealthy(check: HealthCheckState): boolean {
    const alarm = check.alarm === undefined ? undefined : this.s.alarms[`${check.alarm.region}/${check.alarm.name}`];
    const point = alarm === undefined ? undefined : this.s.metrics[`${alarm.region}/${alarm.metric}`];
    const statusOf = (p: { value: number }) => p.value < alarm!.threshold;
    if (point !== undefined && this.clock.now() < point.at + (alarm!.windowMs ?? MIN)) return statusOf(point);
    switch (check.insufficientDataHealthStatus ?? "Healthy") {
      case "Unhealthy":
        return false;
      case "LastKnownStatus":
        return point === undefined ? true : statusOf(point);
      default:
        return true;
    }
  }

  /** A health check's status as Route 53 uses it: the measurement, flipped when inverted. */
  healthCheckHealthy(id: string | undefined, depth = 0): boolean {
    if (id === undefined) return true;
    const check = this.s.healthChecks[id];
    if (check === undefined) return false;
    return this.measured(check, depth) !== check.inverted;
  }

  /** An alarm's state now: the newest data point against the threshold, one period after it arrived. */
  alarmState(region: string, name: string): "OK" | "ALARM" | "INSUFFICIENT_DATA" {
    const alarm = this.s.alarms[`${region}/${name}`];
    if (alarm === undefined) return "INSUFFICIENT_DATA";
    const point = this.s.metrics[`${region}/${alarm.metric}`];
    // An alarm evaluates once per period (60 s); with `ignore`, missing data keeps the state.
    if (point !== undefined && this.clock.now() >= point.at + MIN) {
      const next = point.value >= alarm.threshold ? "ALARM" : "OK";
      if (next !== alarm.state) {
        alarm.state = next;
        this.commit();
      }
    }
    return alarm.state;
  }

  /** What Route 53 answers for a name now, health applied (the authoritative name servers). */
  routeAnswer(name: string): string[] {
    const records = this.s.dns.filter((r) => r.name === name);
    if (records.length === 0) return [];
    const plain = records.find((r) => r.failover === undefined);
    if (plain !== undefined) return [plain.host];
    const primary = records.find((r) => r.failover === "PRIMARY");
    const secondary = records.find((r) => r.failover === "SECONDARY");
    // Route 53 Developer Guide, failover routing: PRIMARY while healthy, else a healthy
    // SECONDARY; when both are unhealthy it answers PRIMARY.
    if (primary !== undefined && this.healthCheckHealthy(primary.healthCheckId)) return [primary.host];
    if (secondary !== undefined && this.healthCheckHealthy(secondary.healthCheckId)) return [secondary.host];
    return primary !== undefined ? [primary.host] : [secondary!.host];
  }

  /**
   * What a name resolves to, seen from the authoritative name servers (`authoritative`) or by
   * clients (`client`). Route 53's answers change once its checkers notice a health change
   * (failure threshold × interval); clients follow within the TTL. A stuck-DNS fault freezes what
   * clients see.
   */
  answer(name: string, view: "authoritative" | "client"): string[] {
    const now = this.clock.now();
    const truth = this.routeAnswer(name);
    const r = (this.s.resolvers[name] ??= { answer: truth, auth: truth });
    r.auth ??= r.answer;
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    let changed = false;
    if (r.pending !== undefined && now >= r.pending.authAt && !same(r.auth, r.pending.answer)) {
      r.auth = r.pending.answer;
      changed = true;
    }
    if (r.pending !== undefined && now >= r.pending.at && !this.active(this.s.faults.dnsStuck)) {
      r.answer = r.pending.answer;
      delete r.pending;
      changed = true;
    }
    const heading = r.pending?.answer ?? r.auth;
    if (!same(truth, heading)) {
      const authAt = now + this.draw(this.s.durations.healthCheckDetection);
      r.pending = { answer: truth, authAt, at: authAt + this.draw(this.s.durations.dnsPropagation) };
      this.s.switches.push({ name, to: truth, noticedAt: authAt, visibleAt: r.pending.at });
      changed = true;
    } else if (r.pending === undefined && !same(r.answer, r.auth) && !this.active(this.s.faults.dnsStuck)) {
      r.answer = r.auth;
      changed = true;
    }
    if (changed) this.commit();
    return view === "client" ? [...r.answer] : [...r.auth];
  }

  /** Adds a record; a second non-failover record of one name is refused as Route 53 does. */
  addRecord(r: DnsRecordState): void {
    const clash = this.s.dns.find(
      (x) => x.name === r.name && (x.failover === undefined || r.failover === undefined || x.failover === r.failover),
    );
    if (clash !== undefined) {
      throw new SandboxAwsError(
        "InvalidChangeBatch",
        `[RRSet of type CNAME with DNS name ${r.name}. is not permitted as it conflicts with other records with the same DNS name in zone ${r.zoneId}]`,
        "client",
      );
    }
    this.s.dns.push(r);
    this.commit();
  }

  // ---- the application and the backup plan --------------------------------------------------

  /** The cluster the simulated clients write to now: behind their DNS answer. */
  clientTarget(): SandboxCluster | undefined {
    if (this.s.appRecordName === undefined) return undefined;
    const host = this.answer(this.s.appRecordName, "client")[0];
    return host === undefined ? undefined : this.workloadCluster(host);
  }

  /** Starts the application's writes and the backup plan (after the primary is deployed). */
  startActivity(appRecordName: string): void {
    const a = this.s.activity;
    const now = this.clock.now();
    this.s.appRecordName = appRecordName;
    a.started = true;
    a.nextWriteAt = now - (now % a.writeIntervalMs) + a.writeIntervalMs;
    a.nextBackupAt = now - (now % a.backupIntervalMs) + a.backupIntervalMs;
    this.commit();
    this.startDriver();
  }

  private startDriver(): void {
    if (this.driver !== undefined) return;
    this.driver = this.drive();
  }

  /** Runs the world's own activity as the clock passes it; never moves the clock itself. */
  private async drive(): Promise<void> {
    const a = this.s.activity;
    for (;;) {
      const next = Math.min(a.nextWriteAt, a.nextBackupAt, a.scheduled[0]?.at ?? Number.POSITIVE_INFINITY);
      try {
        await this.clock.sleepInBackground(Math.max(0, next - this.clock.now()), this.stop.signal);
      } catch {
        return;
      }
      const now = this.clock.now();
      try {
        while (a.scheduled[0] !== undefined && a.scheduled[0].at <= now) {
          const work = a.scheduled.shift()!;
          this.commit();
          await this.track(this.perform(work));
        }
        if (a.nextBackupAt <= now) {
          a.nextBackupAt += a.backupIntervalMs;
          this.commit();
          await this.track(this.backupTick());
        }
        if (a.nextWriteAt <= now) {
          a.nextWriteAt += a.writeIntervalMs;
          this.commit();
          await this.track(this.writeTick());
        }
      } catch {
        // Background activity never brings the world down; its effects (no backup) are the signal.
      }
    }
  }

  private schedule(work: ScheduledWork): void {
    const list = this.s.activity.scheduled;
    let i = list.length;
    while (i > 0 && list[i - 1]!.at > work.at) i--;
    list.splice(i, 0, work);
    this.commit();
  }

  /** Creates the application schema and seed rows on a fresh cluster. */
  async seed(cluster: SandboxCluster, rows: number): Promise<void> {
    const now = new Date(this.clock.now()).toISOString();
    await cluster.write(
      "CREATE TABLE IF NOT EXISTS orders (id bigint PRIMARY KEY, customer text NOT NULL, total_cents integer NOT NULL, updated_at timestamptz NOT NULL)",
    );
    await cluster.write(
      "CREATE TABLE IF NOT EXISTS pilotlight_heartbeat (id bigserial PRIMARY KEY, beat_at timestamptz NOT NULL)",
    );
    const start = this.s.seq.order;
    this.s.seq.order += rows;
    await cluster.write(
      "INSERT INTO orders SELECT g, 'customer-' || (g % 97), (g * 37) % 10000, $1::timestamptz FROM generate_series($2::bigint, $3::bigint) g",
      [now, start + 1, start + rows],
    );
    await cluster.write("INSERT INTO pilotlight_heartbeat (beat_at) VALUES ($1)", [now]);
  }

  /** One batch of the application: five new orders, one updated, one heartbeat. */
  private async writeTick(): Promise<void> {
    const c = this.clientTarget();
    if (c === undefined || this.isOut(c.region) || !c.hasAvailableInstance() || c.readOnly) return;
    const at = new Date(this.clock.now()).toISOString();
    const start = this.s.seq.order;
    this.s.seq.order += 5;
    const updated = 1 + Math.floor(this.random.next() * Math.max(1, start));
    await c.write(
      "INSERT INTO orders SELECT g, 'customer-' || (g % 97), (g * 37) % 10000, $1::timestamptz FROM generate_series($2::bigint, $3::bigint) g",
      [at, start + 1, start + 5],
    );
    await c.write("UPDATE orders SET total_cents = total_cents + 1, updated_at = $1::timestamptz WHERE id = $2", [
      at,
      updated,
    ]);
    await c.write("INSERT INTO pilotlight_heartbeat (beat_at) VALUES ($1)", [at]);
    this.s.stats.writes += 1;
    this.commit();
  }

  /** The plan: expired points go; each tagged cluster of the primary region gets a backup job. */
  private async backupTick(): Promise<void> {
    const expired = this.clock.now() - this.s.activity.retentionMs;
    const before = this.s.recoveryPoints.length;
    this.s.recoveryPoints = this.s.recoveryPoints.filter((p) => p.createdAt >= expired);
    if (this.s.recoveryPoints.length !== before) {
      this.folder.removeDataExcept(this.dataInUse());
      this.commit();
    }
    if (this.isOut(this.s.primaryRegion)) return;
    // Selection by tag follows the Region's opt-in for Aurora, and for Aurora even an explicit
    // assignment does (AWS Backup Developer Guide, "Assigning resources to a backup plan").
    if (this.s.backupOptIn[this.s.primaryRegion]?.Aurora !== true) return;
    for (const c of this.liveClusters(this.s.primaryRegion)) {
      if (c.status === "available" && c.tags["backup:automated"] === "true") await this.backupOne(c);
    }
  }

  private dataInUse(): Set<string> {
    const keep = new Set<string>();
    for (const p of this.s.recoveryPoints) if (p.data !== undefined) keep.add(p.data.file);
    for (const s of Object.values(this.s.snapshots)) if (s.data !== undefined) keep.add(s.data.file);
    for (const c of Object.values(this.s.clusters)) {
      if (c.status === "deleted") continue;
      if (c.source.kind === "data") keep.add(c.source.data.file);
      if (c.source.kind === "pitr" && c.source.base !== undefined) keep.add(c.source.base.file);
    }
    return keep;
  }

  private async backupOne(c: SandboxCluster): Promise<void> {
    const vault = Object.values(this.s.vaults).find((v) => v.region === this.s.primaryRegion);
    if (vault === undefined) return;
    const startedAt = this.clock.now();
    const jobId = `backup-${this.random.hex(12)}`;
    const point: RecoveryPointState = {
      arn: `arn:aws:rds:${this.s.primaryRegion}:${this.s.account}:cluster-snapshot:awsbackup:job-${jobId}`,
      vault: vault.name,
      region: this.s.primaryRegion,
      createdAt: startedAt,
      kind: "snapshot",
      sourceResourceArn: c.arn,
      status: "CREATING",
    };
    this.s.recoveryPoints.push(point);
    this.s.jobs.push({
      id: jobId,
      kind: "backup",
      region: this.s.primaryRegion,
      state: "RUNNING",
      resourceArn: c.arn,
      createdAt: startedAt,
    });
    this.commit();
    // The snapshot holds the data as of the job's start.
    point.data = await c.copy(this.dataFile("backup"));
    this.commit();
    this.schedule({
      at: startedAt + this.draw(this.s.durations.backupJob),
      kind: "backup-complete",
      jobId,
      pointArn: point.arn,
      clusterUid: c.uid,
    });
  }

  private job(id: string): BackupJobSummary | undefined {
    return this.s.jobs.find((j) => j.id === id);
  }

  private async perform(work: ScheduledWork): Promise<void> {
    const point = this.s.recoveryPoints.find((p) => p.arn === work.pointArn);
    if (work.kind === "backup-complete") {
      const job = this.job(work.jobId)!;
      if (point === undefined) return;
      if (this.isOut(this.s.primaryRegion) || point.data === undefined) {
        point.status = "PARTIAL";
        job.state = "FAILED";
        job.statusMessage = this.isOut(this.s.primaryRegion)
          ? "region outage"
          : "the process taking the backup stopped";
        this.commit();
        return;
      }
      point.status = "COMPLETED";
      point.completedAt = this.clock.now();
      job.state = "COMPLETED";
      job.completedAt = this.clock.now();
      this.s.stats.backups += 1;
      const drVault = Object.values(this.s.vaults).find((v) => v.region === this.s.drRegion);
      if (drVault !== undefined) {
        const copyId = `copy-${this.random.hex(12)}`;
        this.s.jobs.push({
          id: copyId,
          kind: "copy",
          region: this.s.primaryRegion,
          state: "RUNNING",
          resourceArn: point.arn,
          createdAt: this.clock.now(),
        });
        this.schedule({
          at: this.clock.now() + this.draw(this.s.durations.copyJob) + this.s.faults.copyDelayMs,
          kind: "copy-complete",
          jobId: copyId,
          pointArn: point.arn,
        });
      }
      this.commit();
      return;
    }
    const job = this.job(work.jobId)!;
    const drVault = Object.values(this.s.vaults).find((v) => v.region === this.s.drRegion);
    if (point === undefined || point.data === undefined || drVault === undefined || this.isOut(this.s.primaryRegion)) {
      job.state = "FAILED";
      job.statusMessage = "source region unavailable";
      this.commit();
      return;
    }
    let data = point.data;
    if (this.s.faults.damageCopies > 0) {
      this.s.faults.damageCopies -= 1;
      data = await this.damaged(point.data, "DELETE FROM orders WHERE id BETWEEN 100 AND 120");
    }
    // A cross-region copy keeps the source's creation time (AWS Backup Developer Guide, "Backup
    // and tag copy": "The creation date refers to when the source was created").
    this.s.recoveryPoints.push({
      arn: `arn:aws:rds:${this.s.drRegion}:${this.s.account}:cluster-snapshot:awsbackup:copyjob-${job.id}`,
      vault: drVault.name,
      region: this.s.drRegion,
      createdAt: point.createdAt,
      completedAt: this.clock.now(),
      kind: "snapshot",
      sourceResourceArn: point.sourceResourceArn,
      status: "COMPLETED",
      copiedFrom: point.arn,
      data,
    });
    job.state = "COMPLETED";
    job.completedAt = this.clock.now();
    this.s.stats.copies += 1;
    this.commit();
  }

  /** A copy of `data` with `sql` applied: what a silently damaged backup holds. */
  private async damaged(data: DataRef, sql: string): Promise<DataRef> {
    const db = await createPglite({ loadDataDir: this.folder.readData(data.file) });
    try {
      await db.exec(sql);
      const file = this.dataFile("damaged");
      await this.folder.writeData(file, await db.dumpDataDir("gzip"));
      return { ...data, file };
    } finally {
      await db.close();
    }
  }

  /** Writes accepted by a cluster after `since` (the simulated application's). */
  writesSince(c: SandboxCluster, since: number): { count: number; newest?: number } {
    const entries = c.journal().filter((e: JournalEntry) => e.by === "app" && e.at > since);
    const newest = entries.length === 0 ? undefined : entries[entries.length - 1]!.at;
    return newest === undefined ? { count: entries.length } : { count: entries.length, newest };
  }

  // ---- life ---------------------------------------------------------------------------------

  /** Lets virtual time pass (the world's activity runs meanwhile). */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms);
    this.flush();
  }

  /** Stops activity, saves, and closes every database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stop.abort();
    await this.driver?.catch(() => undefined);
    this.flush();
    this.closed = true;
    this.clock.dispose();
    for (const c of this.runtime.values()) await c.close().catch(() => undefined);
  }
}
