import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import type { ReplicationDestination } from '../config/schema';
import { HarbormasterError } from '../domain/errors';
import { destinationLabel } from './destination-ref';
import type { ReplicationJob } from './resolve-request';

/**
 * What gated replication has already written, per (rule, image): one item in the image-state table,
 * `pk` = `REPLICATION#<rule>#<repository>@<digest>` (beside the `IMAGE#` items, which the replicator only
 * reads; its role may write only keys starting with `REPLICATION#`), holding a string set `done` of
 * `<destination>` (the image is there by digest) and `<destination>:<tag>` (the tag is written there).
 *
 * A destination whose entries are all in `done` is skipped without registry traffic, so a second message
 * for the same (rule, digest, destination) — a duplicate delivery, a re-scan that passes again — copies
 * nothing and writes no new audit row or alert. Recording is an `ADD` to the set (idempotent: a set union),
 * and happens only after the destination's copy and audit row are done.
 *
 * Copies of one (rule, image) run one at a time: `claim` takes the item's lease with a conditional write (a
 * lock with an expiry, so a replicator that dies lets it run out), and a second delivery arriving meanwhile
 * fails with ReplicationBusyError and is retried after the visibility timeout, when it finds the work done.
 */
export class ReplicationLedger {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** The entries already done for the job's rule and image (one strongly consistent GetItem). */
  async done(job: ReplicationJob): Promise<ReadonlySet<string>> {
    const output = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: ledgerKey(job) } },
        ConsistentRead: true,
        ProjectionExpression: 'done',
      }),
    );
    return new Set(output.Item?.done?.SS ?? []);
  }

  /**
   * Takes the lease for the job's rule and image until `until` (epoch ms); returns what is already done, read
   * in the same write. Throws ReplicationBusyError while another delivery holds a live lease.
   */
  async claim(job: ReplicationJob, now: number, until: number): Promise<LedgerLease> {
    const token = randomUUID();
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: ledgerKey(job) } },
          UpdateExpression: 'SET #lease = :lease',
          ConditionExpression: 'attribute_not_exists(#lease) OR #lease.#until < :now',
          ExpressionAttributeNames: { '#lease': 'lease', '#until': 'until' },
          ExpressionAttributeValues: {
            ':lease': {
              M: { token: { S: token }, until: { N: String(until) }, eventId: { S: job.eventId } },
            },
            ':now': { N: String(now) },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { token, done: new Set(out.Attributes?.done?.SS ?? []) };
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      throw new ReplicationBusyError(
        `${job.repository}@${job.digest} is being replicated for rule ${job.rule} by another delivery; retried later`,
      );
    }
  }

  /** Drops the lease if this delivery still holds it (a lease taken over after expiry is left alone). */
  async release(job: ReplicationJob, lease: LedgerLease): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: { S: ledgerKey(job) } },
          UpdateExpression: 'REMOVE #lease',
          ConditionExpression: '#lease.#token = :token',
          ExpressionAttributeNames: { '#lease': 'lease', '#token': 'token' },
          ExpressionAttributeValues: { ':token': { S: lease.token } },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  /** Adds a destination's entries (after its copy and audit row). */
  async record(job: ReplicationJob, destination: ReplicationDestination): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: { S: ledgerKey(job) } },
        UpdateExpression: 'ADD done :entries',
        ExpressionAttributeValues: { ':entries': { SS: ledgerEntries(job, destination) } },
      }),
    );
  }
}

/** Proof of holding a ledger item's lease, with the entries done when it was taken. */
export interface LedgerLease {
  readonly token: string;
  readonly done: ReadonlySet<string>;
}

/** Another delivery is copying the same rule and image now. Retryable: the retry finds the work done. */
export class ReplicationBusyError extends HarbormasterError {
  constructor(message: string) {
    super(message, { retryable: true });
    this.name = 'ReplicationBusyError';
  }
}

/** The ledger item's key. */
export function ledgerKey(job: Pick<ReplicationJob, 'rule' | 'repository' | 'digest'>): string {
  return `REPLICATION#${job.rule}#${job.repository}@${job.digest}`;
}

/** What a destination must have for the job to be done there: the image, and each of the job's tags. */
export function ledgerEntries(job: ReplicationJob, destination: ReplicationDestination): string[] {
  const where = destinationLabel(destination, job.source, job.repository);
  return [where, ...job.tags.map((tag) => `${where}:${tag}`)];
}

/** The job's destinations that still need a copy (pure). */
export function pendingDestinations(
  job: ReplicationJob,
  done: ReadonlySet<string>,
): ReplicationDestination[] {
  return job.destinations.filter((d) => !ledgerEntries(job, d).every((entry) => done.has(entry)));
}
