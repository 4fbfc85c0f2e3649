import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { redactText } from "../domain/redact";
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
    // Reports are read by many: a URL in a step's error must not carry its password.
    await writeFile(out.markdown, redactText(files.markdown));
    await writeFile(out.json, redactText(files.json));
    if (files.html !== undefined) {
      out.html = `${base}.html`;
      await writeFile(out.html, redactText(files.html));
    }
    return out;
  }
}
