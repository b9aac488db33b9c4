import { isImmutable } from './auto-tag-immutability';
import type { ConfigCheck } from './types';

const WHY = {
  MUTABLE: '',
  IMMUTABLE: 'and every tag is immutable',
  IMMUTABLE_WITH_EXCLUSION: 'which matches no exclusion filter',
  MUTABLE_WITH_EXCLUSION: 'which matches an exclusion filter',
} as const;

/** A promotion tag moves to every newly passing image, so, like auto-tags (R3), it must be mutable. */
export const promoteTagMutability: ConfigCheck = (config) =>
  config.repositories.flatMap((repo, i) =>
    repo.scan.promoteTo
      .map((tag, k) => ({ tag, k }))
      .filter(({ tag }) => isImmutable(tag, repo))
      .map(({ tag, k }) => ({
        path: ['repositories', i, 'scan', 'promoteTo', k],
        message: `expected a promotion tag that is mutable under tagMutability ${repo.tagMutability}, got "${tag}", ${WHY[repo.tagMutability]}`,
      })),
  );
