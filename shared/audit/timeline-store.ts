import { QueryCommand, type AttributeValue, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { AuditAction, AuditEntry } from '../domain/types';
import { fromAttributeMap, fromAttributeValue } from './attribute-values';
import {
  AUDIT_TABLE_KEYS,
  AuditStoreError,
  AuditWriter,
  imageKey,
  normalizeTime,
  PK,
  repositoryKey,
} from './writer';

// The writes live in writer.ts (all the replicator needs); re-exported so the CLI, the stacks and the tests
// keep one import for the audit trail.
export { AUDIT_TABLE_KEYS, AuditStoreError, AuditWriter, imageKey, repositoryKey } from './writer';
export type { AuditFollowUp, AuditStoreOptions, RecordResult } from './writer';

// The sort key and index names are read in AuditStore's methods only, so the function bundles (which drop
// AuditStore) do not keep them.
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 1000;

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
/** The audit trail (A6): one timeline per image and one per repository, idempotent by event id and action. */
export class AuditStore extends AuditWriter {
  /** The image's timeline, newest first. */
  async imageTimeline(repository: string, digest: string, query: TimelineQuery = {}): Promise<TimelinePage> {
    return this.page(
      {
        TableName: this.tableName,
        KeyConditionExpression: query.since ? '#pk = :pk AND #sk >= :since' : '#pk = :pk',
        ExpressionAttributeNames: {
          '#pk': PK,
          ...(query.since ? { '#sk': AUDIT_TABLE_KEYS.sortKey.name } : {}),
        },
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
        IndexName: AUDIT_TABLE_KEYS.repositoryIndex.indexName,
        KeyConditionExpression: query.since ? '#pk = :pk AND #sk >= :since' : '#pk = :pk',
        ExpressionAttributeNames: {
          '#pk': AUDIT_TABLE_KEYS.repositoryIndex.partitionKey.name,
          ...(query.since ? { '#sk': AUDIT_TABLE_KEYS.repositoryIndex.sortKey.name } : {}),
        },
        ExpressionAttributeValues: {
          ':pk': { S: repositoryKey(repository) },
          ...(query.since ? { ':since': { S: normalizeTime(query.since, 'since') } } : {}),
        },
      },
      query,
    );
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

  protected async query(input: QueryCommandInput) {
    try {
      return await this.client.send(new QueryCommand(input));
    } catch (error) {
      throw new AuditStoreError(`audit query failed${input.IndexName ? ` on ${input.IndexName}` : ''}`, {
        cause: error,
      });
    }
  }
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
