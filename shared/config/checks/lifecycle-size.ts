import {
  MAX_LIFECYCLE_POLICY_CHARS,
  MAX_LIFECYCLE_RULES,
  buildLifecycleRules,
  lifecyclePolicyText,
} from '../../lifecycle/policy';
import { settingsHolders } from './settings-holders';
import type { ConfigCheck, ConfigProblem } from './types';

/** ECR takes at most 50 rules and 30,720 characters in one lifecycle policy. */
export const lifecycleSize: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) => {
    const problems: ConfigProblem[] = [];
    const count = buildLifecycleRules(settings).length;
    if (count > MAX_LIFECYCLE_RULES) {
      problems.push({
        path: [...path, 'lifecycle'],
        message: `expected at most ${MAX_LIFECYCLE_RULES} lifecycle rules (presets make one rule per tag pattern), got ${count}`,
      });
    }
    const length = lifecyclePolicyText(settings)?.length ?? 0;
    if (length > MAX_LIFECYCLE_POLICY_CHARS) {
      problems.push({
        path: [...path, 'lifecycle'],
        message: `expected a lifecycle policy of at most ${MAX_LIFECYCLE_POLICY_CHARS} characters, got ${length}`,
      });
    }
    return problems;
  });
