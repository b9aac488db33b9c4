import type { CreationTemplateConfig, HarbormasterConfig, RepositoryConfig } from '../schema';
import { derivedTagExamples, isImmutable } from './auto-tag-immutability';
import type { ConfigCheck, ConfigProblem } from './types';

/** The native replication rule (index) that replicates `name`, if any. */
function replicatingRule(config: HarbormasterConfig, name: string): number | undefined {
  const index = (config.replication?.rules ?? []).findIndex(
    (rule) =>
      rule.destinations.length > 0 && (rule.repositoryPrefixes?.some((p) => name.startsWith(p)) ?? true),
  );
  return index >= 0 ? index : undefined;
}

/** The REPLICATION template ECR applies to a replica named `name`: the longest matching prefix, else ROOT. */
export function replicationTemplateFor(
  templates: readonly CreationTemplateConfig[],
  name: string,
): CreationTemplateConfig | undefined {
  const candidates = templates.filter((t) => t.appliedFor.includes('REPLICATION'));
  const prefixed = candidates
    .filter((t) => t.prefix !== 'ROOT' && name.startsWith(`${t.prefix.replace(/\/$/, '')}/`))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  return prefixed[0] ?? candidates.find((t) => t.prefix === 'ROOT');
}

/** Tags a repository moves from image to image: auto-tag families and promotion tags, with their field. */
function movingTags(
  repo: RepositoryConfig,
  i: number,
): { field: string; label: string; examples: string[] }[] {
  return [
    ...repo.autoTag.flatMap((rule, j) =>
      derivedTagExamples(rule).map((f) => ({ field: `repositories[${i}].autoTag[${j}]`, ...f })),
    ),
    ...repo.scan.promoteTo.map((tag, k) => ({
      field: `repositories[${i}].scan.promoteTo[${k}]`,
      label: tag,
      examples: [tag],
    })),
  ];
}

/**
 * Native replication replays every tag move of the source in the replica, which its REPLICATION creation
 * template shapes: a tag that moves in the source (auto-tag, promotion) must be mutable there too, or the
 * replica's moving tags freeze at the first image.
 */
export const creationTemplateMovingTags: ConfigCheck = (config) =>
  config.creationTemplates.flatMap((template, t) =>
    config.repositories.flatMap((repo, i): ConfigProblem[] => {
      const rule = replicatingRule(config, repo.name);
      if (rule === undefined || replicationTemplateFor(config.creationTemplates, repo.name) !== template)
        return [];
      const stuck = movingTags(repo, i).filter((m) => m.examples.some((tag) => isImmutable(tag, template)));
      if (stuck.length === 0) return [];
      const example = stuck[0].examples.find((tag) => isImmutable(tag, template));
      const how =
        template.tagMutability === 'IMMUTABLE'
          ? 'every tag is immutable'
          : template.tagMutability === 'MUTABLE_WITH_EXCLUSION'
            ? `"${example}" matches an exclusion filter`
            : `"${example}" matches no exclusion filter`;
      const tags = stuck.map((m) => `${m.label} (${m.field})`).join(', ');
      return [
        {
          path: ['creationTemplates', t, 'tagMutability'],
          message: `expected the tags ${repo.name} moves to be mutable in its replicas (replication.rules[${rule}]): ${tags}; under tagMutability ${template.tagMutability} ${how}`,
        },
      ];
    }),
  );
