import { rmSync } from "node:fs";
import { resolve } from "node:path";
import type { JsonObject } from "../domain/json";
import { formatDuration } from "../domain/objectives";
import type { Run } from "../domain/run";
import { isPreview } from "../library";
import { figuresOf } from "../runbooks/report";
import { injectFault, recoverFaults } from "../sandbox/faults";
import { inspectWorld } from "../sandbox/inspect";
import type { OpenedPilotlight, OpenOptions } from "../targets/open";

const MIN = 60_000;
const HOUR = 60 * MIN;
import { DEMO_FOLDER } from "./demo-folder";

/** What the demo did, measured. */
export interface DemoSummary {
  story: string[];
  failover: { runId: string; phase: string; rtoMs?: number; rpoMs?: number; rpoDataMs?: number; report?: string };
  failback: { runId: string; phase: string; rtoMs?: number; report?: string };
  targets: { rtoMs: number; rpoMs: number };
  world: JsonObject;
}

function figures(run: Run) {
  const f = figuresOf(run);
  const report = run.steps.find((s) => s.id === "report")?.output as JsonObject | undefined;
  return {
    runId: run.id,
    phase: run.phase,
    ...(f.rtoMs === undefined ? {} : { rtoMs: f.rtoMs }),
    ...(f.rpoMs === undefined ? {} : { rpoMs: f.rpoMs }),
    ...(f.rpoDataMs === undefined ? {} : { rpoDataMs: f.rpoDataMs }),
    ...(report?.["markdown"] === undefined ? {} : { report: String(report["markdown"]) }),
  };
}

/**
 * The whole story on a fresh sandbox world, through the same library calls an operator makes: the
 * primary is deployed from the real program and takes writes; hourly backups are copied to the DR
 * region; the primary region fails; the failover runbook restores, checks, switches traffic and
 * reports RTO/RPO; the region comes back; the failback runbook brings everything home and tears DR
 * down. Ends with where every write went.
 */
export async function runDemo(
  open: (o: OpenOptions) => Promise<OpenedPilotlight>,
  o: Pick<OpenOptions, "cwd" | "env" | "onEvent" | "configFile">,
  say: (line: string) => void = () => undefined,
): Promise<DemoSummary> {
  const folder = resolve(o.cwd, DEMO_FOLDER);
  rmSync(folder, { recursive: true, force: true });
  const lib = await open({
    ...o,
    sandbox: true,
    command: "pilotlight demo",
    world: { folder, seed: 7, historyHours: 6 },
  });
  const story: string[] = [];
  const tell = (line: string) => {
    story.push(line);
    say(line);
  };
  try {
    const world = lib.sandbox!.world;
    const envName = Object.keys(lib.config.environments)[0]!;
    const env = lib.config.environments[envName]!;
    const at = () => new Date(lib.clock.now()).toISOString().slice(11, 16);
    tell(
      `sandbox: a simulated ${env.primary.region} → ${env.dr.region} pair on virtual time, in ${folder}; nothing here touches AWS`,
    );
    tell(
      `${at()} 6 h after deploying the primary from the real Pulumi program: ${world.s.stats.writes} write batches, ${world.s.stats.backups} hourly backups, ${world.s.stats.copies} copies in the DR vault`,
    );
    await world.advance(HOUR - (lib.clock.now() % HOUR) + 55 * MIN);
    const manifest = await lib.recordManifest({});
    tell(
      `${at()} validation manifest recorded on the primary: ${manifest.tables} tables, ${manifest.rows} rows (pilotlight manifest record)`,
    );
    await world.advance(55 * MIN);
    const outageAt = lib.clock.now();
    await injectFault(world, "region-outage", { region: env.primary.region });
    tell(`${at()} region outage: ${env.primary.region} stops answering (Route 53's control plane with it)`);
    await world.advance(env.decision.prepareBelow + 10 * MIN);
    tell(
      `${at()} outage older than ${formatDuration(env.decision.prepareBelow)}: the policy says fail over — pilotlight failover --outage-since ${new Date(outageAt).toISOString()} --yes`,
    );
    const over = await lib.failover({ yes: true, outageSince: outageAt });
    if (isPreview(over)) throw new Error("unexpected preview");
    const fo = figures(over);
    tell(
      `${at()} failover ${over.phase}: RTO ${fmt(fo.rtoMs)} (target ${formatDuration(env.objectives.rto)}), RPO ${fmt(fo.rpoMs)} by recovery point / ${fmt(fo.rpoDataMs)} by the data (target ${formatDuration(env.objectives.rpo)})`,
    );
    await world.advance(2 * HOUR);
    recoverFaults(world, "region-outage");
    tell(
      `${at()} two hours served from ${env.dr.region}; ${env.primary.region} recovers — the pin keeps clients in DR`,
    );
    await world.advance(HOUR);
    const back = await lib.failback({ yes: true });
    if (isPreview(back)) throw new Error("unexpected preview");
    const fb = figures(back);
    tell(`${at()} failback ${back.phase}: writes fenced for ${fmt(fb.rtoMs)}, data compared equal, DR stack destroyed`);
    const view = await inspectWorld(world, outageAt);
    const clusters = view.clusters
      .filter((c) => c.status !== "deleted")
      .map((c) => `${c.id} (${c.region}${c.tags["pilotlight:retired-by"] === undefined ? "" : ", retired, kept"})`);
    tell(
      `${at()} writes since the outage: ${view.clusters
        .filter((c) => c.writesSince > 0)
        .map((c) => `${c.id} ${c.writesSince}`)
        .join(", ")}; clusters left: ${clusters.join(", ")}`,
    );
    return {
      story,
      failover: fo,
      failback: fb,
      targets: { rtoMs: env.objectives.rto, rpoMs: env.objectives.rpo },
      world: { ...world.s.stats, clusters },
    };
  } finally {
    await lib.close();
  }
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? "n/a" : formatDuration(ms);
}
