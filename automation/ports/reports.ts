/** Files of one run's report. */
export interface ReportFiles {
  markdown: string;
  json: string;
  html?: string;
}

/** Where run reports go (a folder by default). Returns where each file was written. */
export interface Reports {
  write(runId: string, files: ReportFiles): Promise<{ markdown: string; json: string; html?: string }>;
}
