import {
  DeleteItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { AuditAction, AuditEntry } from '../domain/types';
import { toAttributeMap, toAttributeValue } from './attribute-values';

/**
 * The audit table's key schema, shared with the stack that creates the table so both agree.
 *
 * - Image timeline: partition `IMAGE#<repository>@<digest>`, sort `<time>#<action>#<eventId>`.
 * - Repository timeline (GSI `byRepository`): partition `REPO#<repository>`, sort `<time>#<digest>#<action>#<eventId>`.
 * - TTL: `expiresAt`, epoch seconds, `audit.retentionDays` after the row is written.
 *
 * Every key attribute is a string. Times are ISO-8601 UTC (`toISOString()`), so string order is time order.
 */
export const AUDIT_TABLE_KEYS = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  repositoryIndex: {
    indexName: 'byRepository',
    partitionKey: { name: 'gsi1pk', type: 'S' },
    sortKey: { name: 'gsi1sk', type: 'S' },
    /** The index holds whole rows so a repository timeline needs no second read. */
    projection: 'ALL',
  },
  timeToLiveAttribute: 'expiresAt',
} as const;

// The attribute names the writes use, as plain constants: the functions then do not ship the whole key
// schema object (its types, index name and projection are for the stack). test/unit/audit keeps them in step.
export const PK = 'pk';
const SK = 'sk';
const GSI_PK = 'gsi1pk';
const GSI_SK = 'gsi1sk';
const TTL = 'expiresAt';
const DAY_SECONDS = 86_400;

/** Another action the same event caused, stored on the event's row (one conditional write per event) and read back as its own entry. */
export interface AuditFollowUp {
  readonly action: AuditAction;
  readonly tags?: readonly string[];
  readonly detail?: Record<string, unknown>;
}

export interface RecordResult {
  /** True when a row with the same event id and action already exists: the caller must do nothing else for the event. */
  readonly duplicate: boolean;
}

export interface AuditStoreOptions {
  readonly tableName: string;
  /** `audit.retentionDays` from the config. */
  readonly retentionDays: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** A read or write of the audit table failed for a reason other than a duplicate. */
export class AuditStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditStoreError';
  }
}

/**
 * The audit trail's writes (A6), idempotent by event id and action. The replicator needs nothing more;
 * AuditStore (timeline-store.ts) adds the CLI's timeline reads, so the function bundles ship none of them
 * (DESIGN.md's bundle budget).
 */
export class AuditWriter {
  protected readonly tableName: string;
  private readonly retentionDays: number;
  private readonly now: () => Date;

  constructor(
    protected readonly client: DynamoDBClient,
    options: AuditStoreOptions,
  ) {
    if (!options.tableName) throw new AuditStoreError('AuditStore: tableName is required');
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
      throw new AuditStoreError(
        `AuditStore: retentionDays must be a positive integer, got ${options.retentionDays}`,
      );
    }
    this.tableName = options.tableName;
    this.retentionDays = options.retentionDays;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Writes one row with a conditional put keyed by (image, time, action, eventId). `entry.time` must be the
   * event's own time (not the clock) so a redelivery builds the same key and is reported as `{ duplicate: true }`
   * with nothing written. `followUps` are the other actions the same event caused, written in the same item.
   */
  async record(entry: AuditEntry, followUps: readonly AuditFollowUp[] = []): Promise<RecordResult> {
    const item = this.toItem(entry, followUps);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return { duplicate: false };
    } catch (error) {
      if ((error as Error | undefined)?.name === 'ConditionalCheckFailedException')
        return { duplicate: true };
      throw new AuditStoreError(
        `audit write failed for ${entry.action} of ${entry.repository}@${entry.digest}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * Removes a row written by `record`: the automation calls it when an action after the write failed, so the
   * queue's retry is not mistaken for a duplicate and redoes the work.
   */
  async withdraw(
    entry: Pick<AuditEntry, 'repository' | 'digest' | 'action' | 'time' | 'eventId'>,
  ): Promise<void> {
    try {
      await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: {
            [PK]: { S: imageKey(entry.repository, entry.digest) },
            [SK]: { S: imageSortKey(normalizeTime(entry.time), entry.action, entry.eventId) },
          },
        }),
      );
    } catch (error) {
      throw new AuditStoreError(
        `audit withdraw failed for ${entry.action} of ${entry.repository}@${entry.digest}`,
        {
          cause: error,
        },
      );
    }
  }

  private toItem(entry: AuditEntry, followUps: readonly AuditFollowUp[]): Record<string, AttributeValue> {
    for (const field of ['repository', 'digest', 'action', 'eventId'] as const) {
      if (!entry[field]) throw new AuditStoreError(`audit entry: ${field} is required`);
    }
    const time = normalizeTime(entry.time, 'time');
    const expiresAt = Math.floor(this.now().getTime() / 1000) + this.retentionDays * DAY_SECONDS;
    return {
      [PK]: { S: imageKey(entry.repository, entry.digest) },
      [SK]: { S: imageSortKey(time, entry.action, entry.eventId) },
      [GSI_PK]: { S: repositoryKey(entry.repository) },
      [GSI_SK]: { S: `${time}#${entry.digest}#${entry.action}#${entry.eventId}` },
      repository: { S: entry.repository },
      digest: { S: entry.digest },
      action: { S: entry.action },
      // Every action in this row (its own and its follow-ups'), so a query can filter on one action.
      actions: { L: [entry.action, ...followUps.map((f) => f.action)].map((a) => ({ S: a })) },
      time: { S: time },
      eventId: { S: entry.eventId },
      ...(entry.tags ? { tags: toAttributeValue(entry.tags) } : {}),
      ...(entry.detail ? { detail: { M: toAttributeMap(entry.detail) } } : {}),
      ...(followUps.length > 0
        ? {
            followUps: {
              L: followUps.map((f) => ({
                M: toAttributeMap({
                  action: f.action,
                  tags: f.tags,
                  detail: f.detail,
                }),
              })),
            },
          }
        : {}),
      [TTL]: { N: String(expiresAt) },
    };
  }
}

export function imageKey(repository: string, digest: string): string {
  return `IMAGE#${repository}@${digest}`;
}

export function repositoryKey(repository: string): string {
  return `REPO#${repository}`;
}

export function imageSortKey(time: string, action: string, eventId: string): string {
  return `${time}#${action}#${eventId}`;
}

export function normalizeTime(value: string, field = 'time'): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new AuditStoreError(`${field}: expected an ISO-8601 time, got ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}
