import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ReplicationDestination } from '../config/schema';
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
 * nothing and writes no new audit row or alert. Recording is an `ADD` to the set: idempotent by itself
 * (a set union), so concurrent deliveries need no condition, and it happens only after the destination's
 * copy and audit row are done.
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
