import { settingsHolders } from './settings-holders';
import type { ConfigCheck, ConfigProblem } from './types';

/** countUnit belongs to the age count types (where ECR requires it) and never to imageCountMoreThan. */
export const lifecycleCountUnit: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) =>
    (settings.lifecycle?.rules ?? []).flatMap((rule, j): ConfigProblem[] => {
      const at = [...path, 'lifecycle', 'rules', j, 'selection', 'countUnit'];
      const { countType, countUnit } = rule.selection;
      if (countType !== 'imageCountMoreThan' && countUnit === undefined) {
        return [
          { path: at, message: `expected countUnit "days" with countType ${countType}, but it is missing` },
        ];
      }
      if (countType === 'imageCountMoreThan' && countUnit !== undefined) {
        return [
          {
            path: at,
            message: `expected no countUnit with countType imageCountMoreThan, got "${countUnit}"`,
          },
        ];
      }
      return [];
    }),
  );
