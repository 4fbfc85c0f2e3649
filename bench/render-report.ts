/**
 * `npm run report:render -- REPORT.html [OUT.png]`: renders an HTML run report in headless
 * Chromium (Debian's `chromium`) to a PNG, proving that it displays; installs Chromium from
 * Debian's packages when it is missing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const input = process.argv[2];
if (input === undefined || !existsSync(input)) {
  console.error("usage: npm run report:render -- REPORT.html [OUT.png]   (reports are in .pilotlight/**/reports/)");
  process.exit(2);
}
const out = resolve(process.argv[3] ?? input.replace(/\.html$/, ".png"));
if (spawnSync("chromium", ["--version"]).status !== 0) {
  console.log("installing Debian's chromium…");
  execFileSync("bash", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium"], {
    stdio: "inherit",
  });
}
const profile = mkdtempSync(join(tmpdir(), "pilotlight-chromium-"));
execFileSync(
  "chromium",
  [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    "--window-size=900,900",
    `--screenshot=${out}`,
    `file://${resolve(input)}`,
  ],
  { stdio: "ignore" },
);
if (!existsSync(out) || statSync(out).size < 1000) {
  console.error(`chromium produced no screenshot at ${out}`);
  process.exit(1);
}
console.log(`rendered ${input} → ${out} (${statSync(out).size} bytes)`);
