import { REPLICATION_MESSAGE_VERSION, ReplicationMessageError } from './message';

// The replicator's side of the replication queue: its trust boundary. Kept apart from message.ts so the
// scan-events bundle, which only builds messages from validated inputs, does not ship the validator.
//
// A message is a request, never an instruction: only its identity (event, rule, repository, digest) and its
// tags are used, and only once resolve-request.ts has checked them against the compiled-in config. The
// source and destinations that senders still include are parsed so resolve-request.ts can compare them with
// the config (a mismatch rejects the message); other top-level keys are ignored, so newer or older senders
// keep working.
//
// Hand-written validation, no schema library: the message is built by the scan-events function and parsed
// by the replicator, and both bundles have a size and cold-start budget (zod/mini alone cost ~21 KB in
// scan-events). The destination shape mirrors the config's replicationDestinationSchema and the config
// primitives; test/unit/replication/message.test.ts keeps the two in step.

/** A parsed replication message: what a sender asked for, not yet checked against the config. */
export interface ReplicationRequest {
  readonly version: typeof REPLICATION_MESSAGE_VERSION;
  readonly eventId: string;
  readonly rule: string;
  readonly repository: string;
  readonly digest: string;
  /** The tags the sender saw matching the rule ([] when absent): a hint, filtered by the rule's tagPatterns. */
  readonly tags: readonly string[];
  /** Older senders: where the image lives (compared with the deployment's account and region). */
  readonly source?: { readonly account: string; readonly region: string };
  /** Older senders: the rule's destinations, as sent (each compared with the rule's, never used). */
  readonly destinations?: readonly Readonly<Record<string, unknown>>[];
}

/** Parses an SQS body; throws ReplicationMessageError naming the first bad field. */
export function parseReplicationMessage(body: string): ReplicationRequest {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new ReplicationMessageError('invalid replication message: expected a JSON body', { cause });
  }
  return parseReplicationMessageObject(value);
}

// ---------------------------------------------------------------------------------------------
// Validation. Every problem is collected (the error names the first and counts the rest), fields in
// the order below, unknown keys of an object after its fields.

type Path = readonly (string | number)[];
/** The message for a wrong type or an unknown key where no field-specific one exists (as zod/mini said it). */
const INVALID = 'Invalid input';
type Obj = Record<string, unknown>;

interface Issue {
  readonly path: Path;
  readonly message: string;
}

const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const ACCOUNT_ID = /^\d{12}$/;
// The config's rule name grammar, and an event id as EventBridge (a UUID) or a test writes it: no text of
// a sender's choosing reaches a log line, an audit key or an alert.
const RULE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const REPOSITORY_NAME = /^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

function parseReplicationMessageObject(value: unknown): ReplicationRequest {
  const issues: Issue[] = [];
  const message = readMessage(value, issues);
  if (issues.length > 0) {
    const first = issues[0];
    const where = first.path.length > 0 ? first.path.map(String).join('.') : '(message)';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new ReplicationMessageError(`invalid replication message: ${where}: ${first.message}${more}`);
  }
  // No issue: every field was checked above, so the object has the message's shape.
  return message as unknown as ReplicationRequest;
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an object with exactly `fields` (in order): each reader gets the field's value and path and returns
 * the output value, or `undefined` to leave an absent optional field out. Unknown keys are one issue, unless
 * `ignoreUnknown` (the message's top level: keys of other senders' versions are left out).
 */
function strictObject(
  value: unknown,
  path: Path,
  issues: Issue[],
  fields: Readonly<Record<string, (value: unknown, path: Path) => unknown>>,
  ignoreUnknown = false,
): Obj | undefined {
  if (!isObject(value)) {
    issues.push({ path, message: INVALID });
    return undefined;
  }
  const out: Obj = {};
  for (const [key, read] of Object.entries(fields)) {
    const result = read(value[key], [...path, key]);
    if (key in value || result !== undefined) out[key] = result;
  }
  if (ignoreUnknown) return out;
  const unknown: string[] = [];
  for (const key in value) if (!Object.prototype.hasOwnProperty.call(fields, key)) unknown.push(key);
  if (unknown.length > 0) issues.push({ path, message: INVALID });
  return out;
}

function readMessage(value: unknown, issues: Issue[]): Obj | undefined {
  const text =
    (pattern: RegExp, message: string) =>
    (v: unknown, path: Path): unknown => {
      if (typeof v !== 'string' || !pattern.test(v)) issues.push({ path, message });
      return v;
    };
  const optional =
    (read: (v: unknown, path: Path) => unknown) =>
    (v: unknown, path: Path): unknown =>
      v === undefined ? undefined : read(v, path);
  const region = text(AWS_REGION, 'expected an AWS region such as eu-west-1');
  const account = text(ACCOUNT_ID, 'expected a 12-digit AWS account id as a string');
  // Older senders' destinations are only compared with the rule's (resolve-request.ts): whatever they hold,
  // the job uses the config's, so their fields need no validation of their own here.
  const destination = (v: unknown, path: Path): unknown => {
    if (!isObject(v)) issues.push({ path, message: 'expected a destination object' });
    return v;
  };
  const array =
    (read: (v: unknown, path: Path) => unknown, min?: readonly [number, string]) =>
    (v: unknown, path: Path): unknown => {
      const items = Array.isArray(v) ? Array.from(v, (item, i) => read(item, [...path, i])) : v;
      if (!Array.isArray(v)) issues.push({ path, message: INVALID });
      // The length rule applies to anything with a length (as zod/mini checked it): "" is also "no destination".
      const length = (v as { length?: unknown } | null | undefined)?.length;
      if (min && length !== undefined && !((length as number) >= min[0]))
        issues.push({ path, message: min[1] });
      return items;
    };
  const tags = array(text(IMAGE_TAG, 'expected an image tag'));
  return strictObject(
    value,
    [],
    issues,
    {
      version: (v, path) => {
        if (v !== REPLICATION_MESSAGE_VERSION)
          issues.push({ path, message: `expected version ${REPLICATION_MESSAGE_VERSION}` });
        return v;
      },
      eventId: text(EVENT_ID, 'expected the triggering event id (letters, digits, . _ : -)'),
      rule: text(RULE_NAME, 'expected a gated replication rule name'),
      source: optional((v, path) => strictObject(v, path, issues, { account, region })),
      repository: text(REPOSITORY_NAME, 'expected an ECR repository name'),
      digest: text(DIGEST, 'expected an image digest such as sha256:<64 hex>'),
      tags: (v, path) => (v === undefined ? [] : tags(v, path)),
      destinations: optional(array(destination, [1, 'expected at least one destination'])),
    },
    true,
  );
}
