import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml, parseDocument } from "yaml";
import { SemVer } from "semver";
import type { PulumiCommand } from "@pulumi/pulumi/automation";

// Internal to the Automation API (hidden from its typings): the result type a command returns,
// and how exec() classifies a failure by its text.
interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { CommandResult } = require("@pulumi/pulumi/automation/cmd") as {
  CommandResult: new (stdout: string, stderr: string, code: number) => CommandResult;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createCommandError } = require("@pulumi/pulumi/automation/errors") as {
  createCommandError(r: CommandResult): Error;
};

/** One invocation the fake CLI received. */
export interface Invocation {
  args: string[];
  env: Record<string, string>;
}

/** Behaviour switches of the fake. */
export interface FakeCliBehaviour {
  /** argv[0..1] joined (e.g. "up", "stack select") → what to do instead of succeeding. */
  fail?: Record<
    string,
    { stderr: string; code?: number; /** Fail only this many times (default: always). */ times?: number }
  >;
  /** `up` waits for this before answering (to test deadlines and abort). */
  hangUp?: boolean;
  /** Cloud ids `pulumi import` does not find (the create never reached AWS). */
  missingIds?: string[];
}

/** A pending operation an interrupted update left in a stack's state. */
export interface PendingOperation {
  type: "creating" | "updating" | "deleting";
  resource: { urn: string; type: string; inputs?: Record<string, unknown>; parent?: string };
}

/** What the fake keeps per stack. */
export interface FakeStack {
  outputs: Record<string, unknown>;
  resources: number;
  pending: PendingOperation[];
  /** What `pulumi import` adopted: type, name, id and parent URN. */
  imported: Array<{ type: string; name: string; id: string; parent?: string }>;
}

/**
 * A fake `pulumi` CLI for Pulumi's real `LocalWorkspace` (the `pulumiCommand` option; its members
 * are hidden from the typings, hence the cast). It behaves like the CLI for the calls pilotlight
 * makes: stacks that exist or not, config kept where the CLI keeps it (`Pulumi.<stack>.yaml` in the
 * project: `config set-all` adds or replaces, `config rm-all` removes, `stack rm` deletes the file
 * unless `--preserve-config`), `up` writing engine events into `--event-log` (the
 * fake reports a version in 3.181–3.205, where the log is a file), outputs, history, destroy,
 * `stack rm`. Unknown commands fail the test.
 */
export class FakePulumiCli {
  readonly calls: Invocation[] = [];
  readonly stacks = new Map<string, FakeStack>();
  readonly command = "pulumi";
  readonly version = new SemVer("3.190.0");
  aborted = 0;

  constructor(private readonly behaviour: FakeCliBehaviour = {}) {}

  asCommand(): PulumiCommand {
    return this as unknown as PulumiCommand;
  }

  run(
    args: string[],
    cwd: string,
    env: Record<string, string>,
    onOutput?: (d: string) => void,
    _onError?: (d: string) => void,
    signal?: AbortSignal,
  ): Promise<CommandResult> {
    const argv = args.filter((a) => a !== "--non-interactive");
    this.calls.push({ args: argv, env: { ...env } });
    // `config --show-secrets --json` is what getAllConfig runs (LocalWorkspace.getAllConfig).
    const key =
      argv[0] === "config" && argv[1]!.startsWith("--")
        ? "config get-all"
        : argv[0] === "stack" || argv[0] === "config"
          ? `${argv[0]} ${argv[1]}`
          : argv[0]!;
    const failure = this.behaviour.fail?.[key];
    if (failure !== undefined && (failure.times === undefined || failure.times > 0)) {
      if (failure.times !== undefined) failure.times -= 1;
      return Promise.reject(this.error(failure.stderr, failure.code ?? 255));
    }
    const stackName = this.flag(argv, "--stack") ?? argv.at(-1)!;
    const ok = (stdout = "") => Promise.resolve(new CommandResult(stdout, "", 0));
    switch (key) {
      case "stack select":
        return this.stacks.has(stackName)
          ? ok()
          : Promise.reject(this.error(`error: no stack named '${stackName}' found`, 255));
      case "stack init":
        this.stacks.set(stackName, { outputs: {}, resources: 0, pending: [], imported: [] });
        return ok();
      case "config get-all": {
        const config = this.config(cwd, stackName);
        return ok(
          JSON.stringify(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: v, secret: false }]))),
        );
      }
      case "config set-all": {
        const config = this.config(cwd, stackName);
        for (let i = 0; i < argv.length; i++)
          if (argv[i] === "--plaintext" || argv[i] === "--secret") {
            const [k, ...v] = argv[i + 1]!.split("=");
            config[k!] = v.join("=");
          }
        this.writeConfig(cwd, stackName, config);
        return ok();
      }
      case "config rm-all": {
        const config = this.config(cwd, stackName);
        for (const k of argv.slice(argv.indexOf(stackName) + 1)) delete config[k];
        this.writeConfig(cwd, stackName, config);
        return ok();
      }
      case "up": {
        const s = this.stacks.get(stackName)!;
        const log = this.flag(argv, "--event-log");
        const write = (e: object) => log !== undefined && appendFileSync(log, JSON.stringify(e) + "\n");
        write({ sequence: 1, timestamp: 1, preludeEvent: { config: {} } });
        for (const [i, type] of ["aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"].entries()) {
          const urn = `urn:pulumi:${stackName}::pilotlight::${type}::res-${i}`;
          write({
            sequence: 2 + 2 * i,
            timestamp: 2,
            resourcePreEvent: { metadata: { op: "create", urn, type, provider: "" } },
          });
          write({
            sequence: 3 + 2 * i,
            timestamp: 3,
            resOutputsEvent: { metadata: { op: "create", urn, type, provider: "" } },
          });
        }
        write({
          sequence: 10,
          timestamp: 4,
          summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { create: 2 }, PolicyPacks: {} },
        });
        onOutput?.("Updating (dr)\n");
        s.resources = 2;
        s.outputs = {
          clusterArn: "arn:aws:rds:us-west-2:123456789012:cluster:pilotlight-prod-dr",
          restoredFrom: this.config(cwd, stackName)["pilotlight:restoreSnapshot"] ?? null,
        };
        if (this.behaviour.hangUp === true) {
          return new Promise((_, reject) => {
            signal?.addEventListener("abort", () => {
              this.aborted += 1;
              reject(this.error("error: update canceled", 255));
            });
          });
        }
        return ok("Update complete\n");
      }
      case "stack ls":
        return ok(
          JSON.stringify([...this.stacks.keys()].map((name) => ({ name, current: false, updateInProgress: false }))),
        );
      case "stack output": {
        const s = this.stacks.get(stackName)!;
        return ok(JSON.stringify(s.outputs));
      }
      case "stack history":
        return ok(
          JSON.stringify([
            {
              version: 1,
              kind: "update",
              result: "succeeded",
              message: "",
              startTime: "2026-01-01T00:00:00Z",
              endTime: "2026-01-01T00:01:00Z",
              resourceChanges: { create: 2 },
            },
          ]),
        );
      case "destroy": {
        const s = this.stacks.get(stackName)!;
        s.resources = 0;
        s.outputs = {};
        return ok("Destroy complete\n");
      }
      case "stack rm": {
        const s = this.stacks.get(stackName);
        if (s !== undefined && s.resources > 0 && !argv.includes("--force"))
          return Promise.reject(this.error(`error: 'dr' still has resources; removal rejected`, 255));
        this.stacks.delete(stackName);
        if (!argv.includes("--preserve-config")) rmSync(join(cwd, `Pulumi.${stackName}.yaml`), { force: true });
        return ok();
      }
      case "cancel":
        return ok();
      case "refresh":
        if (argv.includes("--clear-pending-creates")) {
          const s = this.stacks.get(stackName)!;
          s.pending = s.pending.filter((p) => p.type !== "creating");
        }
        return ok();
      case "stack export": {
        const s = this.stacks.get(stackName)!;
        return ok(
          JSON.stringify({ version: 3, deployment: { manifest: {}, resources: [], pending_operations: s.pending } }),
        );
      }
      case "import": {
        const s = this.stacks.get(stackName)!;
        const file = JSON.parse(readFileSync(this.flag(argv, "--file")!, "utf8")) as {
          nameTable?: Record<string, string>;
          resources: Array<{ type: string; name: string; id: string; parent?: string }>;
        };
        for (const r of file.resources) {
          if (this.behaviour.missingIds?.includes(r.id))
            return Promise.reject(this.error(`error: Preview failed: resource '${r.id}' does not exist`, 255));
          s.imported.push({
            type: r.type,
            name: r.name,
            id: r.id,
            ...(r.parent === undefined ? {} : { parent: file.nameTable?.[r.parent] ?? r.parent }),
          });
        }
        return ok("Import complete\n");
      }
      default:
        return Promise.reject(new Error(`fake pulumi: unexpected command ${argv.join(" ")}`));
    }
  }

  /** The stack's config as its file holds it (values as strings; secure values shown as "[secret]"). */
  config(cwd: string, stack: string): Record<string, string> {
    const file = join(cwd, `Pulumi.${stack}.yaml`);
    if (!existsSync(file)) return {};
    const doc = (parseYaml(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    return Object.fromEntries(
      Object.entries(doc.config ?? {}).map(([k, v]) => [
        k,
        typeof v === "object" && v !== null ? "[secret]" : String(v),
      ]),
    );
  }

  /** Writes the config keeping the file's comments and other keys, as the CLI does. */
  private writeConfig(cwd: string, stack: string, config: Record<string, string>): void {
    const file = join(cwd, `Pulumi.${stack}.yaml`);
    const doc = parseDocument(existsSync(file) ? readFileSync(file, "utf8") : "");
    const before = this.config(cwd, stack);
    for (const k of Object.keys(before)) if (config[k] === undefined) doc.deleteIn(["config", k]);
    for (const [k, v] of Object.entries(config)) if (before[k] !== v) doc.setIn(["config", k], v);
    writeFileSync(file, doc.toString());
  }

  /** The argv of every call, joined, without the volatile event-log path. */
  argvs(): string[] {
    return this.calls.map((c) => c.args.join(" ").replace(/--event-log \S+/, "--event-log <file>"));
  }

  private flag(argv: string[], name: string): string | undefined {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  }

  private error(stderr: string, code: number): Error {
    // What the Automation API's exec() turns a non-zero exit into (classified by its text).
    return createCommandError(new CommandResult("", stderr, code));
  }
}
