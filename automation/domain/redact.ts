/**
 * The one redaction of secrets for everything pilotlight prints, journals or reports. URLs are
 * read with the WHATWG URL parser (never a hand-written pattern: `postgres://:pw@host`, an `@`
 * inside a password and `?password=` all slipped past one), and known secret values (a
 * passphrase, AWS keys, a webhook URL) are replaced wherever they appear.
 */

/** What replaces a secret. */
export const REDACTED = "***";

/**
 * Query parameters whose values are secrets: libpq's (`password`, `sslpassword`, `sslkey`, …),
 * pre-signed AWS URLs' and the usual token names. A non-secret redacted by mistake costs
 * nothing; a secret shown costs a rotation.
 */
const SECRET_PARAM =
  /^(password|passwd|pass|pwd|sslpassword|sslkey|sslcert|sslrootcert|secret|client_secret|token|access_token|api_key|apikey|key|auth|authorization|session_token|security_token|x-amz-security-token|x-amz-signature|x-amz-credential|signature|sig)$/i;

/** A URL inside free text: a scheme, `://`, then anything up to whitespace or a quote. */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>\\]+/gi;

/**
 * Names of environment variables that hold secrets, whatever their value looks like. The
 * webhook variable of a configuration can have any name: callers add it.
 */
export const SECRET_ENV = /(PASSPHRASE|PASSWORD|SECRET|TOKEN|WEBHOOK|CREDENTIAL|PRIVATE|_KEY$)/i;

/** Values shorter than this are not scrubbed from text by value: they would match everywhere. */
const MIN_SECRET_LENGTH = 6;

/**
 * A URL with its secrets replaced: the password of the user info (the user name stays: it is not
 * a secret), and the values of secret query parameters. A URL that cannot be parsed keeps only
 * its scheme and host part after the last `@`. Text without secrets is returned unchanged.
 */
export function redactUrl(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(url);
  if (scheme === null) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactUnparsable(url, scheme[1]!);
  }
  // `u:12/pass@host` parses as host `u`, port 12 and a path holding the rest of the password.
  if (parsed.pathname.includes("@") || parsed.hash.includes("@")) return redactUnparsable(url, scheme[1]!);
  let secret = parsed.password !== "";
  const params = [...parsed.searchParams.keys()];
  if (params.some((k) => SECRET_PARAM.test(paramName(k)))) secret = true;
  if (!secret) return url;
  const user = parsed.username;
  const auth = parsed.password !== "" ? `${user}:${REDACTED}@` : user !== "" ? `${user}@` : "";
  const query = url.includes("?") ? `?${redactQuery(url.slice(url.indexOf("?") + 1).split("#")[0]!)}` : "";
  const hash = parsed.hash;
  return `${parsed.protocol}//${auth}${parsed.host}${parsed.pathname}${query}${hash}`;
}

/** A query parameter's name as written; in HTML the separator before it is `&amp;`. */
function paramName(key: string): string {
  return key.replace(/^amp;/i, "");
}

/** `a=1&password=x` → `a=1&password=***`, keeping the order and the non-secret values as written. */
function redactQuery(query: string): string {
  return query
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      let name = paramName(key);
      try {
        name = paramName(decodeURIComponent(key.replace(/\+/g, " ")));
      } catch {
        // A malformed escape: judge the name as written.
      }
      return eq >= 0 && SECRET_PARAM.test(name) ? `${key}=${REDACTED}` : pair;
    })
    .join("&");
}

/**
 * A URL the parser refused (an unencoded `/`, `#` or `?` in a password, say): everything before
 * the last `@` may be credentials, so only what follows it is kept, and secret parameters go.
 */
function redactUnparsable(url: string, scheme: string): string {
  const rest = url.slice(scheme.length + 2);
  const at = rest.lastIndexOf("@");
  const afterAuth = at >= 0 ? rest.slice(at + 1) : rest;
  const q = afterAuth.indexOf("?");
  const tail = q < 0 ? afterAuth : `${afterAuth.slice(0, q)}?${redactQuery(afterAuth.slice(q + 1))}`;
  return `${scheme}//${at >= 0 ? `${REDACTED}@` : ""}${tail}`;
}

/**
 * Text with every URL redacted ({@link redactUrl}) and every known secret value replaced. The
 * longest secrets are replaced first, so that a secret containing another goes whole.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text;
  const values = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  for (const value of values) {
    for (const form of secretForms(value)) out = out.split(form).join(REDACTED);
  }
  return out.replace(URL_IN_TEXT, (url) => redactUrl(url));
}

/** A secret as it may appear in text: as is, percent-encoded, and JSON-escaped. */
function secretForms(value: string): string[] {
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * Every string of a JSON-like value redacted with {@link redactText}; other values unchanged.
 * Used for event data and error details before they are journaled or shown.
 */
export function redactDeep<T>(value: T, secrets: readonly string[] = []): T {
  if (typeof value === "string") return redactText(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, secrets)) as T;
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactDeep(v, secrets);
    return out as T;
  }
  return value;
}

/**
 * The secret values of an environment: variables whose names say they hold secrets
 * ({@link SECRET_ENV}) or that are named in `names` (a configuration's webhook variable), and
 * the passwords inside any URL-valued variable (a store URL).
 */
export function secretsOfEnv(env: NodeJS.ProcessEnv, names: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === "") continue;
    if (SECRET_ENV.test(name) || names.includes(name)) out.push(value);
    out.push(...secretsOfUrl(value));
  }
  return out;
}

/** The password and secret parameter values of a URL (none when it is not a URL). */
export function secretsOfUrl(url: string): string[] {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return [];
  try {
    const parsed = new URL(url);
    const out: string[] = [];
    if (parsed.password !== "") out.push(parsed.password, safeDecode(parsed.password));
    for (const [k, v] of parsed.searchParams) if (SECRET_PARAM.test(paramName(k)) && v !== "") out.push(v);
    return out;
  } catch {
    return [];
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
