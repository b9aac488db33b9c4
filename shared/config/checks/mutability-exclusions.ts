import { settingsHolders, takesExclusions } from './settings-holders';
import type { ConfigCheck, ConfigProblem } from './types';

export const MAX_MUTABILITY_EXCLUSIONS = 5;

/**
 * Exclusion filters go with IMMUTABLE_WITH_EXCLUSION / MUTABLE_WITH_EXCLUSION, which require at
 * least one; ECR takes at most five.
 */
export const mutabilityExclusions: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }): ConfigProblem[] => {
    const { tagMutability, mutabilityExclusions: filters } = settings;
    const at = [...path, 'mutabilityExclusions'];
    if (!takesExclusions(tagMutability)) {
      return filters.length > 0
        ? [
            {
              path: at,
              message: `expected no exclusion filters with tagMutability ${tagMutability} (use IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION), got ${filters.length}`,
            },
          ]
        : [];
    }
    if (filters.length === 0) {
      return [
        {
          path: at,
          message: `expected at least one exclusion filter with tagMutability ${tagMutability}, got none`,
        },
      ];
    }
    if (filters.length > MAX_MUTABILITY_EXCLUSIONS) {
      return [
        {
          path: at,
          message: `expected at most ${MAX_MUTABILITY_EXCLUSIONS} exclusion filters, got ${filters.length}`,
        },
      ];
    }
    return [];
  });
