import type { GatedReplicationRule, ReplicationDestination } from '../config/schema';
import type { RuntimeConfig } from '../runtime/runtime-config';
import { matchesAnyTagPattern, matchesTagPattern } from '../config/tag-patterns';
import type { Verdict } from '../domain/types';
import { isAboveThreshold } from './severity';

/** One gated replication rule that applies to an image: where to copy it and which of its tags. */
export interface ReplicationTarget {
  readonly rule: string;
  readonly destinations: readonly ReplicationDestination[];
  /** The image's tags that match the rule's tagPatterns (written at each destination). */
  readonly tags: readonly string[];
}

/**
 * The OCI distribution spec's tag grammar (at most 128 characters). ECR accepts tags up to 300
 * characters, but registries outside AWS reject longer ones, so such tags are not replicated.
 */
const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** True when the verdict lets `rule` copy the image: it passed, and nothing it carries is above the rule's maxSeverity. */
export function verdictAllows(
  rule: GatedReplicationRule,
  verdict: Pick<Verdict, 'result' | 'highestSeverity'>,
): boolean {
  if (verdict.result !== 'pass') return false;
  return (
    verdict.highestSeverity === undefined || !isAboveThreshold(verdict.highestSeverity, rule.maxSeverity)
  );
}

/**
 * The gated replication rules (config `gatedReplication`, G1) that apply to an image of `repository`
 * with `tags` and `verdict`: repository glob matches, at least one tag matches, and the verdict allows it.
 * A failing image never replicates.
 */
export function replicationTargets(
  config: Pick<RuntimeConfig, 'gatedReplication'>,
  repository: string,
  tags: readonly string[],
  verdict: Pick<Verdict, 'result' | 'highestSeverity'>,
): ReplicationTarget[] {
  const targets: ReplicationTarget[] = [];
  for (const rule of config.gatedReplication) {
    if (!rule.repositories.some((pattern) => matchesTagPattern(repository, pattern))) continue;
    const matched = [...new Set(tags)]
      .filter((tag) => OCI_TAG.test(tag) && matchesAnyTagPattern(tag, rule.tagPatterns))
      .sort();
    if (matched.length === 0 || !verdictAllows(rule, verdict)) continue;
    targets.push({ rule: rule.name, destinations: rule.destinations, tags: matched });
  }
  return targets;
}
