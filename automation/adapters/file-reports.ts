import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { ReportFiles, Reports } from "../ports/reports";

/** Writes reports to `<dir>/<runId>.{md,json,html}`. */
export class FileReports implements Reports {
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async write(runId: string, files: ReportFiles): Promise<{ markdown: string; json: string; html?: string }> {
    await mkdir(this.dir, { recursive: true });
    const base = join(this.dir, runId.replace(/[^A-Za-z0-9._-]/g, "_"));
    const out: { markdown: string; json: string; html?: string } = { markdown: `${base}.md`, json: `${base}.json` };
    await writeFile(out.markdown, files.markdown);
    await writeFile(out.json, files.json);
    if (files.html !== undefined) {
      out.html = `${base}.html`;
      await writeFile(out.html, files.html);
    }
    return out;
  }
}
