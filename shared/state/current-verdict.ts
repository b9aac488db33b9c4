import { indexVerdict, isNoVerdict } from '../policy/image-decision';
import { isQuarantined, type ImageKey, type ImageState, type StoredVerdict } from './image-state';

/**
 * The verdict the automation holds for an image now, as every reader outside the scan function sees it
 * (`harbormaster gate`, `promote`, `release`, `backfill` and the replicator): the one the scan path
 * recorded in the image-state table, never one re-derived from the latest event. An index's verdict is
 * its own once decided; before that it says which platform images it waits for.
 */
export type CurrentVerdict =
  | {
      readonly kind: 'verdict';
      readonly verdict: StoredVerdict;
      /** Quarantined now (and not released since). */
      readonly quarantined: boolean;
    }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Reads the image's state with one strongly consistent GetItem. */
export async function currentVerdict(
  store: { get(key: ImageKey): Promise<ImageState> },
  key: ImageKey,
): Promise<CurrentVerdict> {
  return verdictOf(await store.get(key));
}

/** The current verdict in a state already read. */
export function verdictOf(state: ImageState): CurrentVerdict {
  const { data } = state;
  if (data.verdict) {
    return { kind: 'verdict', verdict: data.verdict, quarantined: isQuarantined(data) };
  }
  if (data.children) {
    const pending = indexVerdict(data.children, { id: '', time: '' });
    if (isNoVerdict(pending))
      return { kind: 'unavailable', reason: `multi-arch index: ${pending.undecided}` };
  }
  return {
    kind: 'unavailable',
    reason:
      state.version === 0
        ? 'no verdict recorded: the automation has not seen a scan of this image'
        : 'no verdict recorded yet: the scan result has not been decided',
  };
}
