import { REPLICATION_MESSAGE_VERSION, ReplicationMessageError } from './build-message';

// The replicator's side of the replication queue: its trust boundary. Kept apart from build-message.ts so the
// scan-events bundle, which only builds messages from validated inputs, does not ship the validator.
//
// A message is a request, never an instruction: only its identity (event, rule, repository, digest) and its
// tags are used, and only once resolve-request.ts has checked them against the compiled-in config. The
// source and destinations that senders still include are read so resolve-request.ts can compare them with
// the config (a mismatch rejects the message); other top-level keys are ignored, so newer or older senders
// keep working.
//
// Hand-written validation, no schema library: the replicator's bundle has a size and cold-start budget
// (zod/mini alone cost ~21 KB). The patterns mirror the config primitives; test/unit/replication/message.test.ts
// keeps them in step.

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

// The config's rule name grammar, and an event id as EventBridge (a UUID) or a test writes it: no text of
// a sender's choosing reaches a log line, an audit key or an alert.
const RULE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const AWS_REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;
const ACCOUNT_ID = /^\d{12}$/;
const REPOSITORY_NAME = /^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(where: string, expected: string): never {
  throw new ReplicationMessageError(`invalid replication message: ${where}: ${expected}`);
}

function text(value: unknown, pattern: RegExp, where: string, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) fail(where, expected);
  return value;
}

/** Parses an SQS body; throws ReplicationMessageError naming the first bad field and what was expected. */
export function parseReplicationMessage(body: string): ReplicationRequest {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new ReplicationMessageError('invalid replication message: expected a JSON body', { cause });
  }
  if (!isObject(value)) fail('(message)', 'expected a JSON object');
  if (value.version !== REPLICATION_MESSAGE_VERSION)
    fail('version', `expected version ${REPLICATION_MESSAGE_VERSION}`);
  const request: {
    -readonly [K in keyof ReplicationRequest]: ReplicationRequest[K];
  } = {
    version: REPLICATION_MESSAGE_VERSION,
    eventId: text(
      value.eventId,
      EVENT_ID,
      'eventId',
      'expected the triggering event id (letters, digits, . _ : -)',
    ),
    rule: text(value.rule, RULE_NAME, 'rule', 'expected a gated replication rule name'),
    repository: text(value.repository, REPOSITORY_NAME, 'repository', 'expected an ECR repository name'),
    digest: text(value.digest, DIGEST, 'digest', 'expected an image digest such as sha256:<64 hex>'),
    tags: [],
  };
  if (value.tags !== undefined) {
    if (!Array.isArray(value.tags)) fail('tags', 'expected an array of image tags');
    request.tags = value.tags.map((tag, i) => text(tag, IMAGE_TAG, `tags.${i}`, 'expected an image tag'));
  }
  const { source, destinations } = value;
  if (source !== undefined) {
    if (!isObject(source)) fail('source', 'expected {account, region}');
    request.source = {
      account: text(
        source.account,
        ACCOUNT_ID,
        'source.account',
        'expected a 12-digit AWS account id as a string',
      ),
      region: text(source.region, AWS_REGION, 'source.region', 'expected an AWS region such as eu-west-1'),
    };
  }
  if (destinations !== undefined) {
    if (!Array.isArray(destinations) || destinations.length === 0)
      fail('destinations', 'expected at least one destination');
    destinations.forEach((d, i) => isObject(d) || fail(`destinations.${i}`, 'expected a destination object'));
    request.destinations = destinations as Obj[];
  }
  return request;
}
