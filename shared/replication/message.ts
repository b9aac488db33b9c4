// Namespace import: lets esbuild tree-shake zod (the `{ z }` re-export pulls in all of it, ~450 KB minified).
import * as z from 'zod';
import { accountId, awsRegion, repositoryName } from '../config/primitives';
import { replicationDestinationSchema } from '../config/schema';

/**
 * The replication queue's message: one image (by digest) to copy to one gated rule's destinations.
 * Produced by the scan-events function (its planner's `replicate` action) and by nothing else at
 * runtime; consumed by the replicator. Versioned so a queue holding old messages during a deploy
 * fails loudly instead of being misread.
 */
export const REPLICATION_MESSAGE_VERSION = 1 as const;

export const replicationMessageSchema = z.strictObject({
  version: z.literal(REPLICATION_MESSAGE_VERSION, { error: `expected version ${REPLICATION_MESSAGE_VERSION}` }),
  /** The EventBridge event id that triggered it (the scan event): the idempotency key for audit rows and alerts. */
  eventId: z.string({ error: 'expected the triggering event id' }).min(1, { error: 'expected the triggering event id' }),
  /** The gated replication rule's name (config `gatedReplication[].name`). */
  rule: z.string({ error: 'expected a rule name' }).min(1, { error: 'expected a rule name' }),
  /** Where the image lives now: a managed repository in this account and region. */
  source: z.strictObject({ account: accountId, region: awsRegion }),
  repository: repositoryName,
  digest: z.string({ error: 'expected an image digest' }).regex(/^sha256:[a-f0-9]{64}$/, {
    error: 'expected an image digest such as sha256:<64 hex>',
  }),
  /** Tags to write at each destination (the tags that matched the rule); [] copies by digest only. */
  tags: z.array(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/, { error: 'expected an image tag' })),
  destinations: z.array(replicationDestinationSchema).min(1, { error: 'expected at least one destination' }),
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
