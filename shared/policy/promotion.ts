import type { RuntimeRepositoryConfig } from '../runtime/runtime-config';

/** Promotion tags (A5) for an image that passed its scan: `scan.promoteTo` minus those it already has. */
export function promotionTags(repository: RuntimeRepositoryConfig, imageTags: readonly string[]): string[] {
  const have = new Set(imageTags);
  return [...new Set(repository.scan.promoteTo)].filter((tag) => !have.has(tag));
}
