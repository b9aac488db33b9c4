import { lifecycleRuleEntries } from '../../lifecycle/policy';
import { formatPath } from '../errors';
import { settingsHolders } from './settings-holders';
import type { ConfigCheck } from './types';

/** ECR accepts one rule selecting untagged images per lifecycle policy (presets included). */
export const lifecycleSingleUntagged: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) => {
    const untagged = lifecycleRuleEntries(settings).filter((e) => e.rule.selection.tagStatus === 'untagged');
    if (untagged.length < 2) return [];
    const [first, ...others] = untagged;
    return others.map((entry) => ({
      path: [...path, ...entry.origin, ...(entry.raw ? ['selection', 'tagStatus'] : [])],
      message: `expected at most one lifecycle rule selecting untagged images per policy, ${formatPath([...path, ...first.origin])} already does`,
    }));
  });
