import { PGlite } from "@electric-sql/pglite";
(async () => {
  let t = Date.now();
  const db = await PGlite.create();
  console.log("create", Date.now() - t); t = Date.now();
  await db.exec("create table orders(id bigint primary key, total int, updated_at timestamptz); insert into orders select g, g, now() from generate_series(1,20000) g");
  console.log("insert 20k", Date.now() - t); t = Date.now();
  const blob = await db.dumpDataDir("none");
  console.log("dump", Date.now() - t, blob.size); t = Date.now();
  const db2 = await PGlite.create({ loadDataDir: blob });
  console.log("load", Date.now() - t); t = Date.now();
  console.log((await db2.query("select count(*) from orders")).rows);
  const blobz = await db.dumpDataDir("gzip");
  console.log("dump gz", Date.now() - t, blobz.size); t = Date.now();
  const db3 = await PGlite.create({ loadDataDir: blobz });
  console.log("load gz", Date.now() - t); t = Date.now();
  console.log(process.memoryUsage().rss / 1e6);
})();
