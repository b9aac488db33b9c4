import type { QuarantineRecord } from '../state/image-state';

/**
 * Releasing a quarantined image (`harbormaster release`), decided from facts read beforehand: which
 * image each removed tag names now. Pure; shared/cli/commands/release.ts reads the facts and executes.
 */

/** What to do with the tags quarantine removed. */
export interface ReleasePlan {
  /** Removed tags that name no image now: written back. */
  readonly restore: readonly string[];
  /** Removed tags already back on this image (a run that stopped after writing them): nothing to write. */
  readonly present: readonly string[];
  /** Removed tags that now name another image: left where they are, never moved back. */
  readonly skipped: readonly { readonly tag: string; readonly digest: string }[];
}

/** `named`: tag -> the digest it names now, for the removed tags that name an image. */
export function planRelease(
  quarantine: Pick<QuarantineRecord, 'removedTags' | 'keeperTag'>,
  digest: string,
  named: ReadonlyMap<string, string>,
): ReleasePlan {
  const restore: string[] = [];
  const present: string[] = [];
  const skipped: { tag: string; digest: string }[] = [];
  for (const tag of [...new Set(quarantine.removedTags)].sort()) {
    if (tag === quarantine.keeperTag) continue;
    const now = named.get(tag);
    if (now === undefined) restore.push(tag);
    else if (now === digest) present.push(tag);
    else skipped.push({ tag, digest: now });
  }
  return { restore, present, skipped };
}

/**
 * The id a release of one quarantine holds the image's lease with (and its audit row carries): the same
 * for every run of it, so a re-run completes the first and a finished release is a duplicate.
 */
export function releaseEventId(digest: string, quarantine: Pick<QuarantineRecord, 'eventId'>): string {
  return `release:${digest}:${quarantine.eventId}`;
}
