import { BatchGetImageCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { MANIFEST_MEDIA_TYPES, RegistryOperationError } from './ecr-images';

/** ECR's limit of image ids per BatchGetImage call. */
export const BATCH_GET_MAX = 100;

/**
 * Which image each tag names in the repository now (BatchGetImage by tag, 100 tags a call): tag -> digest,
 * with tags that name no image left out. Costs one call per 100 tags however large the repository is.
 * A tag ECR cannot answer for (archived, unreadable) fails the call rather than being taken as free.
 */
export async function tagDigests(
  client: ECRClient,
  input: { readonly repository: string; readonly tags: readonly string[] },
): Promise<Map<string, string>> {
  const tags = [...new Set(input.tags)];
  const named = new Map<string, string>();
  for (let start = 0; start < tags.length; start += BATCH_GET_MAX) {
    const batch = tags.slice(start, start + BATCH_GET_MAX);
    let out;
    try {
      out = await client.send(
        new BatchGetImageCommand({
          repositoryName: input.repository,
          imageIds: batch.map((imageTag) => ({ imageTag })),
          acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
        }),
      );
    } catch (cause) {
      throw new RegistryOperationError(
        `BatchGetImage of ${batch.length} tags failed for ${input.repository}`,
        {
          cause,
        },
      );
    }
    for (const image of out.images ?? []) {
      const { imageTag, imageDigest } = image.imageId ?? {};
      if (imageTag && imageDigest) named.set(imageTag, imageDigest);
    }
    for (const failure of out.failures ?? []) {
      if (failure.failureCode === 'ImageNotFound') continue;
      throw new RegistryOperationError(
        `BatchGetImage could not read tag ${failure.imageId?.imageTag ?? '?'} of ${input.repository}: ${failure.failureCode} ${failure.failureReason ?? ''}`.trim(),
      );
    }
  }
  return named;
}
