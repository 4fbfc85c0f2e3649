import type { JsonObject } from "../domain/json";
import { formatDuration } from "../domain/objectives";
import type { Run } from "../domain/run";
import { isPreview, type Pilotlight, type PilotlightOptions } from "../library";
import { figuresOf } from "../runbooks/report";

const MIN = 60_000;
const HOUR = 60 * MIN;

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
 * The whole story on the sandbox, through the same library calls an operator makes: the primary
 * is deployed from the real program and takes writes; hourly backups are copied to the DR region;
 * the primary region fails; the failover runbook restores, validates, switches traffic and
 * reports RTO/RPO; later the failback runbook brings everything home and tears DR down.
 */
export async function runDemo(
  create: (options: PilotlightOptions) => Promise<Pilotlight>,
  options: Omit<PilotlightOptions, "target">,
  say: (line: string) => void = () => undefined,
): Promise<DemoSummary> {
  const lib = await create({ ...options, target: "sandbox" });
  const story: string[] = [];
  const tell = (line: string) => {
    story.push(line);
    say(line);
  };
  try {
    const s = lib.sandbox!;
    const world = s.sandbox.world;
    const envName = Object.keys(lib.config.environments)[0]!;
    const env = lib.config.environments[envName]!;
    const at = () => new Date(s.clock.now()).toISOString().slice(11, 16);
    tell(`sandbox: a simulated ${env.primary.region} → ${env.dr.region} pair on virtual time; nothing here touches AWS`);
    await s.bootstrap(6);
    tell(`${at()} 6 h after deploying the primary from the real Pulumi program: ${world.stats.writes} write batches, ${world.stats.backups} hourly backups, ${world.stats.copies} copies in the DR vault`);
    await s.advance(HOUR - (s.clock.now() % HOUR) + 55 * MIN);
    const manifest = await lib.recordManifest({});
    tell(`${at()} validation manifest recorded on the primary: ${manifest.tables} tables, ${manifest.rows} rows (pilotlight manifest record)`);
    await s.advance(55 * MIN);
    s.outage();
    tell(`${at()} region outage: ${env.primary.region} stops answering`);
    await s.advance(env.decision.prepareBelow + 10 * MIN);
    tell(`${at()} outage older than ${formatDuration(env.decision.prepareBelow)}: the policy says fail over — pilotlight failover --yes`);
    const over = await lib.failover({ yes: true });
    if (isPreview(over)) throw new Error("unexpected preview");
    const fo = figures(over);
    tell(`${at()} failover ${over.phase}: RTO ${fmt(fo.rtoMs)} (target ${formatDuration(env.objectives.rto)}), RPO ${fmt(fo.rpoMs)} by recovery point / ${fmt(fo.rpoDataMs)} by the data (target ${formatDuration(env.objectives.rpo)})`);
    await s.advance(2 * HOUR);
    tell(`${at()} two hours served from ${env.dr.region}; ${env.primary.region} recovers`);
    s.recover();
    await s.advance(HOUR);
    const back = await lib.failback({ yes: true });
    if (isPreview(back)) throw new Error("unexpected preview");
    const fb = figures(back);
    tell(`${at()} failback ${back.phase}: writes fenced for ${fmt(fb.rtoMs)}, data compared equal, DR stack destroyed`);
    const clusters = [...world.clusters.values()].filter((c) => c.status !== "deleted").map((c) => `${c.id} (${c.region}${c.tags["pilotlight:retired-by"] === undefined ? "" : ", retired, kept"})`);
    tell(`${at()} clusters left: ${clusters.join(", ")}`);
    return {
      story,
      failover: fo,
      failback: fb,
      targets: { rtoMs: env.objectives.rto, rpoMs: env.objectives.rpo },
      world: { ...world.stats, clusters },
    };
  } finally {
    await lib.close();
  }
}

function fmt(ms: number | undefined): string {
  return ms === undefined ? "n/a" : formatDuration(ms);
}
