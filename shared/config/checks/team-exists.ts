import type { ConfigCheck } from './types';

/** Every repository names a team declared under `teams`, so its alerts have somewhere to go. */
export const teamExists: ConfigCheck = (config) =>
  config.repositories.flatMap((repo, i) =>
    config.teams[repo.team]
      ? []
      : [
          {
            path: ['repositories', i, 'team'],
            message: `expected one of the teams (${Object.keys(config.teams).join(', ') || 'none declared'}), got "${repo.team}"`,
          },
        ],
  );
