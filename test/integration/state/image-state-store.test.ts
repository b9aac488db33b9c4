import { ImageBusyError, ImageStateStore } from '../../../shared/state/image-state-store';
import { createStateTable, startDynalite, type DynaliteHandle } from '../../support/dynalite';

const IMAGE = { repository: 'payments/api', digest: `sha256:${'a'.repeat(64)}` };
const NOW = Date.parse('2026-12-01T10:00:00Z');
const LEASE = { now: NOW, leaseMs: 60_000 };

let db: DynaliteHandle;
let store: ImageStateStore;
let table = 0;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.close());
beforeEach(async () => {
  // Prepare: a fresh table per test, and lease tokens named in order.
  table += 1;
  await createStateTable(db.client, `state-${table}`);
  let n = 0;
  store = new ImageStateStore(db.client, `state-${table}`, () => `token-${++n}`);
});

describe('ImageStateStore against dynalite', () => {
  it('claims an unknown image, commits its state and then treats the same event as a duplicate', async () => {
    // Act
    const claim = await store.claim(IMAGE, 'event-1', LEASE);
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    await store.commit(claim.lease, claim.state, { ...claim.state.data, mediaType: 'm' });
    const again = await store.claim(IMAGE, 'event-1', LEASE);

    // Assess
    expect(claim.state).toEqual({ data: IMAGE, parents: [], version: 1, done: [] });
    expect(again).toEqual({ status: 'duplicate' });
    expect(await store.get(IMAGE)).toEqual({
      data: { ...IMAGE, mediaType: 'm' },
      parents: [],
      version: 2,
      done: ['event-1'],
    });
  });

  it('refuses a second event while the lease runs, and hands it over once the lease has expired', async () => {
    // Prepare
    const first = await store.claim(IMAGE, 'event-1', LEASE);

    // Act + Assess: during the lease
    await expect(store.claim(IMAGE, 'event-2', { ...LEASE, now: NOW + 59_999 })).rejects.toThrow(
      new ImageBusyError(
        `${IMAGE.repository}@${IMAGE.digest} is being processed by event event-1; this event will be retried once that finishes`,
      ),
    );
    // After it (the holder died): taken over, and the dead holder can no longer commit.
    const second = await store.claim(IMAGE, 'event-2', { ...LEASE, now: NOW + 60_001 });
    expect(second.status).toBe('claimed');
    if (first.status !== 'claimed' || second.status !== 'claimed') throw new Error('expected claims');
    await expect(store.commit(first.lease, first.state, first.state.data)).rejects.toBeInstanceOf(
      ImageBusyError,
    );
    await store.commit(second.lease, second.state, second.state.data);
    expect((await store.get(IMAGE)).done).toEqual(['event-2']);
  });

  it('a redelivery of the same event during its own lease is retried later, not run twice', async () => {
    // Prepare
    await store.claim(IMAGE, 'event-1', LEASE);

    // Act + Assess
    await expect(store.claim(IMAGE, 'event-1', LEASE)).rejects.toBeInstanceOf(ImageBusyError);
  });

  it('a parent written after the claim makes the commit fail, so the scan is redone with its parent known', async () => {
    // Prepare
    const claim = await store.claim(IMAGE, 'scan-1', LEASE);
    if (claim.status !== 'claimed') throw new Error('expected a claim');

    // Act
    const child = await store.addParent(IMAGE, 'sha256:index');

    // Assess
    expect(child.parents).toEqual(['sha256:index']);
    await expect(store.commit(claim.lease, claim.state, claim.state.data)).rejects.toBeInstanceOf(
      ImageBusyError,
    );
    await store.release(claim.lease);
    const retry = await store.claim(IMAGE, 'scan-1', LEASE);
    expect(retry.status === 'claimed' && retry.state.parents).toEqual(['sha256:index']);
  });

  it('of 10 concurrent claims for one image exactly one wins', async () => {
    // Act
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => store.claim(IMAGE, `event-${i}`, LEASE)),
    );

    // Assess
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof ImageBusyError)).toHaveLength(
      9,
    );
  });

  it('keeps the newest 100 event ids', async () => {
    // Act
    for (let i = 0; i < 105; i += 1) {
      const claim = await store.claim(IMAGE, `event-${i}`, LEASE);
      if (claim.status !== 'claimed') throw new Error('expected a claim');
      await store.commit(claim.lease, claim.state, claim.state.data);
    }

    // Assess
    const { done } = await store.get(IMAGE);
    expect(done).toHaveLength(100);
    expect(done[0]).toBe('event-5');
    expect(done[99]).toBe('event-104');
  });
});
