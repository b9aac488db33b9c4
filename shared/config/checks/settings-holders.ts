import type { HarbormasterConfig, RepositorySettings, TagMutability } from '../schema';

/** A place in the config that carries repository settings: a managed repository or a creation template. */
export interface SettingsHolder {
  /** Field path of the holder, e.g. ['repositories', 2] or ['creationTemplates', 0]. */
  readonly path: ReadonlyArray<string | number>;
  readonly settings: RepositorySettings;
}

/** Every managed repository, then every creation template: they share encryption, mutability and lifecycle rules. */
export function settingsHolders(config: HarbormasterConfig): SettingsHolder[] {
  return [
    ...config.repositories.map((settings, i) => ({ path: ['repositories', i], settings })),
    ...config.creationTemplates.map((settings, i) => ({ path: ['creationTemplates', i], settings })),
  ];
}

/** The mutability settings that take exclusion filters. */
export function takesExclusions(mutability: TagMutability): boolean {
  return mutability === 'IMMUTABLE_WITH_EXCLUSION' || mutability === 'MUTABLE_WITH_EXCLUSION';
}
