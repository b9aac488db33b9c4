import type { ConfigCheck } from './types';

/** Each repository is declared once: two entries with one name would fight over one ECR repository. */
export const uniqueRepositoryNames: ConfigCheck = (config) => {
  const first = new Map<string, number>();
  return config.repositories.flatMap((repo, i) => {
    const seen = first.get(repo.name);
    if (seen === undefined) {
      first.set(repo.name, i);
      return [];
    }
    return [
      {
        path: ['repositories', i, 'name'],
        message: `expected a unique repository name, "${repo.name}" is already repositories[${seen}]`,
      },
    ];
  });
};
