import { MAX_WILDCARDS_PER_PATTERN } from '../../lifecycle/policy';
import { wildcardCount } from '../tag-patterns';
import { settingsHolders } from './settings-holders';
import type { ConfigCheck, ConfigProblem } from './types';

function tooMany(path: ReadonlyArray<string | number>, pattern: string): ConfigProblem[] {
  const n = wildcardCount(pattern);
  return n > MAX_WILDCARDS_PER_PATTERN
    ? [
        {
          path,
          message: `expected at most ${MAX_WILDCARDS_PER_PATTERN} "*" wildcards in a lifecycle tag pattern, got ${n} in "${pattern}"`,
        },
      ]
    : [];
}

/** ECR allows at most four `*` per lifecycle tag pattern: raw rules, ephemeral presets and the release tags keepLast uses. */
export const lifecycleWildcardLimit: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) => {
    const lifecycle = settings.lifecycle;
    if (!lifecycle) return [];
    return [
      ...(lifecycle.rules ?? []).flatMap((rule, j) =>
        (rule.selection.tagPatternList ?? []).flatMap((p, m) =>
          tooMany([...path, 'lifecycle', 'rules', j, 'selection', 'tagPatternList', m], p),
        ),
      ),
      ...(lifecycle.ephemeral ?? []).flatMap((entry, k) =>
        entry.tagPatterns.flatMap((p, m) =>
          tooMany([...path, 'lifecycle', 'ephemeral', k, 'tagPatterns', m], p),
        ),
      ),
      ...(lifecycle.keepLast !== undefined
        ? settings.releaseTags.flatMap((p, m) => tooMany([...path, 'releaseTags', m], p))
        : []),
    ];
  });
