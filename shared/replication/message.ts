// zod/mini: the replicator bundle parses only this message, and mini's functional API tree-shakes to a
// fraction of zod's size (~20 KB instead of ~100 KB). The destination shape mirrors the config's
// replicationDestinationSchema and the config primitives (importing them would pull in all of zod);
// test/unit/replication/message.test.ts keeps the two in step.
import * as z from 'zod/mini';

/**
 * The replication queue's message: one image (by digest) to copy to one gated rule's destinations.
 * Produced by the scan-events function (its planner's `replicate` action) and by nothing else at
 * runtime; consumed by the replicator. Versioned so a queue holding old messages during a deploy
 * fails loudly instead of being misread.
 */
export const REPLICATION_MESSAGE_VERSION = 1 as const;

const text = (pattern: RegExp, error: string) => z.string({ error }).check(z.regex(pattern, { error }));
const repositoryPrefix = z._default(
  text(
    /^([a-z0-9]+(?:[._-][a-z0-9]+)*\/)*$/,
    'expected a repository prefix ending in "/", such as dr/ (or "")',
  ),
  '',
);
const awsRegion = text(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, 'expected an AWS region such as eu-west-1');
const accountId = text(/^\d{12}$/, 'expected a 12-digit AWS account id as a string');

const destinationSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('ecr'),
      region: awsRegion,
      account: z.optional(accountId),
      repositoryPrefix,
    }),
    z.strictObject({
      type: z.literal('registry'),
      host: text(/^[A-Za-z0-9.-]+(:\d{1,5})?$/, 'expected a registry host such as ghcr.io'),
      repositoryPrefix,
      credentialsSecret: z.optional(
        text(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'expected a Secrets Manager secret name'),
      ),
    }),
  ],
  { error: 'expected a destination with type ecr or registry' },
);

export const replicationMessageSchema = z.strictObject({
  version: z.literal(REPLICATION_MESSAGE_VERSION, {
    error: `expected version ${REPLICATION_MESSAGE_VERSION}`,
  }),
  /** The EventBridge event id that triggered it (the scan event): the idempotency key for audit rows and alerts. */
  eventId: text(/^.+$/s, 'expected the triggering event id'),
  /** The gated replication rule's name (config `gatedReplication[].name`). */
  rule: text(/^.+$/s, 'expected a rule name'),
  /** Where the image lives now: a managed repository in this account and region. */
  source: z.strictObject({ account: accountId, region: awsRegion }),
  repository: text(
    /^(?=.{2,256}$)[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
    'expected an ECR repository name',
  ),
  digest: text(/^sha256:[a-f0-9]{64}$/, 'expected an image digest such as sha256:<64 hex>'),
  /** Tags to write at each destination (the tags that matched the rule); [] copies by digest only. */
  tags: z.array(text(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, 'expected an image tag')),
  destinations: z
    .array(destinationSchema)
    .check(z.minLength(1, { error: 'expected at least one destination' })),
});

/** What the scan path sends (the input shape: destination prefixes may be omitted). */
export type ReplicationMessageInput = z.input<typeof replicationMessageSchema>;
/** What the replicator works with once parsed. */
export type ReplicationMessage = z.output<typeof replicationMessageSchema>;

/** A queue body that is not a valid replication message; `message` names the field and what was expected. */
export class ReplicationMessageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicationMessageError';
  }
}

/** Builds a message for the scan path (fills `version`, validates everything so a bad send fails at the sender). */
export function buildReplicationMessage(input: Omit<ReplicationMessageInput, 'version'>): ReplicationMessage {
  return parseReplicationMessageObject({ ...input, version: REPLICATION_MESSAGE_VERSION });
}

/** The SQS body for a message. */
export function serializeReplicationMessage(message: ReplicationMessage): string {
  return JSON.stringify(message);
}

function parseReplicationMessageObject(value: unknown): ReplicationMessage {
  const parsed = replicationMessageSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first.path.length > 0 ? first.path.map(String).join('.') : '(message)';
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : '';
    throw new ReplicationMessageError(`invalid replication message: ${where}: ${first.message}${more}`);
  }
  return parsed.data;
}

/** Parses an SQS body; throws ReplicationMessageError naming the first bad field. */
export function parseReplicationMessage(body: string): ReplicationMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new ReplicationMessageError('invalid replication message: expected a JSON body', { cause });
  }
  return parseReplicationMessageObject(value);
}
