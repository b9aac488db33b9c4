import { HarbormasterError } from '../domain/errors';

// The message's shape and its builder (the scan path). The replicator parses bodies with
// parse-request.ts; the scan-events bundle does not ship that validator.

/**
 * The replication queue's message: one image (by digest) to copy to one gated rule's destinations.
 * Produced by the scan-events function (its planner's `replicate` action) and by nothing else at
 * runtime; consumed by the replicator. Versioned so a queue holding old messages during a deploy
 * fails loudly instead of being misread.
 *
 * The replicator acts only on the identity (event, rule, repository, digest) and the tags, checked against
 * its compiled-in config (resolve-request.ts). `source` and `destinations` are still sent, so a replicator of
 * the previous release reads the message during a deploy; the current one only compares them with the config.
 */
export const REPLICATION_MESSAGE_VERSION = 1 as const;

export interface EcrDestinationMessage {
  type: 'ecr';
  region: string;
  account?: string | undefined;
  /** '' when the config gives none. */
  repositoryPrefix: string;
}

export interface RegistryDestinationMessage {
  type: 'registry';
  host: string;
  /** '' when the config gives none. */
  repositoryPrefix: string;
  credentialsSecret?: string | undefined;
}

export type ReplicationMessageDestination = EcrDestinationMessage | RegistryDestinationMessage;

/** What the replicator works with once parsed. */
export interface ReplicationMessage {
  version: typeof REPLICATION_MESSAGE_VERSION;
  /** The EventBridge event id that triggered it (the scan event): the idempotency key for audit rows and alerts. */
  eventId: string;
  /** The gated replication rule's name (config `gatedReplication[].name`). */
  rule: string;
  /** Where the image lives now: a managed repository in this account and region. */
  source: { account: string; region: string };
  repository: string;
  digest: string;
  /** Tags to write at each destination (the tags that matched the rule); [] copies by digest only. */
  tags: string[];
  destinations: ReplicationMessageDestination[];
}

type WithOptionalPrefix<D> = Omit<D, 'repositoryPrefix'> & { repositoryPrefix?: string | undefined };

/** What the scan path sends (the input shape: destination prefixes may be omitted). */
export type ReplicationMessageInput = Omit<ReplicationMessage, 'destinations'> & {
  destinations: (
    WithOptionalPrefix<EcrDestinationMessage> | WithOptionalPrefix<RegistryDestinationMessage>
  )[];
};

/**
 * A queue body that is not a valid replication message, or one the config does not allow; `message` names
 * the field and what was expected. Not retryable: the same body gets the same answer.
 */
export class ReplicationMessageError extends HarbormasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicationMessageError';
  }
}

/**
 * Builds a message for the scan path: fills `version` and the destinations' default prefix. It does not
 * re-validate: every input is an already validated type (the event's id, account, region, repository and
 * digest come from the event parser, the rule and its destinations from the schema-validated config, the
 * tags from replicationTargets, which keeps only OCI-valid tags), and the replicator parses the body at its
 * own trust boundary (parse-request.ts). test/unit/replication/message.test.ts checks that what the scan
 * path builds always parses.
 */
export function buildReplicationMessage(input: Omit<ReplicationMessageInput, 'version'>): ReplicationMessage {
  return {
    version: REPLICATION_MESSAGE_VERSION,
    eventId: input.eventId,
    rule: input.rule,
    source: { account: input.source.account, region: input.source.region },
    repository: input.repository,
    digest: input.digest,
    tags: [...input.tags],
    destinations: input.destinations.map((d) => ({ ...d, repositoryPrefix: d.repositoryPrefix ?? '' })),
  };
}

/** The SQS body for a message. */
export function serializeReplicationMessage(message: ReplicationMessage): string {
  return JSON.stringify(message);
}
