import { withLibrary, type CommandModule } from "../context";
import { databaseValidation } from "./validate";

/**
 * `manifest record`: what a restore of the primary must hold, recorded on the primary — of an
 * environment's primary (stored in the run store), or of any database named by URL into a file.
 */
const recordCommand: CommandModule = {
  command: "record",
  describe:
    "Record a validation manifest (schema fingerprint, chunked checksums) of the environment's primary, " +
    "or of --database URL into --out FILE",
  builder: (y) =>
    y
      .option("database", {
        type: "string",
        describe: "a database URL (postgres://… or pglite://<folder>) instead of an environment's primary",
      })
      .option("out", { type: "string", describe: "the manifest file to write (with --database)" })
      .implies("database", "out")
      .implies("out", "database")
      .example("$0 manifest record --env prod", "failovers and drills then prove restored data against it")
      .example(
        "$0 manifest record --database postgres://app@primary/app --out primary.json",
        "then: pilotlight validate --database … --manifest primary.json",
      ) as never,
  handler: async (ctx, args) => {
    const database = args["database"] as string | undefined;
    if (database !== undefined) {
      const r = ctx.renderer(args);
      const m = await databaseValidation(ctx).recordManifestFile({
        database,
        out: args["out"] as string,
        cwd: ctx.io.cwd,
        now: () => Date.now(),
      });
      r.result(
        m,
        `manifest recorded at ${new Date(m.recordedAt).toISOString()}: ${m.tables} tables, ${m.rows} rows → ${m.file}`,
      );
      return;
    }
    await withLibrary(ctx, args, async (lib, r) => {
      const m = await lib.recordManifest({ env: args.env });
      r.result(
        m,
        `manifest of ${m.env} recorded at ${new Date(m.recordedAt).toISOString()}: ${m.tables} tables, ${m.rows} rows`,
      );
    });
  },
};

/** `manifest …`: validation manifests. */
export const manifestCommand: CommandModule = {
  command: "manifest",
  describe: "Validation manifests: `manifest record`",
  builder: (y) => y,
  handler: async () => undefined,
  subcommands: [recordCommand],
};
