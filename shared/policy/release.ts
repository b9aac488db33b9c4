import type { QuarantineRecord, StoredVerdict } from '../state/image-state';

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

/**
 * The verdict an image holds after a release that its findings earned under the current policy (an
 * allowlist entry added since the scan): a pass naming who released it and why, so gate, promote and the
 * replicator, which read the recorded verdict, agree with the tags now on the image. The finding set is
 * the scan's, so the next scan alerts only if it changes; a later scan re-decides the image as always.
 */
export function releasedVerdict(
  recorded: StoredVerdict,
  basis: { readonly reason: string; readonly allowlisted?: readonly string[] },
  release: { readonly eventId: string; readonly time: string; readonly by: string },
): StoredVerdict {
  // highestSeverity names the highest blocking severity: none blocks now.
  const rest: { -readonly [K in keyof StoredVerdict]?: StoredVerdict[K] } = { ...recorded };
  delete rest.highestSeverity;
  return {
    ...(rest as Omit<StoredVerdict, 'highestSeverity'>),
    result: 'pass',
    reason: `${basis.reason} (released by ${release.by})`,
    topFindings: [],
    allowlisted: [...(basis.allowlisted ?? [])],
    eventId: release.eventId,
    time: release.time,
  };
}
