import type { RuntimeRepositoryConfig } from '../runtime/runtime-config';
import { matchesAnyTagPattern } from '../config/tag-patterns';

/**
 * Release tags to remove from an image that failed its scan (A5), when the repository has
 * `scan.quarantine: true`: its tags that match `releaseTags`. The image itself is kept (pullable by digest).
 */
export function quarantineTags(repository: RuntimeRepositoryConfig, imageTags: readonly string[]): string[] {
  if (!repository.scan.quarantine) return [];
  return [...new Set(imageTags)].filter((tag) => matchesAnyTagPattern(tag, repository.releaseTags)).sort();
}
