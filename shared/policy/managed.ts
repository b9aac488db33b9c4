import type { HarbormasterConfig, RepositoryConfig } from '../config/schema';

/** The managed repository called `name`, or undefined when Harbormaster does not manage it. */
export function findRepository(config: HarbormasterConfig, name: string): RepositoryConfig | undefined {
  return config.repositories.find((repository) => repository.name === name);
}

/** The reason an event for an unmanaged repository is ignored (one wording for handlers and simulate). */
export function unmanagedReason(name: string): string {
  return `repository ${name} is not managed by Harbormaster`;
}
