/**
 * The PostgreSQL-server leg (`npm run test:pg`, run by .ci/run): the store contract and the
 * cross-process tests against a real server. PG_URL names a database whose user may create
 * databases; default: the local server's `test` database.
 */
import pg from "pg";
import { openRunStore } from "../../../automation/store/open-store";
import { crossProcessSuite } from "./cross-process";
import { runStoreContract } from "./run-store.contract";

const BASE_URL = process.env["PG_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const created: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `pilotlight_test_${process.pid}_${created.length}`;
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  created.push(name);
  const url = new URL(BASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

after(async function () {
  const admin = new pg.Client({ connectionString: BASE_URL });
  await admin.connect();
  for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

runStoreContract("PostgreSQL server", async () => openRunStore(await freshDatabase()));
crossProcessSuite("PostgreSQL server", freshDatabase, true);
