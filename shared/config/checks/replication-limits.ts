import type { ConfigCheck, ConfigProblem } from './types';

export const MAX_REPLICATION_RULES = 10;
export const MAX_REPLICATION_DESTINATIONS = 25;
export const MAX_REPLICATION_FILTERS_PER_RULE = 100;

/**
 * ECR's native replication limits: at most 10 rules, 25 unique destinations across all of them,
 * 100 prefix filters per rule; and a registry does not replicate to itself.
 */
export const replicationLimits: ConfigCheck = (config) => {
  const rules = config.replication?.rules ?? [];
  const problems: ConfigProblem[] = [];
  if (rules.length > MAX_REPLICATION_RULES) {
    problems.push({
      path: ['replication', 'rules'],
      message: `expected at most ${MAX_REPLICATION_RULES} replication rules, got ${rules.length}`,
    });
  }
  const unique = new Set<string>();
  rules.forEach((rule, i) => {
    const filters = rule.repositoryPrefixes?.length ?? 0;
    if (filters > MAX_REPLICATION_FILTERS_PER_RULE) {
      problems.push({
        path: ['replication', 'rules', i, 'repositoryPrefixes'],
        message: `expected at most ${MAX_REPLICATION_FILTERS_PER_RULE} repository prefixes per rule, got ${filters}`,
      });
    }
    rule.destinations.forEach((d, k) => {
      const account = d.account ?? config.env.account ?? 'this account';
      unique.add(`${account}/${d.region}`);
      const sameAccount = d.account === undefined || d.account === config.env.account;
      if (sameAccount && d.region === config.env.region) {
        problems.push({
          path: ['replication', 'rules', i, 'destinations', k],
          message: `expected another region or account than the source registry, got ${d.region} in the same account`,
        });
      }
    });
  });
  if (unique.size > MAX_REPLICATION_DESTINATIONS) {
    problems.push({
      path: ['replication', 'rules'],
      message: `expected at most ${MAX_REPLICATION_DESTINATIONS} unique destinations across all rules, got ${unique.size}`,
    });
  }
  return problems;
};
