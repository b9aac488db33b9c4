import { destinationLabel, isSourceItself } from '../../replication/destination-ref';
import { matchesTagPattern } from '../tag-patterns';
import type { HarbormasterConfig, ReplicationDestination } from '../schema';
import type { ConfigCheck, ConfigProblem } from './types';

const MAX_REPOSITORY_NAME = 256;

/**
 * Gated replication rules (config `gatedReplication`, G1) make sense before anything deploys:
 * - rule names are unique (they key audit rows, alerts and `backfill --rule`);
 * - every repository glob matches at least one managed repository (a typo would replicate nothing, silently);
 * - no destination is the source registry itself (same region and account with an empty prefix);
 * - no destination appears twice in a rule;
 * - the destination repository name (prefix + source name) stays within ECR's 256 characters;
 * - an ECR destination is not also a native replication destination of the same repository (native replication
 *   would copy every image there ungated, and would create the repository the replica or destination stack also
 *   creates), in this account or another.
 * External registries may omit credentialsSecret: they are then written anonymously.
 */
export const gatedReplication: ConfigCheck = (config) => {
  const problems: ConfigProblem[] = [];
  const seenNames = new Map<string, number>();
  const managed = config.repositories.map((r) => r.name);
  // Labels need an account; an environment-agnostic config compares with a placeholder that is the same for every same-account destination.
  const source = { account: config.env.account ?? '000000000000', region: config.env.region };

  config.gatedReplication.forEach((rule, i) => {
    const first = seenNames.get(rule.name);
    if (first !== undefined) {
      problems.push({
        path: ['gatedReplication', i, 'name'],
        message: `expected a unique rule name, got "${rule.name}" (also gatedReplication[${first}])`,
      });
    } else {
      seenNames.set(rule.name, i);
    }

    const matched = new Set<string>();
    rule.repositories.forEach((glob, k) => {
      const hits = managed.filter((name) => matchesTagPattern(name, glob));
      hits.forEach((name) => matched.add(name));
      if (hits.length === 0) {
        problems.push({
          path: ['gatedReplication', i, 'repositories', k],
          message: `expected a name or glob matching at least one managed repository (${managed.join(', ')}), got "${glob}"`,
        });
      }
    });

    const labels = new Map<string, number>();
    rule.destinations.forEach((destination, d) => {
      const path = ['gatedReplication', i, 'destinations', d];
      if (destination.type === 'ecr' && isSourceItself(destination, config.env)) {
        problems.push({
          path,
          message: `expected another region, account or a repositoryPrefix than the source registry, got ${destination.region} in the same account with no prefix`,
        });
      }
      const label = destinationLabel(destination, source, '');
      const twin = labels.get(label);
      if (twin !== undefined) {
        problems.push({
          path,
          message: `expected each destination once per rule, got the same as destinations[${twin}]`,
        });
      } else {
        labels.set(label, d);
      }
      const native = nativelyReplicated(config, destination, [...matched]);
      if (native) {
        problems.push({
          path,
          message: `expected a destination native replication does not already fill, got ${destination.type === 'ecr' ? destination.region : ''}${destination.type === 'ecr' && destination.account !== undefined && destination.account !== config.env.account ? ` of account ${destination.account}` : ''} where replication.rules[${native.rule}] copies every image of ${native.repository} ungated`,
        });
      }
      for (const name of matched) {
        const length = destination.repositoryPrefix.length + name.length;
        if (length > MAX_REPOSITORY_NAME) {
          problems.push({
            path: [...path, 'repositoryPrefix'],
            message: `expected prefix + repository name within ${MAX_REPOSITORY_NAME} characters, got ${length} for ${name}`,
          });
        }
      }
    });
  });
  return problems;
};

/**
 * The first native replication rule that already copies one of `repositories` to this unprefixed ECR destination,
 * in the source account or another (where the HarbormasterDestination stack would create the same repository).
 */
function nativelyReplicated(
  config: HarbormasterConfig,
  destination: ReplicationDestination,
  repositories: readonly string[],
): { rule: number; repository: string } | undefined {
  if (destination.type !== 'ecr' || destination.repositoryPrefix !== '') return undefined;
  // The source account spelt out is the same account as an omitted one.
  const accountOf = (account: string | undefined) =>
    account === undefined || account === config.env.account ? undefined : account;
  const rules = config.replication?.rules ?? [];
  for (let i = 0; i < rules.length; i += 1) {
    const rule = rules[i];
    const sameTarget = rule.destinations.some(
      (d) => d.region === destination.region && accountOf(d.account) === accountOf(destination.account),
    );
    if (!sameTarget) continue;
    const repository = repositories.find(
      (name) => !rule.repositoryPrefixes || rule.repositoryPrefixes.some((p) => name.startsWith(p)),
    );
    if (repository) return { rule: i, repository };
  }
  return undefined;
}
