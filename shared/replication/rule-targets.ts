import type { HarbormasterConfig, RepositoryConfig } from '../config/schema';
import { matchesTagPattern } from '../config/tag-patterns';

/** One ECR repository a gated replication rule writes to. */
export interface EcrReplicaTarget {
  /** The managed source repository. */
  readonly source: RepositoryConfig;
  /** Destination region. */
  readonly region: string;
  /** Destination account; undefined means the source account. */
  readonly account?: string;
  /** Repository name at the destination: prefix + source name. */
  readonly repositoryName: string;
}

/** The managed repositories a rule's globs select (the same matcher the scan path uses). */
export function repositoriesOfRule(config: HarbormasterConfig, globs: readonly string[]): RepositoryConfig[] {
  return config.repositories.filter((repo) => globs.some((glob) => matchesTagPattern(repo.name, glob)));
}

/** Managed repositories any gated rule replicates from: the replicator's read scope. */
export function replicatedSourceRepositories(config: HarbormasterConfig): RepositoryConfig[] {
  const names = new Set(
    config.gatedReplication.flatMap((rule) =>
      repositoriesOfRule(config, rule.repositories).map((r) => r.name),
    ),
  );
  return config.repositories.filter((repo) => names.has(repo.name));
}

/** Every ECR repository the gated rules write to, deduplicated by account, region and name, in config order. */
export function ecrReplicaTargets(config: HarbormasterConfig): EcrReplicaTarget[] {
  const targets = new Map<string, EcrReplicaTarget>();
  for (const rule of config.gatedReplication) {
    const sources = repositoriesOfRule(config, rule.repositories);
    for (const destination of rule.destinations) {
      if (destination.type !== 'ecr') continue;
      // An account equal to the source's is the same account: normalise so both spellings dedupe.
      const account = destination.account === config.env.account ? undefined : destination.account;
      for (const source of sources) {
        const repositoryName = `${destination.repositoryPrefix}${source.name}`;
        const key = `${account ?? 'self'}/${destination.region}/${repositoryName}`;
        if (!targets.has(key)) {
          targets.set(key, {
            source,
            region: destination.region,
            ...(account ? { account } : {}),
            repositoryName,
          });
        }
      }
    }
  }
  return [...targets.values()];
}

/** External registry secrets the replicator reads, deduplicated. */
export function registryCredentialSecrets(config: HarbormasterConfig): string[] {
  const names = new Set<string>();
  for (const rule of config.gatedReplication) {
    for (const destination of rule.destinations) {
      if (destination.type === 'registry' && destination.credentialsSecret)
        names.add(destination.credentialsSecret);
    }
  }
  return [...names];
}
