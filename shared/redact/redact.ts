/**
 * Cleaning of text that comes from outside (registry error bodies and headers, Slack answers, SDK messages)
 * before it reaches an error message, CLI output, an audit row or an alert:
 *
 * - known secrets are replaced in every form a server could echo them: raw, URL-encoded (component, URI and
 *   form encoding), base64 and base64url (also when embedded in a longer base64 text, e.g. `user:password`);
 * - credential-looking text is replaced even when the secret is not known: `Authorization` header values,
 *   `Basic`/`Bearer` tokens, JWTs, `token`/`password`/`secret` fields, signed-URL query parameters, URL user info;
 * - the result is one line (control characters and ANSI escapes removed, whitespace collapsed), so a body cannot
 *   forge log or CLI lines, and it is cut to a bound so a 30 KB body cannot flood an alert.
 *
 * One module so the copy engine, the replicator and the notifiers clean alike.
 */

/** What replaces a secret or a token. */
export const REDACTED = '<redacted>';

/** Default cut for a piece of outside text inside a message. */
export const DEFAULT_MAX_LENGTH = 300;

// Secrets shorter than this are not searched for on their own: replacing every "pw" would mangle the text.
// (They are still caught inside Authorization headers and `user:password` pairs by the patterns below.)
const MIN_SECRET_LENGTH = 4;
// The stable middle of a base64 form must be this long to be searched for, for the same reason.
const MIN_BASE64_FRAGMENT = 8;

function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    // With `offset` bytes before it, the secret starts at another position of a 3-byte group; the characters of
    // the groups made only of secret bytes are the same wherever the secret sits in a longer base64 text.
    const padded = Buffer.concat([Buffer.alloc(offset), bytes]);
    const encoded = padded.toString('base64');
    if (offset === 0) forms.push(encoded, encoded.replace(/=+$/, ''));
    const firstGroup = offset === 0 ? 0 : 1;
    const stable = encoded.slice(firstGroup * 4, Math.floor(padded.length / 3) * 4);
    if (stable.length >= MIN_BASE64_FRAGMENT) forms.push(stable);
  }
  const all = new Set<string>();
  for (const form of forms) {
    if (form.length === 0) continue;
    all.add(form);
    all.add(form.replace(/\+/g, '-').replace(/\//g, '_'));
    // A base64 text that went through a URL: its + / = are percent-encoded.
    all.add(encodeURIComponent(form));
  }
  return [...all];
}

/** Every form of a secret that a server might echo back. */
export function secretForms(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [];
  const forms = new Set<string>([secret]);
  const component = encodeURIComponent(secret);
  forms.add(component);
  forms.add(component.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())); // lower-case hex escapes
  forms.add(encodeURI(secret));
  forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
  forms.add(encodeURIComponent(component)); // double-encoded
  for (const form of base64Forms(secret)) forms.add(form);
  // Longest first, so a form is never partly replaced by a shorter one inside it.
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

const PATTERNS: [RegExp, string][] = [
  // Authorization / Proxy-Authorization header values, as echoed in bodies (`Authorization: Basic xyz`).
  // Go's header maps print `Authorization:[Basic xyz]`.
  [
    /((?:proxy-)?authorization["']?\s*[:=]\s*[["']?)(?:(?:basic|bearer|token|aws4-hmac-sha256)\s+)?[^\s"',;}\]]+/gi,
    `$1${REDACTED}`,
  ],
  // Bare scheme tokens anywhere (a token has a digit or a base64 sign; "basic authentication" is left alone).
  [/\b(basic|bearer)\s+(?=[A-Za-z0-9._~+/=-]*[0-9+/=._~-])[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // JWTs (bearer tokens of most registries).
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // JSON or form fields that carry secrets.
  [
    /((?:access_token|refresh_token|id_token|token|password|passwd|secret|client_secret|api_key|apikey)"?\s*[:=]\s*"?)[^"&\s,;}]+/gi,
    `$1${REDACTED}`,
  ],
  // Signed-URL query parameters (S3 pre-signed blob URLs, other CDNs).
  [
    /([?&](?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig|se|sv|Key-Pair-Id|Policy)=)[^&\s"]+/gi,
    `$1${REDACTED}`,
  ],
  // User info in URLs: scheme://user:password@host.
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+:[^\s/@]+@/gi, `$1${REDACTED}@`],
];

/** Replaces known secrets (every form) and credential-looking text; keeps the text's lines. */
export function redact(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  const forms = new Set<string>();
  for (const secret of secrets) for (const form of secretForms(secret)) forms.add(form);
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

// ANSI escape sequences (colours, cursor moves) and every control or line-separating character.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-_]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_OR_SPACE = /[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** One line: escapes and control characters removed, runs of whitespace collapsed to one space, trimmed. */
export function oneLine(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL_OR_SPACE, ' ').trim();
}

/** Cuts a text to `max` characters, saying how much was left off. */
export function cut(text: string, max = DEFAULT_MAX_LENGTH): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

export interface CleanOptions {
  /** Secrets known to the caller (passwords, tokens, webhook URLs), removed in every form. */
  secrets?: Iterable<string>;
  /** @default 300 */
  maxLength?: number;
}

/** Redacts, collapses to one line and cuts: the form outside text takes before it is shown anywhere. */
export function cleanText(text: string, options: CleanOptions = {}): string {
  const secrets = [...(options.secrets ?? [])];
  // Redact before and after collapsing: a secret split by a line break is whole again once collapsed.
  const collapsed = oneLine(redact(text, secrets));
  return cut(redact(collapsed, secrets), options.maxLength ?? DEFAULT_MAX_LENGTH);
}

/**
 * Collects the secrets of one operation (credentials as they are obtained, tokens as they are issued) and cleans
 * texts and errors with all of them.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /** Adds a secret (ignores empty and undefined values). */
  add(secret: string | undefined): this {
    if (secret) this.secrets.add(secret);
    return this;
  }

  /** Adds a user name and password: the password, and the `user:password` pair that Basic auth encodes. */
  addCredentials(credentials: { username: string; password: string } | undefined): this {
    if (!credentials) return this;
    this.add(credentials.password);
    this.add(`${credentials.username}:${credentials.password}`);
    return this;
  }

  /** Redacts only (lines kept): for texts that are already the caller's own, such as a stack. */
  redact(text: string): string {
    return redact(text, this.secrets);
  }

  /** Redacts, collapses to one line and cuts (see cleanText). */
  clean(text: string, maxLength = DEFAULT_MAX_LENGTH): string {
    return cleanText(text, { secrets: this.secrets, maxLength });
  }

  /**
   * Cleans an error in place, with every error in its `cause` chain: messages become one clean line (cut at
   * `maxLength`), stacks are redacted. Returns the same error.
   */
  cleanError<E>(error: E, maxLength = 1000): E {
    scrubErrorChain(
      error,
      (text) => this.clean(text, maxLength),
      (text) => this.redact(text),
    );
    return error;
  }
}

/** Cleans an error and its causes in place with the given functions (message: one line; stack: redacted). */
export function scrubErrorChain(
  error: unknown,
  cleanMessage: (text: string) => string,
  redactStack: (text: string) => string = (text) => redact(text),
): void {
  const seen = new Set<unknown>();
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && !seen.has(current) && depth < 10; depth++) {
    seen.add(current);
    try {
      current.message = cleanMessage(current.message);
      if (typeof current.stack === 'string') current.stack = redactStack(current.stack);
    } catch {
      // A frozen error cannot be cleaned; its message was built from cleaned parts anyway.
    }
    current = (current as { cause?: unknown }).cause;
  }
}
