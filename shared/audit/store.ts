import {
  DeleteItemCommand,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { AuditAction, AuditEntry, FindingSeverity } from '../domain/types';
import { fromAttributeMap, fromAttributeValue, toAttributeMap, toAttributeValue } from './attribute-values';

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

const PK = AUDIT_TABLE_KEYS.partitionKey.name;
const SK = AUDIT_TABLE_KEYS.sortKey.name;
const GSI = AUDIT_TABLE_KEYS.repositoryIndex;
const TTL = AUDIT_TABLE_KEYS.timeToLiveAttribute;
const DAY_SECONDS = 86_400;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;
/** latestVerdict/lastFindingSet read newest-first until a matching row shows up; an image has few rows, so this bound is generous. */
const MAX_VERDICT_PAGES = 5;

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

export interface TimelineQuery {
  /** Only entries at or after this time (ISO-8601). */
  readonly since?: string;
  /** Rows per page (each row is one event; its follow-ups come with it). @default 50 (at most 1000) */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
}

export interface TimelinePage {
  /** Newest first; an event's follow-up entries directly after its row. */
  readonly entries: AuditEntry[];
  /** Present when there are more entries: pass it as `cursor`. */
  readonly nextCursor?: string;
}

/** What the scan path stores on a `verdict` entry's detail (shared/policy planScanEvent). */
export interface VerdictDetail {
  readonly result: 'pass' | 'fail';
  readonly highestSeverity?: FindingSeverity;
  readonly reason: string;
  /** Every finding id of the image at this scan, sorted; absent when the verdict came from counts alone. */
  readonly findingIds?: readonly string[];
  /** Fingerprint of the finding set (shared/policy findingSetHash). */
  readonly findingSetHash?: string;
}

export interface LatestVerdict extends VerdictDetail {
  readonly eventId: string;
  readonly time: string;
}

export interface FindingSet {
  /** The event whose alert stored this set. */
  readonly eventId: string;
  readonly time: string;
  /** Every finding id at that alert; undefined when the alert was decided from counts alone. */
  readonly findingIds?: readonly string[];
  /** Fingerprint of the set (always stored with an alert). */
  readonly findingSetHash?: string;
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
 * The audit trail's writes and the one read the automation needs (A6): idempotent by event id and action.
 * The event functions use this class; AuditStore adds the timeline reads for the CLI, kept out of the
 * function bundles (DESIGN.md's bundle budget).
 */
export class AuditRecorder {
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

  /**
   * The finding set of the newest alert on the image (the `notified` entry's `findingIds` / `findingSetHash`):
   * A4 alerts again only when the set changes. Undefined when the image never alerted.
   */
  async lastFindingSet(repository: string, digest: string): Promise<FindingSet | undefined> {
    const entry = await this.newestEntry(repository, digest, 'notified');
    if (!entry) return undefined;
    const detail = (entry.detail ?? {}) as { findingIds?: unknown; findingSetHash?: unknown };
    return {
      eventId: entry.eventId,
      time: entry.time,
      ...(Array.isArray(detail.findingIds) ? { findingIds: detail.findingIds as string[] } : {}),
      ...(typeof detail.findingSetHash === 'string' ? { findingSetHash: detail.findingSetHash } : {}),
    };
  }

  /** Newest entry of one action for an image, reading newest-first with a filter on the row's action list. */
  protected async newestEntry(
    repository: string,
    digest: string,
    action: AuditAction,
  ): Promise<AuditEntry | undefined> {
    let startKey: Record<string, AttributeValue> | undefined;
    for (let page = 0; page < MAX_VERDICT_PAGES; page += 1) {
      const out = await this.query({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        FilterExpression: 'contains(#actions, :action)',
        ExpressionAttributeNames: { '#pk': PK, '#actions': 'actions' },
        ExpressionAttributeValues: { ':pk': { S: imageKey(repository, digest) }, ':action': { S: action } },
        ScanIndexForward: false,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      const first = out.Items?.[0];
      if (first) return entriesOfItem(first).find((e) => e.action === action);
      if (!out.LastEvaluatedKey) return undefined;
      startKey = out.LastEvaluatedKey;
    }
    return undefined;
  }

  protected async query(input: QueryCommandInput) {
    try {
      return await this.client.send(new QueryCommand(input));
    } catch (error) {
      throw new AuditStoreError(`audit query failed${input.IndexName ? ` on ${input.IndexName}` : ''}`, {
        cause: error,
      });
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
      [GSI.partitionKey.name]: { S: repositoryKey(entry.repository) },
      [GSI.sortKey.name]: { S: `${time}#${entry.digest}#${entry.action}#${entry.eventId}` },
      repository: { S: entry.repository },
      digest: { S: entry.digest },
      action: { S: entry.action },
      // Every action in this row (its own and its follow-ups'), so a query can filter on one action.
      actions: { L: [entry.action, ...followUps.map((f) => f.action)].map((a) => ({ S: a })) },
      time: { S: time },
      eventId: { S: entry.eventId },
      ...(entry.tags ? { tags: toAttributeValue([...entry.tags]) } : {}),
      ...(entry.detail ? { detail: { M: toAttributeMap(entry.detail) } } : {}),
      ...(followUps.length > 0
        ? {
            followUps: {
              L: followUps.map((f) => ({
                M: toAttributeMap({
                  action: f.action,
                  tags: f.tags ? [...f.tags] : undefined,
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

/** The audit trail (A6): one timeline per image and one per repository, idempotent by event id and action. */
export class AuditStore extends AuditRecorder {
  /** The image's timeline, newest first. */
  async imageTimeline(repository: string, digest: string, query: TimelineQuery = {}): Promise<TimelinePage> {
    return this.page(
      {
        TableName: this.tableName,
        KeyConditionExpression: query.since ? '#pk = :pk AND #sk >= :since' : '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK, ...(query.since ? { '#sk': SK } : {}) },
        ExpressionAttributeValues: {
          ':pk': { S: imageKey(repository, digest) },
          ...(query.since ? { ':since': { S: normalizeTime(query.since, 'since') } } : {}),
        },
      },
      query,
    );
  }

  /** Every image's entries in one repository, newest first. */
  async repositoryTimeline(repository: string, query: TimelineQuery = {}): Promise<TimelinePage> {
    return this.page(
      {
        TableName: this.tableName,
        IndexName: GSI.indexName,
        KeyConditionExpression: query.since ? '#pk = :pk AND #sk >= :since' : '#pk = :pk',
        ExpressionAttributeNames: {
          '#pk': GSI.partitionKey.name,
          ...(query.since ? { '#sk': GSI.sortKey.name } : {}),
        },
        ExpressionAttributeValues: {
          ':pk': { S: repositoryKey(repository) },
          ...(query.since ? { ':since': { S: normalizeTime(query.since, 'since') } } : {}),
        },
      },
      query,
    );
  }

  /** The newest verdict recorded for the image (by event time), or undefined when it was never judged. */
  async latestVerdict(repository: string, digest: string): Promise<LatestVerdict | undefined> {
    const entry = await this.newestEntry(repository, digest, 'verdict');
    if (!entry) return undefined;
    const detail = (entry.detail ?? {}) as Partial<VerdictDetail>;
    return {
      result: detail.result === 'fail' ? 'fail' : 'pass',
      ...(detail.highestSeverity ? { highestSeverity: detail.highestSeverity } : {}),
      reason: typeof detail.reason === 'string' ? detail.reason : '',
      ...(Array.isArray(detail.findingIds) ? { findingIds: detail.findingIds } : {}),
      ...(typeof detail.findingSetHash === 'string' ? { findingSetHash: detail.findingSetHash } : {}),
      eventId: entry.eventId,
      time: entry.time,
    };
  }

  private async page(input: QueryCommandInput, query: TimelineQuery): Promise<TimelinePage> {
    const limit = query.limit ?? DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw new AuditStoreError(`limit: expected an integer from 1 to ${MAX_LIMIT}, got ${limit}`);
    }
    const out = await this.query({
      ...input,
      ScanIndexForward: false,
      Limit: limit,
      ...(query.cursor ? { ExclusiveStartKey: decodeCursor(query.cursor) } : {}),
    });
    const entries = (out.Items ?? []).flatMap(entriesOfItem);
    return { entries, ...(out.LastEvaluatedKey ? { nextCursor: encodeCursor(out.LastEvaluatedKey) } : {}) };
  }
}

export function imageKey(repository: string, digest: string): string {
  return `IMAGE#${repository}@${digest}`;
}

export function repositoryKey(repository: string): string {
  return `REPO#${repository}`;
}

function imageSortKey(time: string, action: string, eventId: string): string {
  return `${time}#${action}#${eventId}`;
}

function normalizeTime(value: string, field = 'time'): string {
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw new AuditStoreError(`${field}: expected an ISO-8601 time, got ${JSON.stringify(value)}`);
  return new Date(ms).toISOString();
}

function primaryEntry(item: Record<string, AttributeValue>): AuditEntry {
  return {
    repository: item.repository?.S ?? '',
    digest: item.digest?.S ?? '',
    action: (item.action?.S ?? '') as AuditAction,
    time: item.time?.S ?? '',
    eventId: item.eventId?.S ?? '',
    ...(item.tags ? { tags: fromAttributeValue(item.tags) as string[] } : {}),
    ...(item.detail?.M ? { detail: fromAttributeMap(item.detail.M) } : {}),
  };
}

function entriesOfItem(item: Record<string, AttributeValue>): AuditEntry[] {
  const primary = primaryEntry(item);
  const followUps = (item.followUps?.L ?? []).map((value): AuditEntry => {
    const f = fromAttributeValue(value) as {
      action: AuditAction;
      tags?: string[];
      detail?: Record<string, unknown>;
    };
    return {
      repository: primary.repository,
      digest: primary.digest,
      time: primary.time,
      eventId: primary.eventId,
      action: f.action,
      ...(f.tags ? { tags: f.tags } : {}),
      ...(f.detail ? { detail: f.detail } : {}),
    };
  });
  return [primary, ...followUps];
}

function encodeCursor(key: Record<string, AttributeValue>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): Record<string, AttributeValue> {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, AttributeValue>;
  } catch (cause) {
    throw new AuditStoreError('cursor: expected the nextCursor of a previous page', { cause });
  }
}
