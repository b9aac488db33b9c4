import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { AUDIT_TABLE_KEYS, AuditStore, AuditStoreError, imageKey } from '../../shared/audit/timeline-store';
import type { AuditEntry } from '../../shared/domain/types';
import { createAuditTable, startDynalite, type DynaliteHandle } from '../support/dynalite';

const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const NOW = new Date('2026-11-20T10:00:00.000Z');

function entry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    repository: 'payments/api',
    digest: DIGEST_A,
    action: 'pushed',
    time: '2026-11-20T09:00:00Z',
    eventId: 'evt-1',
    tags: ['v1.4.2'],
    ...overrides,
  };
}

describe('AuditStore against dynalite', () => {
  let db: DynaliteHandle;
  let tableCounter = 0;
  let tableName: string;
  let store: AuditStore;

  beforeAll(async () => {
    db = await startDynalite();
  });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(async () => {
    tableCounter += 1;
    tableName = `audit-${tableCounter}`;
    await createAuditTable(db.client, tableName);
    store = new AuditStore(db.client, { tableName, retentionDays: 30, now: () => NOW });
  });

  it('writes a row once and reports a redelivery of the same event and action as a duplicate', async () => {
    // Act
    const first = await store.record(entry());
    const second = await store.record(entry({ detail: { different: true } }));

    // Assess
    expect(first).toEqual({ duplicate: false });
    expect(second).toEqual({ duplicate: true });
    const scan = await db.client.send(new ScanCommand({ TableName: tableName }));
    expect(scan.Count).toBe(1);
    expect(scan.Items?.[0].detail).toBeUndefined();
  });

  it('keeps different actions of one event and the same action of different events apart', async () => {
    // Act
    const results = [
      await store.record(entry({ action: 'pushed', eventId: 'evt-1' })),
      await store.record(entry({ action: 'tagged', eventId: 'evt-1' })),
      await store.record(entry({ action: 'pushed', eventId: 'evt-2' })),
    ];

    // Assess
    expect(results.map((r) => r.duplicate)).toEqual([false, false, false]);
    const page = await store.imageTimeline('payments/api', DIGEST_A);
    expect(page.entries).toHaveLength(3);
  });

  it('sets expiresAt to retentionDays after the write, in epoch seconds, plus the documented keys', async () => {
    // Act
    await store.record(entry());

    // Assess
    const k = AUDIT_TABLE_KEYS;
    const item = await db.client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: {
          [k.partitionKey.name]: { S: imageKey('payments/api', DIGEST_A) },
          [k.sortKey.name]: { S: '2026-11-20T09:00:00.000Z#pushed#evt-1' },
        },
      }),
    );
    expect(item.Item?.[k.timeToLiveAttribute]).toEqual({ N: String(NOW.getTime() / 1000 + 30 * 86_400) });
    expect(item.Item?.[k.repositoryIndex.partitionKey.name]).toEqual({ S: 'REPO#payments/api' });
    expect(item.Item?.[k.repositoryIndex.sortKey.name]).toEqual({
      S: `2026-11-20T09:00:00.000Z#${DIGEST_A}#pushed#evt-1`,
    });
  });

  it('returns an image timeline newest first, with follow-ups after their row and details intact', async () => {
    // Prepare
    await store.record(entry({ time: '2026-11-20T09:00:00Z', eventId: 'push' }), [
      { action: 'tagged', tags: ['v1.4', 'v1'], detail: { outcomes: { 'v1.4': 'added', v1: 'added' } } },
    ]);
    await store.record(
      entry({
        action: 'verdict',
        time: '2026-11-20T09:05:00Z',
        eventId: 'scan',
        detail: { result: 'pass', reason: 'pass: nothing above MEDIUM', findingIds: [], counts: { HIGH: 0 } },
      }),
    );
    await store.record(entry({ digest: DIGEST_B, time: '2026-11-20T09:10:00Z', eventId: 'other' }));

    // Act
    const page = await store.imageTimeline('payments/api', DIGEST_A);

    // Assess
    expect(page.nextCursor).toBeUndefined();
    expect(page.entries.map((e) => `${e.action}:${e.eventId}`)).toEqual([
      'verdict:scan',
      'pushed:push',
      'tagged:push',
    ]);
    expect(page.entries[0].detail).toEqual({
      result: 'pass',
      reason: 'pass: nothing above MEDIUM',
      findingIds: [],
      counts: { HIGH: 0 },
    });
    expect(page.entries[2]).toEqual({
      repository: 'payments/api',
      digest: DIGEST_A,
      action: 'tagged',
      time: '2026-11-20T09:00:00.000Z',
      eventId: 'push',
      tags: ['v1.4', 'v1'],
      detail: { outcomes: { 'v1.4': 'added', v1: 'added' } },
    });
  });

  it('returns a repository timeline across images, newest first, and honours since', async () => {
    // Prepare
    await store.record(entry({ time: '2026-11-19T08:00:00Z', eventId: 'old' }));
    await store.record(entry({ digest: DIGEST_B, time: '2026-11-20T08:00:00Z', eventId: 'b' }));
    await store.record(entry({ time: '2026-11-21T08:00:00Z', eventId: 'new' }));
    await store.record(
      entry({ repository: 'payments/worker', time: '2026-11-21T09:00:00Z', eventId: 'elsewhere' }),
    );

    // Act
    const all = await store.repositoryTimeline('payments/api');
    const recent = await store.repositoryTimeline('payments/api', { since: '2026-11-20T00:00:00Z' });

    // Assess
    expect(all.entries.map((e) => e.eventId)).toEqual(['new', 'b', 'old']);
    expect(recent.entries.map((e) => e.eventId)).toEqual(['new', 'b']);
    expect(recent.entries[1].digest).toBe(DIGEST_B);
  });

  it('pages through a timeline with a cursor without losing or repeating entries', async () => {
    // Prepare
    for (let i = 0; i < 7; i += 1) {
      await store.record(entry({ time: `2026-11-20T09:0${i}:00Z`, eventId: `e${i}` }));
    }

    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.imageTimeline('payments/api', DIGEST_A, { limit: 3, cursor });
      seen.push(...page.entries.map((e) => e.eventId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);

    // Assess
    expect(seen).toEqual(['e6', 'e5', 'e4', 'e3', 'e2', 'e1', 'e0']);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('withdraws a row so a retry of the event is no longer a duplicate', async () => {
    // Prepare
    await store.record(entry());

    // Act
    await store.withdraw(entry());
    const retry = await store.record(entry());

    // Assess
    expect(retry).toEqual({ duplicate: false });
  });

  it('rejects an entry whose time is not ISO-8601, naming the field', async () => {
    // Act / Assess
    await expect(store.record(entry({ time: 'yesterday' }))).rejects.toThrow(
      new AuditStoreError('time: expected an ISO-8601 time, got "yesterday"'),
    );
  });
});
