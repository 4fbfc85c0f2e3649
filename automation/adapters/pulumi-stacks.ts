import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { EngineEvent, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { parse as parseYaml } from "yaml";
import { PilotlightError, isPilotlightError } from "../domain/errors";
import type { JsonObject } from "../domain/json";
import type { Clock } from "../ports/clock";
import type {
  StackConfigChange,
  StackOperationOptions,
  StackProgress,
  StackUpdateResult,
  Stacks,
} from "../ports/stacks";

/** Options of {@link PulumiStacks}. */
export interface PulumiStacksOptions {
  /** The project folder (`Pulumi.yaml`, committed `Pulumi.<stack>.yaml`). */
  workDir: string;
  /** Self-managed state: `file://<abs dir>` or `s3://bucket/prefix?region=…`. */
  backendUrl: string;
  /** `passphrase` (from PULUMI_CONFIG_PASSPHRASE[_FILE] in the environment) or `awskms://…`. */
  secretsProvider: string;
  clock: Clock;
  /** The environment the CLI runs with (secrets such as the passphrase travel here, never in argv). */
  env: NodeJS.ProcessEnv;
  /** The CLI; tests pass a fake that behaves like it. */
  pulumiCommand?: PulumiCommand;
  /** Whether a lock holder is provably dead (same host, pid gone). */
  isProcessDead?: (host: string, pid: number) => boolean;
  /**
   * Whether a resource an interrupted update was creating is pilotlight's to adopt (it carries
   * pilotlight's tags for this environment): anything else holding the name is left to the
   * update, which then meets AWS's refusal (`DBClusterAlreadyExistsFault`).
   */
  isAdoptable?: (type: string, id: string, region: string | undefined) => Promise<boolean>;
}

/** Who holds a stack's lock, parsed from the CLI's message. */
export interface LockHolder {
  host?: string;
  pid?: number;
  file?: string;
}

const LOCK_LINE = /created by ([^@\s]+)@(\S+) \(pid (\d+)\)/;

/** Parses the holder out of "the stack is currently locked by …" (self-managed backends). */
export function parseLockHolder(message: string): LockHolder {
  const m = LOCK_LINE.exec(message);
  const file = /(\S+\.json)/.exec(message)?.[1];
  return { ...(m === null ? {} : { host: m[2]!, pid: Number(m[3]) }), ...(file === undefined ? {} : { file }) };
}

type CliError = Error & { commandResult?: { stderr?: string; stdout?: string } };

/** Resources whose cloud id is their declared name: a pending create of one can be imported. */
const ADOPTABLE: Record<string, (inputs: Record<string, unknown>) => string | undefined> = {
  "aws:rds/cluster:Cluster": (i) => (typeof i["clusterIdentifier"] === "string" ? i["clusterIdentifier"] : undefined),
  "aws:rds/clusterInstance:ClusterInstance": (i) => (typeof i["identifier"] === "string" ? i["identifier"] : undefined),
};

/**
 * Pulumi stacks through the Automation API's `LocalWorkspace` over the project's committed files,
 * with self-managed state. Errors are translated once, here: the CLI's error classes are matched
 * on its text (pulumi.md), so a class is trusted only for the call that should produce it.
 */
export class PulumiStacks implements Stacks {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: PulumiStacksOptions) {}

  async exists(stack: string): Promise<boolean> {
    try {
      await this.select(stack);
      return true;
    } catch (error) {
      if (isPilotlightError(error) && error.code === "pulumi.stack-not-found") return false;
      throw error;
    }
  }

  async list(): Promise<string[]> {
    const { LocalWorkspace } = await this.workspaceModule();
    const ws = await this.call("stack ls", "*", async () => LocalWorkspace.create(await this.workspaceOptions()));
    const stacks = await this.call("stack ls", "*", () => ws.listStacks());
    return stacks.map((s) => s.name);
  }

  async outputs(stack: string): Promise<JsonObject> {
    const s = await this.select(stack);
    const out = await this.call("stack output", stack, () => s.outputs());
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.value as JsonObject[string]]));
  }

  async up(stack: string, change: StackConfigChange, opts: StackOperationOptions): Promise<StackUpdateResult> {
    return this.serial(async () => {
      const s = await this.prepare(stack, change);
      // A crashed update leaves both a lock and pending creates: the lock is recovered first.
      await this.unlocking(stack, opts, () => this.adoptPendingCreates(s, stack, opts));
      const r = await this.unlocking(stack, opts, () =>
        this.bounded("up", stack, opts, (signal) => s.up({ signal, onEvent: (e) => this.progress(e, opts) })),
      );
      return {
        outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value as JsonObject[string]])),
        changes: { ...((r.summary.resourceChanges ?? {}) as Record<string, number>) },
      };
    });
  }

  async fileConfig(stack: string): Promise<Record<string, string>> {
    // The committed stack file, read directly: it exists before the stack does (Pulumi.dr.yaml).
    const file = join(this.o.workDir, `Pulumi.${stack}.yaml`);
    if (!existsSync(file)) return {};
    const doc = (parseYaml(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(doc.config ?? {}))
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
    return out;
  }

  async destroy(
    stack: string,
    opts: StackOperationOptions & { remove: boolean; preserveConfig?: boolean; removeKeys?: string[] },
  ): Promise<void> {
    await this.serial(async () => {
      let s: Stack;
      try {
        s = await this.select(stack);
      } catch (error) {
        if (isPilotlightError(error) && error.code === "pulumi.stack-not-found") return; // already gone
        throw error;
      }
      if ((opts.removeKeys ?? []).length > 0) {
        const present = await this.call("config get-all", stack, () => s.getAllConfig());
        const stale = opts.removeKeys!.filter((k) => present[k] !== undefined);
        if (stale.length > 0) await this.call("config rm-all", stack, () => s.removeAllConfig(stale));
      }
      await this.unlocking(stack, opts, () =>
        this.bounded("destroy", stack, opts, (signal) => s.destroy({ signal, onEvent: (e) => this.progress(e, opts) })),
      );
      if (opts.remove) {
        // Not destroy({ remove: true }): that deletes Pulumi.<stack>.yaml. Without `force`, the CLI
        // refuses to remove a stack that still has resources — a safety net we keep.
        await this.call("stack rm", stack, () =>
          s.workspace.removeStack(stack, { preserveConfig: opts.preserveConfig !== false }),
        );
      }
    });
  }

  /**
   * Recovers a stack left locked by a dead process: cancels only when the lock's holder ran on
   * this host and its pid is gone (a cancel deletes every lock of a self-managed backend), then
   * refreshes. Otherwise throws `pulumi.stack-locked` naming the holder.
   */
  async recoverStaleLock(stack: string, opts: StackOperationOptions, lock: LockHolder): Promise<void> {
    const dead =
      lock.host === hostname() && lock.pid !== undefined && this.o.isProcessDead?.(lock.host, lock.pid) === true;
    if (!dead) throw this.lockedError(stack, lock);
    const s = await this.select(stack);
    await this.call("cancel", stack, () => s.cancel());
    await this.bounded("refresh", stack, opts, (signal) => s.refresh({ signal }));
  }

  /**
   * An update interrupted while creating a resource leaves a *pending create* in the state: the
   * resource may exist in AWS, but a new `up` would create it again — for an Aurora cluster, a
   * second restore, or `DBClusterAlreadyExistsFault` on its fixed identifier. Before each `up`,
   * the resources AWS knows by name (clusters, instances) are imported into the state, then the
   * pending creates are cleared with a refresh; what could not be adopted is created by the update.
   * (Pulumi, "Recovering from an interrupted update"; the Node Automation API clears pending
   * creates but cannot import them, hence `pulumi import`.)
   */
  private async adoptPendingCreates(s: Stack, stack: string, opts: StackOperationOptions): Promise<void> {
    const state = await this.call("stack export", stack, () => s.exportStack());
    const pending = (
      ((state.deployment as { pending_operations?: unknown[] } | undefined)?.pending_operations ?? []) as Array<{
        type?: string;
        resource?: { urn?: string; type?: string; inputs?: Record<string, unknown>; parent?: string };
      }>
    ).filter(
      (p) => p.type === "creating" && typeof p.resource?.urn === "string" && typeof p.resource.type === "string",
    );
    if (pending.length === 0) return;
    for (const p of pending) {
      const {
        urn,
        type,
        inputs = {},
        parent,
      } = p.resource as { urn: string; type: string; inputs?: Record<string, unknown>; parent?: string };
      const id = ADOPTABLE[type]?.(inputs);
      if (id === undefined) continue;
      if (
        this.o.isAdoptable !== undefined &&
        !(await this.o.isAdoptable(type, id, typeof inputs["region"] === "string" ? inputs["region"] : undefined))
      ) {
        opts.onProgress?.({
          status: "diagnostic",
          op: "import",
          type,
          message: `${id} exists but does not carry pilotlight's tags for this environment: not adopted`,
        });
        continue;
      }
      const name = urn.slice(urn.lastIndexOf("::") + 2);
      try {
        await this.call("import", stack, () =>
          s.import({
            resources: [{ type, name, id, ...(parent === undefined ? {} : { parent: "parent" }) }],
            ...(parent === undefined ? {} : { nameTable: { parent } }),
            protect: false,
            generateCode: false,
          }),
        );
        opts.onProgress?.({
          status: "done",
          op: "import",
          type,
          resource: name,
          message: `adopted ${id}, created by an interrupted update`,
        });
      } catch (error) {
        if (isPilotlightError(error) && error.code === "pulumi.stack-locked") throw error;
        // Not in AWS after all (the create never reached it): the update creates it.
        opts.onProgress?.({
          status: "diagnostic",
          op: "import",
          type,
          resource: name,
          message: `${id} not adopted: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
        });
      }
    }
    await this.bounded("refresh", stack, opts, (signal) => s.refresh({ signal, clearPendingCreates: true }));
  }

  /**
   * Runs an update; when the stack is locked by a process of this host that is gone (a crashed
   * pilotlight, say — the run being resumed), recovers the lock and tries once more. A lock held
   * by a live process or another host stays an error naming its holder.
   */
  private async unlocking<T>(stack: string, opts: StackOperationOptions, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!isPilotlightError(error) || error.code !== "pulumi.stack-locked") throw error;
      const d = error.details ?? {};
      const lock: LockHolder = {
        ...(typeof d["host"] === "string" ? { host: d["host"] } : {}),
        ...(typeof d["pid"] === "number" ? { pid: d["pid"] } : {}),
      };
      await this.recoverStaleLock(stack, opts, lock);
      opts.onProgress?.({
        status: "done",
        op: "cancel",
        message: `recovered the lock left by pid ${lock.pid} (gone) and refreshed the stack`,
      });
      return fn();
    }
  }

  private async workspaceModule(): Promise<typeof import("@pulumi/pulumi/automation")> {
    // Loaded on first use: the Automation API is heavy and only real runs need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  }

  private envVars(): Record<string, string> {
    const vars: Record<string, string> = { PULUMI_BACKEND_URL: this.o.backendUrl, PULUMI_SKIP_UPDATE_CHECK: "true" };
    // Current CLIs keep self-managed state in project mode; new state starts there.
    for (const k of [
      "PULUMI_CONFIG_PASSPHRASE",
      "PULUMI_CONFIG_PASSPHRASE_FILE",
      "AWS_PROFILE",
      "AWS_REGION",
      "PULUMI_HOME",
    ]) {
      const v = this.o.env[k];
      if (v !== undefined) vars[k] = v;
    }
    return vars;
  }

  private async workspaceOptions() {
    return {
      workDir: this.o.workDir,
      envVars: this.envVars(),
      ...(this.o.secretsProvider === "passphrase" || this.o.secretsProvider === "default"
        ? {}
        : { secretsProvider: this.o.secretsProvider }),
      ...(this.o.pulumiCommand === undefined ? {} : { pulumiCommand: this.o.pulumiCommand }),
    };
  }

  private async select(stack: string): Promise<Stack> {
    const { LocalWorkspace } = await this.workspaceModule();
    return this.call(
      "stack select",
      stack,
      async () =>
        LocalWorkspace.selectStack({ stackName: stack, workDir: this.o.workDir }, await this.workspaceOptions()),
      {
        trustNotFound: true,
      },
    );
  }

  /**
   * Selects (or creates) the stack and changes its config: `set` is written with `config set-all`
   * (which only adds or replaces), `remove` with `config rm-all` (the keys present), `defaults`
   * only where the stack file has no value — the user's file decides.
   */
  private async prepare(stack: string, change: StackConfigChange): Promise<Stack> {
    const config = { ...change.set };
    const secret = [...Object.entries(config), ...Object.entries(change.defaults ?? {})].filter(
      ([, v]) => v.secret === true,
    );
    if (secret.length > 0) {
      // `setAllConfig` passes values as command-line arguments, visible in the process list.
      throw new PilotlightError(
        "config.invalid",
        `refusing to pass secret stack config (${secret.map(([k]) => k).join(", ")}) on a command line`,
        {
          source: "system",
          hint: `set it once with \`pulumi config set --secret KEY -s ${stack}\` (stored encrypted in Pulumi.${stack}.yaml)`,
        },
      );
    }
    const { LocalWorkspace } = await this.workspaceModule();
    const s = await this.call("stack select", stack, async () =>
      LocalWorkspace.createOrSelectStack({ stackName: stack, workDir: this.o.workDir }, await this.workspaceOptions()),
    );
    const present = await this.call("config get-all", stack, () => s.getAllConfig());
    for (const [k, v] of Object.entries(change.defaults ?? {}))
      if (present[k] === undefined && config[k] === undefined) config[k] = v;
    if (Object.keys(config).length > 0) {
      await this.call("config set-all", stack, () =>
        s.setAllConfig(
          Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v.value, secret: false }])),
        ),
      );
    }
    const stale = (change.remove ?? []).filter((k) => present[k] !== undefined && config[k] === undefined);
    if (stale.length > 0) await this.call("config rm-all", stack, () => s.removeAllConfig(stale));
    return s;
  }

  /** Runs an operation under the step's signal and deadline. Abort sends SIGINT once (the CLI's own behaviour). */
  private async bounded<T>(
    op: string,
    stack: string,
    opts: StackOperationOptions,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(opts.signal.reason);
    if (opts.signal.aborted) onAbort();
    opts.signal.addEventListener("abort", onAbort, { once: true });
    const timer = new AbortController();
    let timedOut = false;
    void this.o.clock.sleep(Math.max(0, opts.deadline - this.o.clock.now()), timer.signal).then(
      () => {
        timedOut = true;
        ctl.abort(new Error("deadline"));
      },
      () => undefined,
    );
    try {
      return await this.call(op, stack, () => fn(ctl.signal));
    } catch (error) {
      if (timedOut) {
        throw new PilotlightError(
          "pulumi.error",
          `pulumi ${op} of ${stack} did not finish before its deadline and was interrupted`,
          {
            source: "aws",
            hint: `an interrupted update may leave the stack locked with pending operations: resume the run; pilotlight refreshes before retrying`,
            cause: error,
          },
        );
      }
      throw error;
    } finally {
      timer.abort();
      opts.signal.removeEventListener("abort", onAbort);
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    // One operation per workspace at a time (in-process mutex; the backend's lock guards the rest).
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private progress(e: EngineEvent, opts: StackOperationOptions): void {
    const p = toProgress(e);
    if (p !== undefined) opts.onProgress?.(p);
  }

  private async call<T>(
    op: string,
    stack: string,
    fn: () => Promise<T>,
    o: { trustNotFound?: boolean } = {},
  ): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.translate(error as CliError, op, stack, o);
    }
  }

  private lockedError(stack: string, lock: LockHolder): PilotlightError {
    const who = lock.host === undefined ? "another process" : `${lock.host} (pid ${lock.pid})`;
    return new PilotlightError("pulumi.stack-locked", `stack ${stack} is locked by ${who}`, {
      source: "aws",
      hint:
        lock.host === hostname()
          ? `if pid ${lock.pid} is gone, pilotlight cancels the lock and refreshes on resume; otherwise wait for it`
          : `wait for that update to end; if that host died, run \`pulumi cancel -s ${stack}\` then \`pulumi refresh -s ${stack}\` yourself (cancel deletes every lock of the stack)`,
      details: {
        stack,
        ...(lock.host === undefined ? {} : { host: lock.host }),
        ...(lock.pid === undefined ? {} : { pid: lock.pid }),
      },
    });
  }

  private translate(error: CliError, op: string, stack: string, o: { trustNotFound?: boolean }): PilotlightError {
    if (isPilotlightError(error)) return error;
    const text = `${error?.message ?? ""}\n${error?.commandResult?.stderr ?? ""}`;
    if (/ENOENT/.test(text) && /pulumi/.test(text)) {
      return new PilotlightError("pulumi.cli-missing", "the pulumi CLI is not installed (or not on PATH)", {
        source: "user",
        hint: "install it (https://www.pulumi.com/docs/install/) and check `pulumi version`; or rehearse with --sandbox",
        cause: error,
      });
    }
    if (error?.name === "StackNotFoundError" && o.trustNotFound === true) {
      return new PilotlightError("pulumi.stack-not-found", `stack ${stack} does not exist in ${this.o.backendUrl}`, {
        source: "user",
        hint: `create it with \`pulumi stack init ${stack}\``,
        cause: error,
      });
    }
    if (error?.name === "ConcurrentUpdateError" || /currently locked by/.test(text)) {
      return this.lockedError(stack, parseLockHolder(text));
    }
    const firstError =
      text
        .split("\n")
        .find((l) => /error:/i.test(l))
        ?.trim() ??
      error?.message?.split("\n")[0] ??
      String(error);
    return new PilotlightError("pulumi.error", `pulumi ${op} of ${stack} failed: ${firstError}`, {
      source: "aws",
      hint: "see the stack's events (`pulumi stack history`); fix the cause and resume the run",
      details: { stack, operation: op },
      cause: error,
    });
  }
}

/** Maps the engine's structured events to pilotlight's progress. */
export function toProgress(e: EngineEvent): StackProgress | undefined {
  if (e.resourcePreEvent !== undefined) {
    const m = e.resourcePreEvent.metadata;
    return { resource: urnName(m.urn), type: m.type, op: String(m.op), status: "started" };
  }
  if (e.resOutputsEvent !== undefined) {
    const m = e.resOutputsEvent.metadata;
    return { resource: urnName(m.urn), type: m.type, op: String(m.op), status: "done" };
  }
  if (e.resOpFailedEvent !== undefined) {
    const m = e.resOpFailedEvent.metadata;
    return { resource: urnName(m.urn), type: m.type, op: String(m.op), status: "failed" };
  }
  if (
    e.diagnosticEvent !== undefined &&
    (e.diagnosticEvent.severity === "error" || e.diagnosticEvent.severity === "warning")
  ) {
    return {
      status: "diagnostic",
      message: e.diagnosticEvent.message.trim(),
      ...(e.diagnosticEvent.urn === undefined ? {} : { resource: urnName(e.diagnosticEvent.urn) }),
    };
  }
  return undefined;
}

function urnName(urn: string): string {
  return urn.split("::").pop() ?? urn;
}
