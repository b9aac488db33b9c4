import type { AutoTagRule, RepositoryConfig } from '../schema';
import { matchesAnyTagPattern } from '../tag-patterns';
import type { ConfigCheck, ConfigProblem } from './types';

/**
 * Example tags an auto-tag rule derives and later moves to a newer image. A derived tag counts as
 * mutable only when every example is mutable, so a filter such as `v1.*` (which covers v1.4 but
 * not v2.0 or v12.3) does not pass for the whole family.
 */
export function derivedTagExamples(rule: AutoTagRule): { label: string; examples: string[] }[] {
  if (rule.type === 'semver') {
    const p = rule.prefix;
    const families = [
      { label: `${p}<major>.<minor>`, examples: [`${p}1.4`, `${p}0.0`, `${p}12.345`, `${p}2024.10`] },
      { label: `${p}<major>`, examples: [`${p}1`, `${p}0`, `${p}12`, `${p}2024`] },
    ];
    if (rule.latest) families.push({ label: 'latest', examples: ['latest'] });
    return families;
  }
  // A template holding the digest names one image forever: it never moves.
  if (rule.tag.includes('{digest12}')) return [];
  const pieces = ['abc123', '7f3e9a1', 'x', '1.4.2'];
  const examples = pieces.map((piece) =>
    rule.tag.replaceAll('{match}', piece).replaceAll('{tag}', rule.match.replaceAll('*', piece)),
  );
  return [{ label: rule.tag, examples }];
}

/** True when ECR would refuse to move `tag` in this repository. */
export function isImmutable(
  tag: string,
  repo: Pick<RepositoryConfig, 'tagMutability' | 'mutabilityExclusions'>,
): boolean {
  switch (repo.tagMutability) {
    case 'MUTABLE':
      return false;
    case 'IMMUTABLE':
      return true;
    case 'IMMUTABLE_WITH_EXCLUSION':
      return !matchesAnyTagPattern(tag, repo.mutabilityExclusions);
    case 'MUTABLE_WITH_EXCLUSION':
      return matchesAnyTagPattern(tag, repo.mutabilityExclusions);
  }
}

/**
 * DESIGN R3: synth fails if an auto-tag rule would move a tag that is immutable, because ECR would
 * reject every move after the first and the rule would silently stop working.
 */
export const autoTagImmutability: ConfigCheck = (config) =>
  config.repositories.flatMap((repo, i) =>
    repo.autoTag.flatMap((rule, j): ConfigProblem[] => {
      const stuckFamilies = derivedTagExamples(rule).filter(({ examples }) =>
        examples.some((tag) => isImmutable(tag, repo)),
      );
      if (stuckFamilies.length === 0) return [];
      const labels = stuckFamilies.map((f) => f.label);
      const stuck = stuckFamilies[0].examples.find((tag) => isImmutable(tag, repo));
      const how =
        repo.tagMutability === 'IMMUTABLE'
          ? 'every tag is immutable'
          : repo.tagMutability === 'MUTABLE_WITH_EXCLUSION'
            ? `"${stuck}" matches an exclusion filter, which makes it immutable`
            : `"${stuck}" matches no exclusion filter`;
      return [
        {
          path: ['repositories', i, 'autoTag', j],
          message: `expected the moving ${labels.length > 1 ? 'tags' : 'tag'} ${labels.join(', ')} to be mutable under tagMutability ${repo.tagMutability}, but ${how}`,
        },
      ];
    }),
  );
