import { QueryCommand, type AttributeValue, type QueryCommandInput } from '@aws-sdk/client-dynamodb';
import type { AuditAction, AuditEntry, FindingSeverity } from '../domain/types';
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
/** latestVerdict/lastFindingSet read newest-first until a matching row shows up; an image has few rows, so this bound is generous. */
const MAX_VERDICT_PAGES = 5;

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

/**
 * The audit trail's writes and the one read the automation needs (A6): idempotent by event id and action.
 * The event functions use this class; AuditStore adds the timeline reads for the CLI, kept out of the
 * function bundles (DESIGN.md's bundle budget).
 */
export class AuditRecorder extends AuditWriter {
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
}

/** The audit trail (A6): one timeline per image and one per repository, idempotent by event id and action. */
export class AuditStore extends AuditRecorder {
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
