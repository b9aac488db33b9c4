import type { ImageKey, ImageState } from '../state/image-state';
import type { ClaimOptions, ImageStateStore, Lease } from '../state/image-state-store';
import type { AutomationLog } from './execute-plan';

/**
 * Runs `work` holding the image's lease for one event (shared/state). `duplicate` when the event is already
 * done; a live lease of another event throws ImageBusyError (retried later). A failure drops the lease so
 * the retry need not wait for it to expire; `work` commits when its effects are done.
 */
export async function withLease<T>(
  store: Pick<ImageStateStore, 'claim' | 'release'>,
  key: ImageKey,
  eventId: string,
  options: ClaimOptions & { readonly log: AutomationLog },
  work: (lease: Lease, state: ImageState) => Promise<T>,
): Promise<T | 'duplicate'> {
  const claim = await store.claim(key, eventId, options);
  if (claim.status === 'duplicate') return 'duplicate';
  try {
    return await work(claim.lease, claim.state);
  } catch (error) {
    await store.release(claim.lease).catch((releaseError: unknown) =>
      options.log.warn('could not drop the lease; the retry waits for it to expire', {
        eventId,
        reason: (releaseError as Error).message,
      }),
    );
    throw error;
  }
}
