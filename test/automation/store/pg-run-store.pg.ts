/**
 * The PostgreSQL-server leg (`npm run test:pg`, run by .ci/run): the store contract and the
 * cross-process tests against a real server. PG_URL names a database whose user may create
 * databases; default: the local server's `test` database.
 */
import { openRunStore } from "../../../automation/store/open-store";
import { TestDatabases } from "../../support/pg-databases";
import { crossProcessSuite } from "./cross-process";
import { runStoreContract } from "./run-store.contract";

const databases = new TestDatabases("pilotlight_test");
const freshDatabase = () => databases.fresh();

after(async function () {
  await databases.dropAll();
});

runStoreContract("PostgreSQL server", async () => openRunStore(await freshDatabase()));
crossProcessSuite("PostgreSQL server", freshDatabase, true);
