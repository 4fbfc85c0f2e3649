// Lint: typescript-eslint (type-aware, for no-floating-promises) and the layering of docs/architecture.md
// as import rules. Formatting is prettier's (`npm run format`), not ESLint's.
import tseslint from "typescript-eslint";

/**
 * An import of any of these modules or folders is refused with `why`. Names are as seen from the
 * layer's folder: `../x` (any depth of `../`), or `./x` from the files at automation/'s root.
 */
function forbid(folders, why, fromRoot = false) {
  const names = folders.join("|"); // plain names: letters, "-" and "/"
  return { regex: `^(${fromRoot ? "\\./" : "(\\.\\./)+"})(${names})(/|$)`, message: why };
}

/** One layer: the files it covers and the folders they must not import. */
function layer(files, folders, why, fromRoot = false) {
  return {
    files,
    rules: { "no-restricted-imports": ["error", { patterns: [forbid(folders, why, fromRoot)] }] },
  };
}

/** The Pulumi programs: only the sandbox (which runs them under mocks) and the stacks adapter load them. */
const PROGRAMS = ["config", "database", "dr", "index", "primary", "program", "tags", "workload"].map(
  (f) => `infra/${f}`,
);

const OUTER = [
  "adapters",
  "sandbox",
  "targets",
  "cli",
  "runbooks",
  "engine",
  "store",
  "library",
  "drill-kit",
  "doctor",
];

/** The layering of docs/architecture.md (exported for the test that shows a back-edge fails). */
export const layers = [
  layer(
    ["automation/domain/**/*.ts"],
    [...OUTER, "ports", "config", "infra", "drills"],
    "domain is the innermost layer: it imports only domain (docs/architecture.md)",
  ),
  layer(
    ["automation/config/**/*.ts"],
    [...OUTER, "ports", "infra", "drills"],
    "config imports only domain (docs/architecture.md)",
  ),
  layer(["automation/ports/**/*.ts"], [...OUTER, "infra", "drills"], "ports import domain, config and ports only"),
  layer(
    ["automation/engine/**/*.ts"],
    OUTER.filter((f) => f !== "engine").concat(["infra", "drills"]),
    "the engine knows plans and ports, not runbooks, adapters or targets",
  ),
  layer(
    ["automation/store/**/*.ts"],
    OUTER.filter((f) => f !== "store").concat(["infra", "drills"]),
    "the store imports domain, config and ports only",
  ),
  layer(
    ["automation/adapters/**/*.ts"],
    ["runbooks", "sandbox", "targets", "cli", "library", "drill-kit", "doctor", "drills", ...PROGRAMS],
    "adapters implement ports; they never reach into runbooks, the sandbox, targets, the CLI or the library",
  ),
  layer(
    ["automation/runbooks/**/*.ts"],
    ["adapters", "sandbox", "targets", "cli", "library", "drill-kit", "drills", ...PROGRAMS],
    "runbooks act through ports: no adapters, sandbox, targets or CLI",
  ),
  layer(
    ["automation/library.ts", "automation/drill-kit.ts", "automation/doctor.ts"],
    ["sandbox", "targets", "cli"],
    "the library knows ports, not the sandbox, targets or the CLI (a target supplies the ports)",
    true,
  ),
  layer(["infra/**/*.ts"], ["automation", "drills"], "infra is self-contained; infra/contract.ts is what others read"),
];

const typed = {
  files: ["**/*.ts"],
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
  },
  plugins: { "@typescript-eslint": tseslint.plugin },
  rules: {
    // A promise nobody awaits loses its error and its ordering: on the worst day that is a step
    // reported done before it is, or a rejection that kills the process without a journal entry.
    "@typescript-eslint/no-floating-promises": "error",
    "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
    "@typescript-eslint/await-thenable": "error",
    // Lazy requires are deliberate (the sandbox loads @pulumi/aws only when asked for) and marked.
    "@typescript-eslint/no-require-imports": "error",
    "no-debugger": "error",
    eqeqeq: ["error", "always", { null: "ignore" }],
  },
};

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", ".pilotlight/**", "eslint.config.mjs"] },
  typed,
  ...layers,
);
