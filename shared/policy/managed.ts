/** The managed repository called `name`, or undefined when Harbormaster does not manage it. */
export function findRepository<R extends { readonly name: string }>(
  config: { readonly repositories: readonly R[] },
  name: string,
): R | undefined {
  return config.repositories.find((repository) => repository.name === name);
}

/** The reason an event for an unmanaged repository is ignored (one wording for handlers and simulate). */
export function unmanagedReason(name: string): string {
  return `repository ${name} is not managed by Harbormaster`;
}
