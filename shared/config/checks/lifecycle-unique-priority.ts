import { lifecycleRuleEntries } from '../../lifecycle/policy';
import { settingsHolders } from './settings-holders';
import type { ConfigCheck, ConfigProblem } from './types';

/** ECR rejects a lifecycle policy where two rules share a rulePriority (presets included). */
export const lifecycleUniquePriority: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) => {
    const problems: ConfigProblem[] = [];
    const seen = new Set<number>();
    for (const entry of lifecycleRuleEntries(settings)) {
      const priority = entry.rule.rulePriority;
      if (seen.has(priority)) {
        problems.push({
          path: [...path, ...entry.origin, 'rulePriority'],
          message: `expected a rulePriority no other lifecycle rule of this repository uses, got ${priority} twice`,
        });
      }
      seen.add(priority);
    }
    return problems;
  });
