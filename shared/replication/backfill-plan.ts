import type { GatedReplicationRule } from '../config/schema';
import { matchesAnyTagPattern } from '../config/tag-patterns';
import { verdictAllows } from '../policy/replication-match';
import type { ImageVerdict } from './image-verdict';

/** An existing image of a managed repository, as DescribeImages lists it. */
export interface ExistingImage {
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  /** The manifest media type (an index is judged by its platform images). */
  readonly mediaType?: string;
}

/** What backfill does with one image for one rule, and why. */
export type BackfillDecision =
  | { readonly action: 'copy'; readonly tags: readonly string[]; readonly reason: string }
  | { readonly action: 'skip'; readonly reason: string };

/** The image's tags a rule replicates (matching its tagPatterns), sorted; [] when none match. */
export function tagsToReplicate(rule: GatedReplicationRule, tags: readonly string[]): string[] {
  return [...new Set(tags)].filter((tag) => matchesAnyTagPattern(tag, rule.tagPatterns)).sort();
}

/**
 * The gate the scan path applies, for an image that already exists: a tag must match the rule, and the image's
 * current verdict (recorded, or from its latest scan) must pass its repository's policy and stay within the
 * rule's maxSeverity (verdictAllows, the scan path's own check), and it must not be quarantined. `verdict` is undefined when no tag matched (it is not fetched then).
 */
export function decideBackfill(
  rule: GatedReplicationRule,
  image: ExistingImage,
  verdict: ImageVerdict | undefined,
): BackfillDecision {
  const tags = tagsToReplicate(rule, image.tags);
  if (tags.length === 0) return { action: 'skip', reason: `no tag matches ${rule.tagPatterns.join(', ')}` };
  if (verdict === undefined) throw new Error('decideBackfill: a verdict is required when tags match');
  if (verdict.kind === 'unavailable') return { action: 'skip', reason: `no verdict: ${verdict.reason}` };
  // The automation never replicates a quarantined image; a copy would outlive `harbormaster release`.
  if (verdict.quarantined) return { action: 'skip', reason: `quarantined: ${verdict.verdict.reason}` };
  if (!verdictAllows(rule, verdict.verdict)) {
    const reason =
      verdict.verdict.result === 'fail'
        ? verdict.verdict.reason
        : `${verdict.verdict.highestSeverity} finding above the rule's maxSeverity ${rule.maxSeverity}`;
    return { action: 'skip', reason: `gated: ${reason}` };
  }
  return { action: 'copy', tags, reason: verdict.verdict.reason };
}
