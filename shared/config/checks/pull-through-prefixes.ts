import type { ConfigCheck, ConfigProblem } from './types';

export const MAX_PULL_THROUGH_RULES = 50;

/** Each pull-through cache prefix is used once, and a registry holds at most 50 rules. */
export const pullThroughPrefixes: ConfigCheck = (config) => {
  const problems: ConfigProblem[] = [];
  if (config.pullThroughCache.length > MAX_PULL_THROUGH_RULES) {
    problems.push({
      path: ['pullThroughCache'],
      message: `expected at most ${MAX_PULL_THROUGH_RULES} pull-through cache rules, got ${config.pullThroughCache.length}`,
    });
  }
  const first = new Map<string, number>();
  config.pullThroughCache.forEach((rule, i) => {
    const seen = first.get(rule.prefix);
    if (seen === undefined) first.set(rule.prefix, i);
    else {
      problems.push({
        path: ['pullThroughCache', i, 'prefix'],
        message: `expected a unique prefix, "${rule.prefix}" is already pullThroughCache[${seen}]`,
      });
    }
  });
  // A managed repository under a cache prefix would be mistaken for a cached upstream image.
  config.repositories.forEach((repo, i) => {
    const rule = config.pullThroughCache.find((r) => repo.name.startsWith(`${r.prefix}/`));
    if (rule) {
      problems.push({
        path: ['repositories', i, 'name'],
        message: `expected a name outside the pull-through cache prefix ${rule.prefix}/, got "${repo.name}"`,
      });
    }
  });
  return problems;
};
