import { ImageBusyError, type ClaimOptions, type ClaimResult, type Lease } from './image-state-store';
import { newImageState, type ImageKey, type ImageState, type ImageStateData } from './image-state';

/**
 * The image-state store's semantics in memory (claim with a lease, versioned commit, parents), for runs
 * that must not touch AWS: `harbormaster simulate`, the bench's call counts, tests of callers.
 */
export class MemoryStateStore {
  private readonly items = new Map<
    string,
    ImageState & { lock?: { token: string; eventId: string; until: number } }
  >();
  private tokens = 0;

  constructor(initial: readonly ImageStateData[] = []) {
    for (const data of initial) this.items.set(keyOf(data), { data, parents: [], version: 1, done: [] });
  }

  async get(key: ImageKey): Promise<ImageState> {
    const item = this.items.get(keyOf(key));
    return item
      ? { data: item.data, parents: item.parents, version: item.version, done: item.done }
      : empty(key);
  }

  async claim(key: ImageKey, eventId: string, options: ClaimOptions): Promise<ClaimResult> {
    const item = this.items.get(keyOf(key)) ?? { ...empty(key) };
    if (item.done.includes(eventId)) return { status: 'duplicate' };
    if (item.lock && item.lock.until >= options.now) {
      throw new ImageBusyError(`${keyOf(key)} is being processed by event ${item.lock.eventId}`);
    }
    const token = `token-${++this.tokens}`;
    const next = {
      ...item,
      version: item.version + 1,
      lock: { token, eventId, until: options.now + options.leaseMs },
    };
    this.items.set(keyOf(key), next);
    const state = { data: next.data, parents: next.parents, version: next.version, done: next.done };
    return { status: 'claimed', lease: { key, eventId, token, version: next.version }, state };
  }

  async commit(lease: Lease, claimed: ImageState, data: ImageStateData): Promise<void> {
    const item = this.items.get(keyOf(lease.key));
    if (!item || item.lock?.token !== lease.token || item.version !== lease.version) {
      throw new ImageBusyError(`${keyOf(lease.key)} changed while event ${lease.eventId} held it`);
    }
    const done = [...claimed.done.filter((id) => id !== lease.eventId), lease.eventId].slice(-100);
    this.items.set(keyOf(lease.key), { data, parents: item.parents, version: item.version + 1, done });
  }

  async checkpoint(lease: Lease, data: ImageStateData): Promise<void> {
    const item = this.items.get(keyOf(lease.key));
    if (!item || item.lock?.token !== lease.token || item.version !== lease.version) {
      throw new ImageBusyError(`${keyOf(lease.key)} changed while event ${lease.eventId} held it`);
    }
    this.items.set(keyOf(lease.key), { ...item, data });
  }

  async release(lease: Lease): Promise<void> {
    const item = this.items.get(keyOf(lease.key));
    if (item?.lock?.token === lease.token) this.items.set(keyOf(lease.key), { ...item, lock: undefined });
  }

  async addParent(child: ImageKey, parent: string): Promise<ImageState> {
    const item = this.items.get(keyOf(child)) ?? { ...empty(child) };
    const next = {
      ...item,
      parents: [...new Set([...item.parents, parent])].sort(),
      version: item.version + 1,
    };
    this.items.set(keyOf(child), next);
    return { data: next.data, parents: next.parents, version: next.version, done: next.done };
  }
}

function keyOf(key: ImageKey): string {
  return `${key.repository}@${key.digest}`;
}

function empty(key: ImageKey): ImageState {
  return { data: newImageState(key), parents: [], version: 0, done: [] };
}
