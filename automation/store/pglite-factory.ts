import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";

/** Options of {@link createPglite}. */
export interface CreatePgliteOptions {
  /** A folder to keep the database in (opened when it holds one); in memory when absent. */
  dataDir?: string;
  /** A data directory tarball (`dumpDataDir`) to start from instead of an empty database. */
  loadDataDir?: Blob;
}

let template: Promise<Blob> | undefined;

/**
 * Opens or creates a PGlite database. An empty database is not made by `initdb` each time (4–5 s
 * of WebAssembly on a 2-core machine) but loaded from a template data directory made once per
 * machine and PGlite version (about 1 s): the sandbox makes a database per cluster, the tests
 * hundreds.
 */
export async function createPglite(o: CreatePgliteOptions = {}): Promise<PGlite> {
  const { PGlite } = await import("@electric-sql/pglite");
  if (o.loadDataDir !== undefined)
    return PGlite.create({ ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }), loadDataDir: o.loadDataDir });
  if (o.dataDir !== undefined && existsSync(join(o.dataDir, "PG_VERSION")))
    return PGlite.create({ dataDir: o.dataDir });
  if (o.dataDir !== undefined && existsSync(o.dataDir) && readdirSync(o.dataDir).length > 0) {
    // Not a database, not empty: let PGlite say what is wrong rather than overwrite anything.
    return PGlite.create({ dataDir: o.dataDir });
  }
  const blob = await (template ??= loadTemplate());
  return PGlite.create({ ...(o.dataDir === undefined ? {} : { dataDir: o.dataDir }), loadDataDir: blob });
}

/** The template tarball: from the machine's cache, else made now and cached (atomically). */
async function loadTemplate(): Promise<Blob> {
  const file = join(tmpdir(), `pilotlight-pglite-template-${pgliteVersion()}.tar`);
  if (existsSync(file)) return new Blob([readFileSync(file)]);
  const { PGlite } = await import("@electric-sql/pglite");
  const db = await PGlite.create();
  try {
    const blob = await db.dumpDataDir("none");
    try {
      mkdirSync(dirname(file), { recursive: true });
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, Buffer.from(await blob.arrayBuffer()));
      renameSync(partial, file);
    } catch {
      // A cache that cannot be written only costs the next process an initdb.
    }
    return blob;
  } finally {
    await db.close();
  }
}

/** PGlite's version (the template's key): its package.json, found from the resolved entry. */
function pgliteVersion(): string {
  let dir = dirname(require.resolve("@electric-sql/pglite"));
  for (let i = 0; i < 5; i++) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      const parsed = JSON.parse(readFileSync(pkg, "utf8")) as { name?: string; version?: string };
      if (parsed.name === "@electric-sql/pglite" && parsed.version !== undefined) return parsed.version;
    }
    dir = dirname(dir);
  }
  return "unknown";
}
