/**
 * `npm run bench:validate [-- --scale N] [-- --repeat N]`: validation on a real PostgreSQL server,
 * in one run: the equal path (a database against its manifest) beside the hash floor, count(*)
 * and `pg_dump | sha256sum`; the live path (a copy against the database); the damaged path (a
 * copy with one changed and one deleted row in pgbench_accounts, against the manifest: the time to
 * their exact keys). The server: PG_URL, else the local one on 127.0.0.1:5432, else Debian's,
 * installed and started on loopback. The data: pgbench (scale 50 by default: 5M accounts), a
 * mixed-type table, a wide table (100 columns) and a TOASTed one (8 kB values), in a database of
 * its own (`pilotlight_bench`, reused when it already holds that scale and dataset version), and
 * two copies made from it as a template.
 *
 * Server CPU: on a local server, the CPU seconds of the postmaster's children (live backends and
 * parallel workers from /proc/<pid>/stat, plus the exited ones, which the postmaster's cutime
 * and cstime collect) over each contender's run; "n/a" for a remote server.
 * Each contender runs `--repeat N` times (default 3), interleaved; medians are compared. The validator
 * uses `--concurrency N` connections per database (default 4, as many as the floor's pool).
 * Last lines:
 * `validate/hash-floor = A.AA, validate/count(*) = B.BB, pg_dump/validate = C.CC, peak RSS = D MB`
 * `validate/localise-one-row = X.XX, live/manifest = Y.YY`
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { performance } from "node:perf_hooks";
import pg from "pg";
import type { ValidationResult } from "../automation/ports/validator";
import { PgPoolSql } from "../automation/store/pg-sql";
import type { SqlClient } from "../automation/ports/sql";
import { recordManifest, validateDatabase } from "../drills/validation/validate";

const arg = (name: string, fallback: number) =>
  Number(
    process.argv.find((_a, i) => process.argv[i - 1] === `--${name}`) ??
      process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ??
      fallback,
  );
const scale = arg("scale", 50);
const repeat = arg("repeat", 3);
/**
 * Connections the validator uses per database: the floor's queries run on a pool of 4 (plus
 * parallel workers), so the validator gets 4 too — on a busy machine the side with more server
 * processes would otherwise get the larger share of the CPUs.
 */
const concurrency = arg("concurrency", 4);
const DB = "pilotlight_bench";
const LIVE = "pilotlight_bench_live";
const DAMAGED = "pilotlight_bench_damaged";
/** Bumped when the dataset changes, so that an older one is reloaded. */
const DATASET = 2;
/** The rows the damaged copy differs by: one changed, one deleted. */
const CHANGED_AID = Math.floor(scale * 100_000 * 0.37) + 1;
const DELETED_AID = Math.floor(scale * 100_000 * 0.81) + 1;

function serverUrl(): string {
  if (process.env["PG_URL"] !== undefined) return process.env["PG_URL"];
  const local = "postgres://postgres@127.0.0.1:5432/postgres";
  if (spawnSync("pg_isready", ["-q", "-h", "127.0.0.1", "-p", "5432"]).status === 0) return local;
  console.log("no PostgreSQL server on 127.0.0.1:5432: installing Debian's and starting it on loopback");
  execFileSync(
    "bash",
    [
      "-c",
      'export DEBIAN_FRONTEND=noninteractive; (ls /etc/postgresql >/dev/null 2>&1 && [ -n "$(ls /etc/postgresql)" ]) || (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null); pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main start || true; for i in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done; su postgres -c "psql -qc \\"ALTER USER postgres PASSWORD \'pilotlight-bench\'\\""',
    ],
    { stdio: "inherit" },
  );
  return "postgres://postgres:pilotlight-bench@127.0.0.1:5432/postgres";
}

const urlOf = (admin: string, db: string) => {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
};

/** CPU seconds of the server's processes so far, when it runs on this machine. */
function serverCpu(dataDir: string | undefined): () => number | undefined {
  const pidFile = dataDir === undefined ? undefined : `${dataDir}/postmaster.pid`;
  if (pidFile === undefined || !existsSync(pidFile)) return () => undefined;
  const postmaster = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  const tick = 100;
  const stat = (pid: number) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return () => {
    try {
      // Fields after the command: state is [0]; utime [11], stime [12], cutime [13], cstime [14].
      const own = stat(postmaster);
      let ticks = Number(own[13]) + Number(own[14]);
      const children = readdirSync(`/proc/${postmaster}/task`).flatMap((t) =>
        readFileSync(`/proc/${postmaster}/task/${t}/children`, "utf8")
          .trim()
          .split(/\s+/)
          .filter((x) => x !== ""),
      );
      for (const c of children) {
        try {
          const s = stat(Number(c));
          ticks += Number(s[11]) + Number(s[12]);
        } catch {
          // Exited between the listing and the read: its time is in cutime now (or soon).
        }
      }
      return ticks / tick;
    } catch {
      return undefined;
    }
  };
}

async function loadDataset(pool: PgPoolSql, dbUrl: string, env: NodeJS.ProcessEnv): Promise<void> {
  console.log(
    `loading pgbench scale ${scale} (${scale * 100_000} accounts), a mixed-type, a wide and a TOASTed table…`,
  );
  execFileSync("pgbench", ["-i", "-q", "-s", String(scale), "--foreign-keys", "-d", dbUrl], { stdio: "inherit", env });
  await pool.query(`DROP TABLE IF EXISTS mixed, wide, toasted, bench_meta`);
  await pool.query(
    `CREATE TABLE mixed (id bigint PRIMARY KEY, u uuid NOT NULL, label text, amount numeric(12,2), at timestamptz NOT NULL, blob bytea, doc json, flags boolean[])`,
  );
  await pool.query(
    `INSERT INTO mixed SELECT g, md5(g::text)::uuid, CASE WHEN g % 10 = 0 THEN NULL ELSE 'label ' || g END, (g % 100000) / 7.0, '2026-01-01'::timestamptz + g * interval '1 second', decode(md5(g::text), 'hex'), json_build_object('g', g, 'even', g % 2 = 0), ARRAY[g % 2 = 0, g % 3 = 0] FROM generate_series(1, $1::int) g`,
    [scale * 4000],
  );
  // 100 columns: 50 integers and 50 short texts.
  const cols = Array.from({ length: 50 }, (_, i) => `i${i} int, t${i} text`).join(", ");
  const vals = Array.from({ length: 50 }, (_, i) => `g + ${i}, 'v' || (g * ${i + 1})`).join(", ");
  await pool.query(`CREATE TABLE wide (id int PRIMARY KEY, ${cols})`);
  await pool.query(`INSERT INTO wide SELECT g, ${vals} FROM generate_series(1, $1::int) g`, [scale * 2000]);
  // Values of 8 kB (out of line in TOAST, compressed a little: md5 text does not compress well).
  await pool.query(`CREATE TABLE toasted (id int PRIMARY KEY, body text NOT NULL)`);
  await pool.query(
    `INSERT INTO toasted SELECT g, (SELECT string_agg(md5((g * 1000 + k)::text), '') FROM generate_series(1, 256) k) FROM generate_series(1, $1::int) g`,
    [scale * 200],
  );
  await pool.query(`CREATE TABLE bench_meta (scale int, dataset int)`);
  await pool.query(`INSERT INTO bench_meta VALUES ($1, $2)`, [scale, DATASET]);
  await pool.query("VACUUM ANALYZE");
}

async function main(): Promise<void> {
  const admin = serverUrl();
  const dbUrl = urlOf(admin, DB);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(new URL(admin).password) };
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  if ((await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB])).rowCount !== 1)
    await c.query(`CREATE DATABASE ${DB}`);
  const dataDir = (
    await c
      .query<{ d: string }>("SELECT current_setting('data_directory') AS d")
      .catch(() => ({ rows: [] as Array<{ d: string }> }))
  ).rows[0]?.d;

  let pool = await PgPoolSql.open(dbUrl, 4);
  const have = await pool
    .query<{ s: number; d: number }>("SELECT scale AS s, dataset AS d FROM bench_meta")
    .catch(() => ({ rows: [] as Array<{ s: number; d: number }> }));
  if (have.rows[0]?.s !== scale || have.rows[0]?.d !== DATASET) {
    await loadDataset(pool, dbUrl, env);
    for (const copy of [LIVE, DAMAGED]) await c.query(`DROP DATABASE IF EXISTS ${copy}`);
  }
  // Copies by template need the template without connections.
  await pool.close();
  for (const copy of [LIVE, DAMAGED]) {
    if ((await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [copy])).rowCount !== 1)
      await c.query(`CREATE DATABASE ${copy} TEMPLATE ${DB}`);
  }
  await c.end();
  pool = await PgPoolSql.open(dbUrl, 4);
  const live = await PgPoolSql.open(urlOf(admin, LIVE), 4);
  const damaged = await PgPoolSql.open(urlOf(admin, DAMAGED), 4);
  // The damaged copy: one changed and one deleted row, whatever an earlier run left.
  await damaged.transaction(async (tx) => {
    await tx.query("UPDATE pgbench_accounts SET abalance = 1 WHERE aid = $1", [CHANGED_AID]);
    await tx.query("DELETE FROM pgbench_accounts WHERE aid = $1", [DELETED_AID]);
  });

  const tables = [
    "pgbench_accounts",
    "pgbench_branches",
    "pgbench_tellers",
    "pgbench_history",
    "mixed",
    "wide",
    "toasted",
  ];
  const bytes = await pool.query<{ b: string }>(
    `SELECT sum(pg_total_relation_size(c.oid))::text AS b FROM pg_class c WHERE relname = ANY($1)`,
    [tables],
  );
  const rows = await pool.query<{ n: string }>(
    `SELECT sum(n_live_tup)::text AS n FROM pg_stat_user_tables WHERE relname = ANY($1)`,
    [tables],
  );
  console.log(
    `dataset: ${Number(rows.rows[0]!.n).toLocaleString()} rows, ${(Number(bytes.rows[0]!.b) / 1e6).toFixed(0)} MB on ${(await pool.query<{ v: string }>("SELECT version() AS v")).rows[0]!.v.split(",")[0]}`,
  );

  // Each "connection" borrows from a pool per query; closing it leaves the pool open.
  const opener = (p: PgPoolSql) => async (): Promise<SqlClient> => ({
    query: (t, q) => p.query(t, q),
    transaction: (fn) => p.transaction(fn),
    close: async () => undefined,
  });
  const validation = { database: DB, tables: [], checks: [] };
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const cpu = serverCpu(dataDir);
  const timed = async (fn: () => Promise<unknown>): Promise<[number, number | undefined]> => {
    const c0 = cpu();
    const t = performance.now();
    await fn();
    const wall = (performance.now() - t) / 1000;
    const c1 = cpu();
    return [wall, c0 === undefined || c1 === undefined ? undefined : c1 - c0];
  };
  // Warm the caches once so that every contender reads the same way.
  for (const p of [pool, live, damaged])
    await p.query(`SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t})`).join(" + ")}`);
  const manifestStarted = performance.now();
  const manifest = await recordManifest({ open: opener(pool), validation, now: () => Date.now() });
  console.log(
    `manifest recorded in ${((performance.now() - manifestStarted) / 1000).toFixed(2)} s: ${(JSON.stringify(manifest).length / 1e6).toFixed(1)} MB of JSON`,
  );
  // The floor hashes every value with the fastest function its types allow (json has no hash
  // function: md5 of the row's text, as before); a count and a sum of the hashes, per table.
  const hashable = new Map<string, boolean>();
  for (const t of tables)
    hashable.set(
      t,
      await pool.query(`SELECT hash_record_extended(t.*, 0) FROM ${t} t LIMIT 1`).then(
        () => true,
        () => false,
      ),
    );
  const floorSql = (t: string) =>
    hashable.get(t) === true
      ? `SELECT count(*), sum(hash_record_extended(t.*, 0)) FROM ${t} t`
      : `SELECT count(*), sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint) FROM ${t} t`;
  const verdicts: Record<string, string> = {};
  const expectOk = (what: string) => (r: ValidationResult) => {
    verdicts[what] = r.summary;
    if (!r.ok) throw new Error(`${what}: validation of an unchanged database failed: ${r.summary}`);
  };
  // The copies are read once a round, the database itself five times: a copy's pages may have left
  // the OS cache in between (on this shared machine they do), which would bill a contender for
  // disk reads the equal path never makes. Each contender on a copy first has it read (untimed),
  // as count(*) and the floor do for the equal path.
  const warm = (p: PgPoolSql) => () =>
    p.query(`SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t})`).join(" + ")}`);
  const contenders: Array<[string, () => Promise<unknown>, (() => Promise<unknown>)?]> = [
    ["count(*) over the tables", () => Promise.all(tables.map((t) => pool.query(`SELECT count(*) FROM ${t}`)))],
    ["hash floor (count + sum of hashes)", () => Promise.all(tables.map((t) => pool.query(floorSql(t))))],
    [
      "full validation vs manifest",
      async () =>
        expectOk("manifest")(
          await validateDatabase({
            open: opener(pool),
            expect: { kind: "manifest", manifest },
            validation,
            concurrency,
            now: () => Date.now(),
          }),
        ),
      warm(live),
    ],
    [
      "live: copy vs database",
      async () =>
        expectOk("live")(
          await validateDatabase({
            open: opener(live),
            expect: { kind: "live", open: opener(pool) },
            validation,
            concurrency,
            now: () => Date.now(),
          }),
        ),
    ],
    [
      "damaged copy vs manifest: exact keys",
      async () => {
        const r = await validateDatabase({
          open: opener(damaged),
          expect: { kind: "manifest", manifest },
          validation,
          concurrency,
          now: () => Date.now(),
        });
        const t = r.tables.find((x) => x.table === "public.pgbench_accounts")!;
        verdicts["damaged"] = r.summary;
        if (
          t.keys.changed.join() !== String(CHANGED_AID) ||
          t.keys.missing.join() !== String(DELETED_AID) ||
          r.tables.some((x) => x !== t && x.verdict !== "ok")
        ) {
          throw new Error(
            `the damaged copy was not localised to aid ${CHANGED_AID} (changed) and ${DELETED_AID} (missing): ${r.summary}`,
          );
        }
      },
      warm(damaged),
    ],
    [
      "pg_dump | sha256sum",
      async () =>
        execFileSync(
          "bash",
          ["-c", `pg_dump --no-owner -t ${tables.join(" -t ")} '${dbUrl}' | sha256sum > /dev/null`],
          { env },
        ),
    ],
  ];
  // Rounds interleave the contenders (same cache and machine state for each); the median counts.
  const samples: number[][] = contenders.map(() => []);
  const cpuSamples: Array<Array<number | undefined>> = contenders.map(() => []);
  for (let round = 0; round < repeat; round++) {
    for (const [i, [, fn, before]] of contenders.entries()) {
      await before?.();
      const [wall, secs] = await timed(fn);
      samples[i]!.push(wall);
      cpuSamples[i]!.push(secs);
    }
  }
  for (const [i, [what]] of contenders.entries()) {
    const xs = samples[i]!;
    const cs = cpuSamples[i]!.filter((x): x is number => x !== undefined);
    const cpuText = cs.length === 0 ? "server CPU n/a" : `server CPU ${median(cs).toFixed(2).padStart(6)} s`;
    console.log(
      `${what.padEnd(38)} ${median(xs).toFixed(2).padStart(8)} s   ${cpuText}   (${repeat} rounds: ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`,
    );
  }
  const [countStar, floor, full, liveMs, damagedMs, dump] = samples.map(median) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  await Promise.all([pool.close(), live.close(), damaged.close()]);
  console.log(
    `verdicts: manifest: ${verdicts["manifest"]}; live: ${verdicts["live"]}; damaged: ${verdicts["damaged"]}`,
  );
  const rss = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(
    `validate/hash-floor = ${(full / floor).toFixed(2)}, validate/count(*) = ${(full / countStar).toFixed(2)}, pg_dump/validate = ${(dump / full).toFixed(2)}, peak RSS = ${rss} MB`,
  );
  console.log(
    `validate/localise-one-row = ${(damagedMs / full).toFixed(2)}, live/manifest = ${(liveMs / full).toFixed(2)}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
