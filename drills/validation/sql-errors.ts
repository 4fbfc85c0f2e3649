/**
 * Whether an error means the database cannot be reached (the validation must stop), as opposed to
 * a problem with one table (which makes that table uncomparable). SQLSTATE class 08 is a
 * connection exception, 57P0x an administrator or crash shutdown, 28 bad credentials, 3D000 a
 * database that does not exist; Node's socket errors have `code`s such as ECONNREFUSED.
 */
export function isUnreachable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== "string")
    return /connection|terminat|closed|ECONN/i.test(error instanceof Error ? error.message : "");
  return /^08|^57P0|^28|^3D000$/.test(code) || /^E[A-Z]+$/.test(code);
}

/** A one-line reason from an error (for `uncomparable` verdicts). */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0]! : String(error);
}
