import { settingsHolders } from './settings-holders';
import type { ConfigCheck, ConfigProblem } from './types';

/**
 * A tagged rule selects by exactly one of tagPrefixList or tagPatternList; untagged and any rules
 * select by neither (ECR rejects the policy otherwise).
 */
export const lifecycleTagSelection: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) =>
    (settings.lifecycle?.rules ?? []).flatMap((rule, j): ConfigProblem[] => {
      const at = [...path, 'lifecycle', 'rules', j, 'selection'];
      const { tagStatus, tagPrefixList, tagPatternList } = rule.selection;
      if (tagStatus === 'tagged') {
        if (!tagPrefixList && !tagPatternList) {
          return [
            {
              path: at,
              message: 'expected tagPatternList or tagPrefixList for tagStatus tagged, got neither',
            },
          ];
        }
        if (tagPrefixList && tagPatternList) {
          return [
            {
              path: at,
              message: 'expected only one of tagPatternList and tagPrefixList for tagStatus tagged, got both',
            },
          ];
        }
        return [];
      }
      return (['tagPrefixList', 'tagPatternList'] as const)
        .filter((field) => rule.selection[field] !== undefined)
        .map((field) => ({
          path: [...at, field],
          message: `expected no ${field} for tagStatus ${tagStatus}, got one`,
        }));
    }),
  );
