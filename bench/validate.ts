/**
 * `npm run bench:validate [-- --scale N]`: full validation against the hash floor, count(*) and
 * `pg_dump | sha256sum`, on a real PostgreSQL server, in one run. The server: PG_URL, else the
 * local one on 127.0.0.1:5432, else Debian's, installed and started on loopback. The data: a
 * pgbench dataset (scale 50 by default: 5M accounts) plus a mixed-type table, in a database of
 * its own (`pilotlight_bench`, reused when it already holds that scale).
 * Each contender runs `--repeat N` times (default 3), interleaved; medians are compared.
 * Last line: `validate/hash-floor = A.AA, validate/count(*) = B.BB, pg_dump/validate = C.CC, peak RSS = D MB`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { PgPoolSql } from "../automation/store/pg-sql";
import type { SqlClient } from "../automation/store/sql";
import { rowHashSql } from "../drills/validation/checksum";
import { recordManifest, validateDatabase } from "../drills/validation/validate";

const scale = Number(process.argv.find((_a, i) => process.argv[i - 1] === "--scale") ?? process.argv.find((a) => a.startsWith("--scale="))?.slice(8) ?? 50);
const DB = "pilotlight_bench";
const repeat = Number(process.argv.find((_a, i) => process.argv[i - 1] === "--repeat") ?? 3);

function serverUrl(): string {
  if (process.env["PG_URL"] !== undefined) return process.env["PG_URL"];
  const local = "postgres://postgres@127.0.0.1:5432/postgres";
  if (spawnSync("pg_isready", ["-q", "-h", "127.0.0.1", "-p", "5432"]).status === 0) return local;
  console.log("no PostgreSQL server on 127.0.0.1:5432: installing Debian's and starting it on loopback");
  execFileSync("bash", ["-c", "export DEBIAN_FRONTEND=noninteractive; (ls /etc/postgresql >/dev/null 2>&1 && [ -n \"$(ls /etc/postgresql)\" ]) || (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null); pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main start || true; for i in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done; su postgres -c \"psql -qc \\\"ALTER USER postgres PASSWORD 'pilotlight-bench'\\\"\""], { stdio: "inherit" });
  return "postgres://postgres:pilotlight-bench@127.0.0.1:5432/postgres";
}

async function main(): Promise<void> {
  const admin = serverUrl();
  const url = new URL(admin);
  url.pathname = `/${DB}`;
  const dbUrl = url.toString();
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(url.password) };
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  const exists = (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [DB])).rowCount === 1;
  if (!exists) await c.query(`CREATE DATABASE ${DB}`);
  await c.end();

  const pool = await PgPoolSql.open(dbUrl, 4);
  const have = await pool.query<{ n: string }>("SELECT CASE WHEN to_regclass('pgbench_accounts') IS NULL THEN 0 ELSE (SELECT count(*) FROM pgbench_branches) END AS n").catch(() => ({ rows: [{ n: "0" }] }));
  if (Number(have.rows[0]!.n) !== scale) {
    console.log(`loading pgbench scale ${scale} (${scale * 100_000} accounts) and a mixed-type table…`);
    execFileSync("pgbench", ["-i", "-q", "-s", String(scale), "--foreign-keys", "-d", dbUrl], { stdio: "inherit", env });
    await pool.query(`DROP TABLE IF EXISTS mixed`);
    await pool.query(`CREATE TABLE mixed (id bigint PRIMARY KEY, u uuid NOT NULL, label text, amount numeric(12,2), at timestamptz NOT NULL, blob bytea, doc json, flags boolean[])`);
    await pool.query(
      `INSERT INTO mixed SELECT g, md5(g::text)::uuid, CASE WHEN g % 10 = 0 THEN NULL ELSE 'label ' || g END, (g % 100000) / 7.0, '2026-01-01'::timestamptz + g * interval '1 second', decode(md5(g::text), 'hex'), json_build_object('g', g, 'even', g % 2 = 0), ARRAY[g % 2 = 0, g % 3 = 0] FROM generate_series(1, $1::int) g`,
      [scale * 4000],
    );
    await pool.query("VACUUM ANALYZE");
  }
  const tables = ["pgbench_accounts", "pgbench_branches", "pgbench_tellers", "pgbench_history", "mixed"];
  const bytes = await pool.query<{ b: string }>(`SELECT sum(pg_total_relation_size(c.oid))::text AS b FROM pg_class c WHERE relname = ANY($1)`, [tables]);
  const rows = await pool.query<{ n: string }>(`SELECT sum(n_live_tup)::text AS n FROM pg_stat_user_tables WHERE relname = ANY($1)`, [tables]);
  console.log(`dataset: ${Number(rows.rows[0]!.n).toLocaleString()} rows, ${(Number(bytes.rows[0]!.b) / 1e6).toFixed(0)} MB on ${(await pool.query<{ v: string }>("SELECT version() AS v")).rows[0]!.v.split(",")[0]}`);

  // Each "connection" borrows from the pool per query; closing it leaves the pool open.
  const open = async (): Promise<SqlClient> => ({ query: (t, p) => pool.query(t, p), transaction: (fn) => pool.transaction(fn), close: async () => undefined });
  const validation = { database: DB, tables: tables.map((name) => ({ name })), checks: [] };
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const t = performance.now();
    await fn();
    return (performance.now() - t) / 1000;
  };
  // Warm the cache once so that every contender reads the same way.
  await pool.query(`SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t})`).join(" + ")}`);
  const manifest = await recordManifest({ open, validation, now: () => Date.now() });
  // The floor hashes every value with the fastest function the table's types allow (json has no
  // hash function: the same md5 fallback the validator uses).
  const floorSql = (t: string) => (manifest.tables.find((x) => x.table === `public.${t}`)?.method === "md5" ? `SELECT count(*), sum(${rowHashSql("md5")}) FROM ${t} t` : `SELECT count(*), sum(hash_record_extended(t.*, 0)) FROM ${t} t`);
  let verdict = "";
  const contenders: Array<[string, () => Promise<unknown>]> = [
    ["count(*) over the tables", () => Promise.all(tables.map((t) => pool.query(`SELECT count(*) FROM ${t}`)))],
    ["hash floor (count + sum of hashes)", () => Promise.all(tables.map((t) => pool.query(floorSql(t))))],
    [
      "full validation vs manifest",
      async () => {
        const r = await validateDatabase({ open, expect: { kind: "manifest", manifest }, validation, concurrency: 2, now: () => Date.now() });
        verdict = r.summary;
        if (!r.ok) throw new Error(`validation of an unchanged database failed: ${r.summary}`);
      },
    ],
    ["pg_dump | sha256sum", async () => execFileSync("bash", ["-c", `pg_dump --no-owner -t ${tables.join(" -t ")} '${dbUrl}' | sha256sum > /dev/null`], { env })],
  ];
  // Rounds interleave the contenders (same cache and machine state for each); the median counts.
  const samples: number[][] = contenders.map(() => []);
  for (let round = 0; round < repeat; round++) for (const [i, [, fn]] of contenders.entries()) samples[i]!.push(await timed(fn));
  for (const [i, [what]] of contenders.entries()) {
    const xs = samples[i]!;
    console.log(`${what.padEnd(34)} ${median(xs).toFixed(2).padStart(8)} s   (${repeat} rounds: ${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`);
  }
  const [countStar, floor, full, dump] = samples.map(median) as [number, number, number, number];
  await pool.close();
  console.log(`validation verdict: ${verdict}`);
  const rss = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(`validate/hash-floor = ${(full / floor).toFixed(2)}, validate/count(*) = ${(full / countStar).toFixed(2)}, pg_dump/validate = ${(dump / full).toFixed(2)}, peak RSS = ${rss} MB`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
