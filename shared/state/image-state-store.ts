import {
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { HarbormasterError } from '../domain/errors';
import { fromAttributeMap, fromAttributeValue, toAttributeMap } from '../audit/attribute-values';
import { type ImageKey, type ImageState, type ImageStateData, newImageState } from './image-state';

/**
 * The image-state table: one item per image digest (`pk` = `IMAGE#<repository>@<digest>`), changed only
 * with conditional writes.
 *
 * - `claim` takes the item's lease for one event (a lock with an expiry) and returns the state in the same
 *   call. While the lease runs no other event may change the image, so concurrent events for one image
 *   serialize; a holder that dies simply lets the lease run out, and the redelivery takes it over.
 * - `commit` writes the new state, marks the event done and drops the lease, only if the holder still
 *   holds it and nothing else wrote the item since the claim (`version`).
 * - An event id in `done` (the last DONE_KEPT events) makes a later delivery a duplicate.
 */
export const STATE_TABLE_KEYS = { partitionKey: { name: 'pk', type: 'S' } } as const;

const PK = 'pk';
/** How many completed event ids an item remembers: far more than the events one image gets in a retry window. */
const DONE_KEPT = 100;

/** A state read or write failed for a reason other than a lost race. */
export class ImageStateError extends HarbormasterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageStateError';
  }
}

/**
 * Another event holds the image's lease, or wrote the image since this event's claim. Retryable: the
 * record goes back to its queue and is redelivered after the visibility timeout, when the holder is done.
 */
export class ImageBusyError extends HarbormasterError {
  constructor(message: string) {
    super(message, { retryable: true });
    this.name = 'ImageBusyError';
  }
}

export type ClaimResult =
  | { readonly status: 'claimed'; readonly lease: Lease; readonly state: ImageState }
  | { readonly status: 'duplicate' };

/** Proof of holding an image's lease: pass it to commit or release. */
export interface Lease {
  readonly key: ImageKey;
  readonly eventId: string;
  readonly token: string;
  /** The item's version right after the claim. */
  readonly version: number;
}

export interface ClaimOptions {
  /** Now, epoch milliseconds (the caller's clock). */
  readonly now: number;
  /** How long the lease holds: longer than the function can run, shorter than the queue's visibility timeout. */
  readonly leaseMs: number;
}

export function imageStateKey(key: ImageKey): string {
  return `IMAGE#${key.repository}@${key.digest}`;
}

function label(key: ImageKey): string {
  return `${key.repository}@${key.digest}`;
}

function isConditionFailure(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

function decode(key: ImageKey, item: Record<string, AttributeValue> | undefined): ImageState {
  if (!item) return { data: newImageState(key), parents: [], version: 0, done: [] };
  return {
    data: item.state?.M ? (fromAttributeMap(item.state.M) as unknown as ImageStateData) : newImageState(key),
    parents: item.parents ? (fromAttributeValue(item.parents) as string[]).sort() : [],
    version: item.version?.N ? Number(item.version.N) : 0,
    done: item.done ? (fromAttributeValue(item.done) as string[]) : [],
  };
}

export class ImageStateStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Lease tokens; injectable so tests can name them. */
    private readonly newToken: () => string = randomUUID,
  ) {
    if (!tableName) throw new ImageStateError('ImageStateStore: tableName is required');
  }

  /** The image's state (a strongly consistent read); an empty state when the image is unknown. */
  async get(key: ImageKey): Promise<ImageState> {
    return decode(key, await this.readItem(key));
  }

  /**
   * Takes the image's lease for `eventId`. Resolves `duplicate` when the event is already done; throws
   * ImageBusyError when another live event holds the lease.
   */
  async claim(key: ImageKey, eventId: string, options: ClaimOptions): Promise<ClaimResult> {
    const token = this.newToken();
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [PK]: { S: imageStateKey(key) } },
          UpdateExpression: 'SET #lock = :lock, #version = if_not_exists(#version, :zero) + :one',
          ConditionExpression:
            '(attribute_not_exists(#lock) OR #lock.#until < :now) AND NOT contains(#done, :event)',
          ExpressionAttributeNames: {
            '#lock': 'lock',
            '#until': 'until',
            '#version': 'version',
            '#done': 'done',
          },
          ExpressionAttributeValues: {
            ':lock': {
              M: toAttributeMap({ token, eventId, until: options.now + options.leaseMs }),
            },
            ':now': { N: String(options.now) },
            ':event': { S: eventId },
            ':zero': { N: '0' },
            ':one': { N: '1' },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const state = decode(key, out.Attributes);
      return { status: 'claimed', lease: { key, eventId, token, version: state.version }, state };
    } catch (error) {
      if (!isConditionFailure(error)) {
        throw new ImageStateError(`claim of ${label(key)} failed`, { cause: error });
      }
    }
    // The condition failed: done already, or leased by another event. One read tells which.
    const item = await this.readItem(key);
    if (decode(key, item).done.includes(eventId)) return { status: 'duplicate' };
    const holder = item?.lock?.M?.eventId?.S ?? 'another event';
    throw new ImageBusyError(
      `${label(key)} is being processed by event ${holder}; this event will be retried once that finishes`,
    );
  }

  /**
   * Writes `data`, marks the lease's event done and drops the lease. Throws ImageBusyError when the lease
   * was lost or the item was written since the claim (nothing is written then; the event is retried).
   */
  async commit(lease: Lease, claimed: ImageState, data: ImageStateData): Promise<void> {
    const kept = [...claimed.done.filter((id) => id !== lease.eventId), lease.eventId].slice(-DONE_KEPT);
    await this.updateHeld(lease, 'commit', data, {
      set: '#done = :done, #version = #version + :one',
      remove: ' REMOVE #lock',
      names: { '#done': 'done' },
      values: { ':done': { L: kept.map((id) => ({ S: id })) }, ':one': { N: '1' } },
    });
  }

  /**
   * Writes `data` while the lease is held, before an effect that cannot be read back afterwards (quarantine's
   * tag removal). The lease stays and the version is unchanged, so the holder's commit still applies; throws
   * ImageBusyError when the lease was lost or the item was written since the claim.
   */
  async checkpoint(lease: Lease, data: ImageStateData): Promise<void> {
    await this.updateHeld(lease, 'checkpoint', data);
  }

  /** Writes the state (and `extra`) only while `lease` holds the item unchanged since its claim. */
  private async updateHeld(
    lease: Lease,
    what: string,
    data: ImageStateData,
    extra: {
      set?: string;
      remove?: string;
      names?: Record<string, string>;
      values?: Record<string, AttributeValue>;
    } = {},
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [PK]: { S: imageStateKey(lease.key) } },
          UpdateExpression: `SET #state = :state${extra.set ? `, ${extra.set}` : ''}${extra.remove ?? ''}`,
          ConditionExpression: '#lock.#token = :token AND #version = :version',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#version': 'version',
            '#lock': 'lock',
            '#token': 'token',
            ...extra.names,
          },
          ExpressionAttributeValues: {
            ':state': { M: toAttributeMap(data as unknown as Record<string, unknown>) },
            ':token': { S: lease.token },
            ':version': { N: String(lease.version) },
            ...extra.values,
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ImageBusyError(
          `${label(lease.key)} changed while event ${lease.eventId} held it; the event will be retried`,
        );
      }
      throw new ImageStateError(`${what} of ${label(lease.key)} failed`, { cause: error });
    }
  }

  /** Drops a lease without writing (after a failure), so the retry need not wait for it to expire. Best effort. */
  async release(lease: Lease): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [PK]: { S: imageStateKey(lease.key) } },
          UpdateExpression: 'REMOVE #lock',
          ConditionExpression: '#lock.#token = :token',
          ExpressionAttributeNames: { '#lock': 'lock', '#token': 'token' },
          ExpressionAttributeValues: { ':token': { S: lease.token } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error))
        throw new ImageStateError(`release of ${label(lease.key)} failed`, { cause: error });
    }
  }

  /**
   * Records that `child` is a platform manifest of index `parent`, and returns the child's state. The
   * write bumps the child's version, so a scan of the child that claimed it before this write cannot
   * commit a verdict the index would never see: it is retried and then finds its parent.
   */
  async addParent(child: ImageKey, parent: string): Promise<ImageState> {
    const out = await orFail(
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { [PK]: { S: imageStateKey(child) } },
          UpdateExpression: 'ADD #parents :parent SET #version = if_not_exists(#version, :zero) + :one',
          ExpressionAttributeNames: { '#parents': 'parents', '#version': 'version' },
          ExpressionAttributeValues: { ':parent': { SS: [parent] }, ':zero': { N: '0' }, ':one': { N: '1' } },
          ReturnValues: 'ALL_NEW',
        }),
      ),
      `parent write of ${label(child)}`,
    );
    return decode(child, out.Attributes);
  }

  private async readItem(key: ImageKey): Promise<Record<string, AttributeValue> | undefined> {
    return readStateItem(this.client, this.tableName, key);
  }
}

/**
 * The image's state, read without the store (a strongly consistent GetItem): for a reader that never
 * writes, such as the replicator, whose bundle then leaves the store's writes out.
 */
export async function readImageState(
  client: DynamoDBClient,
  tableName: string,
  key: ImageKey,
): Promise<ImageState> {
  return decode(key, await readStateItem(client, tableName, key));
}

async function readStateItem(
  client: DynamoDBClient,
  tableName: string,
  key: ImageKey,
): Promise<Record<string, AttributeValue> | undefined> {
  const out = await orFail(
    client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { [PK]: { S: imageStateKey(key) } },
        ConsistentRead: true,
      }),
    ),
    `read of ${label(key)}`,
  );
  return out.Item;
}

async function orFail<T>(sent: Promise<T>, what: string): Promise<T> {
  try {
    return await sent;
  } catch (error) {
    throw new ImageStateError(`image state ${what} failed`, { cause: error });
  }
}
