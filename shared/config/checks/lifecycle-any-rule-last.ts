import { lifecycleRuleEntries } from '../../lifecycle/policy';
import { settingsHolders } from './settings-holders';
import type { ConfigCheck } from './types';

/** ECR evaluates a `tagStatus: any` rule last, so it must carry the highest rulePriority of the policy. */
export const lifecycleAnyRuleLast: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) => {
    // The archive preset (also `any`, placed last) conflicting with a raw `any` rule is lifecycleArchive's report.
    const entries = lifecycleRuleEntries(settings).filter((e) => e.origin[1] !== 'archiveUnpulledAfterDays');
    const highest = Math.max(...entries.map((e) => e.rule.rulePriority));
    return entries
      .filter((e) => e.rule.selection.tagStatus === 'any')
      .filter((e) => e.rule.rulePriority < highest)
      .map((e) => ({
        path: [...path, ...e.origin, 'rulePriority'],
        message: `expected the highest rulePriority of the policy for a tagStatus any rule (presets take the lowest free numbers), got ${e.rule.rulePriority} while the highest is ${highest}`,
      }));
  });
