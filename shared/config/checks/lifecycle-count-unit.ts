import { settingsHolders } from './settings-holders';
import type { ConfigCheck, ConfigProblem } from './types';

/** countUnit belongs to sinceImagePushed (where ECR requires it) and to nothing else. */
export const lifecycleCountUnit: ConfigCheck = (config) =>
  settingsHolders(config).flatMap(({ path, settings }) =>
    (settings.lifecycle?.rules ?? []).flatMap((rule, j): ConfigProblem[] => {
      const at = [...path, 'lifecycle', 'rules', j, 'selection', 'countUnit'];
      const { countType, countUnit } = rule.selection;
      if (countType === 'sinceImagePushed' && countUnit === undefined) {
        return [
          {
            path: at,
            message: 'expected countUnit "days" with countType sinceImagePushed, but it is missing',
          },
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
