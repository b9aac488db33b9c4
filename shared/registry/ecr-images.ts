import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeImageScanFindingsCommand,
  ListImagesCommand,
  PutImageCommand,
  type ECRClient,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
} from '@aws-sdk/client-ecr';
import { severityFromName, type Finding, type FindingSeverity } from '../domain/types';

/**
 * Small ECR operations on one image, each taking the client as a parameter. Tags are written the
 * "build once, tag many" way: the manifest ECR already stores is PUT again under another tag, so no
 * layer moves and the digest cannot change.
 */

/** Every manifest kind ECR stores: Docker and OCI single-platform manifests and multi-arch indexes. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
] as const;

export interface ImageRef {
  readonly repository: string;
  readonly digest: string;
}

/** added: written; present: the tag already pointed at this digest; immutable: the repository refused to move an immutable tag. */
export type TagOutcome = 'added' | 'present' | 'immutable';

export interface AddTagsResult {
  readonly outcomes: Readonly<Record<string, TagOutcome>>;
  readonly mediaType: string;
}

export interface RemoveTagsResult {
  /** Tags that were removed. */
  readonly removed: readonly string[];
  /** Tags that were not on the image any more (nothing to do). */
  readonly absent: readonly string[];
}

/** An ECR call failed in a way the caller cannot treat as success; carries the SDK error as cause. */
export class RegistryOperationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RegistryOperationError';
  }
}

function label(ref: ImageRef): string {
  return `${ref.repository}@${ref.digest}`;
}

/** One ECR call; a failure becomes a RegistryOperationError `<operation> failed for <what>` carrying the SDK error. */
function orFail<T>(sent: Promise<T>, operation: string, what: string): Promise<T> {
  return sent.catch((cause: unknown) => {
    throw new RegistryOperationError(`${operation} failed for ${what}`, { cause });
  });
}

/**
 * Adds tags to an image: one BatchGetImage for the manifest, then one PutImage per tag with the same
 * manifest bytes and media type. ImageAlreadyExistsException (the tag already points here) is success;
 * ImageTagAlreadyExistsException (an immutable tag on another image) is reported as 'immutable', never retried.
 */
export async function addTags(
  client: ECRClient,
  input: ImageRef & { readonly tags: readonly string[] },
): Promise<AddTagsResult> {
  const tags = [...new Set(input.tags)];
  if (tags.length === 0) return { outcomes: {}, mediaType: '' };
  const got = await orFail(
    client.send(
      new BatchGetImageCommand({
        repositoryName: input.repository,
        imageIds: [{ imageDigest: input.digest }],
        acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
      }),
    ),
    'BatchGetImage',
    label(input),
  );
  const image = got.images?.[0];
  if (!image?.imageManifest || !image.imageManifestMediaType) {
    const failure = got.failures?.[0];
    throw new RegistryOperationError(
      `BatchGetImage found no manifest for ${label(input)}${failure ? ` (${failure.failureCode}: ${failure.failureReason})` : ''}`,
    );
  }

  const outcomes: Record<string, TagOutcome> = {};
  for (const tag of tags) {
    try {
      await client.send(
        new PutImageCommand({
          repositoryName: input.repository,
          imageManifest: image.imageManifest,
          imageManifestMediaType: image.imageManifestMediaType,
          imageDigest: input.digest,
          imageTag: tag,
        }),
      );
      outcomes[tag] = 'added';
    } catch (error) {
      const name = (error as Error | undefined)?.name;
      if (name === 'ImageAlreadyExistsException') outcomes[tag] = 'present';
      else if (name === 'ImageTagAlreadyExistsException') outcomes[tag] = 'immutable';
      else
        throw new RegistryOperationError(`PutImage of tag ${tag} failed for ${label(input)}`, {
          cause: error,
        });
    }
  }
  return { outcomes, mediaType: image.imageManifestMediaType };
}

/** ECR's limit of image ids per BatchDeleteImage call. */
export const BATCH_DELETE_MAX = 100;

/**
 * Removes tags from one image, as `{imageDigest, imageTag}` pairs so a tag that has moved to another image
 * meanwhile is never removed from it, in batches of 100 (ECR's limit per call). A pair already gone
 * (ImageNotFound) counts as done. ECR deletes an image whose LAST tag is removed: callers that must keep
 * the image leave it another tag.
 */
export async function removeImageTags(
  client: ECRClient,
  input: ImageRef & { readonly tags: readonly string[] },
): Promise<RemoveTagsResult> {
  const tags = [...new Set(input.tags)];
  const absent: string[] = [];
  for (let start = 0; start < tags.length; start += BATCH_DELETE_MAX) {
    const batch = tags.slice(start, start + BATCH_DELETE_MAX);
    const out = await orFail(
      client.send(
        new BatchDeleteImageCommand({
          repositoryName: input.repository,
          imageIds: batch.map((imageTag) => ({ imageDigest: input.digest, imageTag })),
        }),
      ),
      'BatchDeleteImage',
      label(input),
    );
    for (const failure of out.failures ?? []) {
      const tag = failure.imageId?.imageTag ?? '?';
      if (failure.failureCode === 'ImageNotFound') absent.push(tag);
      else {
        throw new RegistryOperationError(
          `BatchDeleteImage could not remove tag ${tag} from ${label(input)}: ${failure.failureCode} ${failure.failureReason ?? ''}`.trim(),
        );
      }
    }
  }
  return { removed: tags.filter((t) => !absent.includes(t)), absent };
}

/** The image's tags as ECR holds them now (DescribeImages by digest); [] for an untagged image. */
export async function currentImageTags(client: ECRClient, ref: ImageRef): Promise<string[]> {
  const out = await orFail(
    client.send(
      new DescribeImagesCommand({ repositoryName: ref.repository, imageIds: [{ imageDigest: ref.digest }] }),
    ),
    'DescribeImages',
    label(ref),
  );
  return [...(out.imageDetails?.[0]?.imageTags ?? [])].sort();
}

/** One platform manifest an index lists. */
export interface IndexChild {
  readonly digest: string;
  /** `os/architecture[/variant]`; `unknown/unknown` for attestation manifests. */
  readonly platform: string;
}

/** Multi-arch index media types (OCI and Docker). */
export const INDEX_MEDIA_TYPES: readonly string[] = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];

/** The platform manifests an index lists (BatchGetImage of the index). */
export async function indexChildren(client: ECRClient, ref: ImageRef): Promise<IndexChild[]> {
  const got = await orFail(
    client.send(
      new BatchGetImageCommand({
        repositoryName: ref.repository,
        imageIds: [{ imageDigest: ref.digest }],
        acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
      }),
    ),
    'BatchGetImage',
    label(ref),
  );
  const manifest = got.images?.[0]?.imageManifest;
  if (!manifest) throw new RegistryOperationError(`BatchGetImage found no manifest for ${label(ref)}`);
  let parsed: { manifests?: unknown };
  try {
    parsed = JSON.parse(manifest) as { manifests?: unknown };
  } catch (cause) {
    throw new RegistryOperationError(`the manifest of ${label(ref)} is not JSON`, { cause });
  }
  if (!Array.isArray(parsed.manifests)) {
    throw new RegistryOperationError(`the manifest of ${label(ref)} is not an index (no manifests[])`);
  }
  return parsed.manifests.map((entry: unknown, i: number): IndexChild => {
    const m = entry as {
      digest?: unknown;
      platform?: { os?: unknown; architecture?: unknown; variant?: unknown };
      annotations?: Record<string, unknown>;
    };
    if (typeof m.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(m.digest)) {
      throw new RegistryOperationError(`manifests[${i}].digest of ${label(ref)}: expected a sha256 digest`);
    }
    const attestation = m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest';
    const os = typeof m.platform?.os === 'string' ? m.platform.os : 'unknown';
    const arch = typeof m.platform?.architecture === 'string' ? m.platform.architecture : 'unknown';
    const variant = typeof m.platform?.variant === 'string' ? `/${m.platform.variant}` : '';
    return { digest: m.digest, platform: attestation ? 'unknown/unknown' : `${os}/${arch}${variant}` };
  });
}

export interface DescribeFindingsResult {
  readonly findings: Finding[];
  /** False when `max` stopped the paging before the last page. */
  readonly complete: boolean;
}

function severityOf(value: string | undefined, where: string): FindingSeverity {
  const mapped = severityFromName(value);
  // An unknown severity must not be dropped silently: it could hide a blocking finding.
  if (!mapped)
    throw new RegistryOperationError(`${where}: unknown finding severity ${JSON.stringify(value)}`);
  return mapped;
}

function fromBasic(f: ImageScanFinding): Finding {
  const attr = (key: string) => f.attributes?.find((a) => a.key === key)?.value;
  const packageName = attr('package_name');
  const installedVersion = attr('package_version');
  return {
    id: f.name ?? '(unnamed finding)',
    severity: severityOf(f.severity, `finding ${f.name}`),
    ...(packageName ? { packageName } : {}),
    ...(installedVersion ? { installedVersion } : {}),
    ...(f.uri ? { url: f.uri } : {}),
  };
}

function fromEnhanced(f: EnhancedImageScanFinding): Finding {
  const details = f.packageVulnerabilityDetails;
  const id = details?.vulnerabilityId ?? f.title ?? '(unnamed finding)';
  const pkg = details?.vulnerablePackages?.[0];
  const fixed = pkg?.fixedInVersion && pkg.fixedInVersion !== 'NotAvailable' ? pkg.fixedInVersion : undefined;
  const url = details?.sourceUrl ?? details?.referenceUrls?.[0];
  return {
    id,
    severity: severityOf(f.severity, `finding ${id}`),
    ...(pkg?.name ? { packageName: pkg.name } : {}),
    ...(pkg?.version ? { installedVersion: pkg.version } : {}),
    ...(fixed ? { fixedVersion: fixed } : {}),
    ...(url ? { url } : {}),
  };
}

/**
 * The image's scan findings (basic `findings[]` and enhanced `enhancedFindings[]`), normalized. Pages only
 * as far as `max` needs: one call returns up to 1000 findings.
 */
export async function describeFindings(
  client: ECRClient,
  input: ImageRef,
  options: { readonly max: number },
): Promise<DescribeFindingsResult> {
  if (!Number.isInteger(options.max) || options.max < 1) {
    throw new RegistryOperationError(`describeFindings: max must be a positive integer, got ${options.max}`);
  }
  const findings: Finding[] = [];
  let nextToken: string | undefined;
  do {
    const out = await orFail(
      client.send(
        new DescribeImageScanFindingsCommand({
          repositoryName: input.repository,
          imageId: { imageDigest: input.digest },
          maxResults: Math.min(1000, options.max - findings.length),
          ...(nextToken ? { nextToken } : {}),
        }),
      ),
      'DescribeImageScanFindings',
      label(input),
    );
    const page = out.imageScanFindings;
    findings.push(
      ...(page?.findings ?? []).map(fromBasic),
      // Inspector keeps CLOSED and SUPPRESSED findings in the list; only ACTIVE ones count.
      ...(page?.enhancedFindings ?? []).filter((f) => !f.status || f.status === 'ACTIVE').map(fromEnhanced),
    );
    nextToken = out.nextToken;
  } while (nextToken && findings.length < options.max);
  return { findings: findings.slice(0, options.max), complete: !nextToken };
}

/**
 * Every tag in a repository (for the semver cascade and `latest`), via ListImages with tagStatus TAGGED.
 * Bounded: stops after `maxTags` tags (default 5000) and says so, rather than paging a huge repository.
 */
export async function listTaggedVersions(
  client: ECRClient,
  input: { readonly repository: string; readonly maxTags?: number },
): Promise<{
  readonly tags: string[];
  readonly complete: boolean;
  /** Each listed tag with the digest it names. */
  readonly images: readonly { readonly tag: string; readonly digest: string }[];
}> {
  const maxTags = input.maxTags ?? 5000;
  const tags: string[] = [];
  const images: { tag: string; digest: string }[] = [];
  let nextToken: string | undefined;
  do {
    const out = await orFail(
      client.send(
        new ListImagesCommand({
          repositoryName: input.repository,
          filter: { tagStatus: 'TAGGED' },
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      ),
      'ListImages',
      input.repository,
    );
    for (const id of out.imageIds ?? []) {
      if (!id.imageTag) continue;
      tags.push(id.imageTag);
      if (id.imageDigest) images.push({ tag: id.imageTag, digest: id.imageDigest });
    }
    nextToken = out.nextToken;
  } while (nextToken && tags.length < maxTags);
  return { tags: tags.slice(0, maxTags), complete: !nextToken, images: images.slice(0, maxTags) };
}
