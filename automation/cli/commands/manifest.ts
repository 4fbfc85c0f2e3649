import { withLibrary, type CommandModule } from "../context";

/** `manifest record`: what a restore of the primary must hold, recorded on the primary. */
const recordCommand: CommandModule = {
  command: "record",
  describe: "Record a validation manifest of the primary (schema fingerprint, chunked checksums); run it after each backup",
  builder: (y) => y.example("$0 manifest record --env prod", "failovers and drills then prove restored data against it") as never,
  handler: async (ctx, args) =>
    withLibrary(ctx, args, async (lib, r) => {
      const m = await lib.recordManifest({ env: args.env });
      r.result(m, `manifest of ${m.env} recorded at ${new Date(m.recordedAt).toISOString()}: ${m.tables} tables, ${m.rows} rows`);
    }),
};

/** `manifest …`: validation manifests. */
export const manifestCommand: CommandModule = {
  command: "manifest",
  describe: "Validation manifests: `manifest record`",
  builder: (y) => y,
  handler: async () => undefined,
  subcommands: [recordCommand],
};
