import type { EventPattern } from 'aws-cdk-lib/aws-events';
import { INDEX_MEDIA_TYPES } from '../../../shared/registry/ecr-images';

/**
 * EventBridge patterns that select the events of MANAGED repositories only. Each pattern is exact:
 * one source, its detail-types, and the repository field where that event carries it:
 *
 * - ECR events (`aws.ecr`): `detail.repository-name` is the repository name.
 * - `Inspector2 Scan`: `detail.repository-name` is the repository ARN.
 * - `Inspector2 Finding`: the name sits in `detail.resources[].details.awsEcrContainerImage.repositoryName`;
 *   EventBridge matches a field inside an array of objects when any element matches.
 *
 * A rule's pattern may hold at most 4096 characters, so a long repository list is split over several
 * rules (keys `Name`, `Name2`, ...) that all target the same queue.
 */

export const ECR_SOURCE = 'aws.ecr';
export const INSPECTOR_SOURCE = 'aws.inspector2';
export const IMAGE_DETAIL_TYPES = ['ECR Image Action', 'ECR Replication Action'] as const;
export const ECR_SCAN_DETAIL_TYPE = 'ECR Image Scan';
export const INSPECTOR_SCAN_DETAIL_TYPE = 'Inspector2 Scan';
export const INSPECTOR_FINDING_DETAIL_TYPE = 'Inspector2 Finding';

/** Room left for the rest of a pattern (source, detail-type, account, nesting) within the 4096 limit. */
const REPOSITORY_LIST_BUDGET = 3000;
/** Upper bound of a synthesized repository ARN's length beyond its name (partition, region, account, tokens). */
const ARN_OVERHEAD = 'arn:aws-iso-b:ecr:ap-southeast-5:123456789012:repository/'.length;

export interface ManagedRepositoryFilter {
  /** Managed repository names. */
  readonly names: readonly string[];
  /** Maps a repository name to its ARN (built from the stack's region and account). */
  readonly arnOf: (name: string) => string;
  /** The registry's account (a token for an environment-agnostic stack): events of other accounts are ignored. */
  readonly account: string;
  /**
   * Managed repositories with `scan.requireSignature`: pushes of signatures there go to the scan function too.
   * @default - none
   */
  readonly signatureRepositories?: readonly string[];
}

/** What a signature referrer is pushed as (notation 1.x and cosign 3: an OCI image manifest; ORAS 1.0: artifact). */
export const REFERRER_MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.artifact.manifest.v1+json',
] as const;

/** `ECR Image Action` (push, delete, archive/restore) and `ECR Replication Action` of managed repositories. */
export function imageEventPatterns(filter: ManagedRepositoryFilter): Record<string, EventPattern> {
  return chunked('EcrImageEvents', filter.names, 0, (names) => ({
    source: [ECR_SOURCE],
    detailType: [...IMAGE_DETAIL_TYPES],
    account: [filter.account],
    detail: { 'repository-name': names },
  }));
}

/**
 * Basic (`ECR Image Scan`) and enhanced (`Inspector2 Scan`, `Inspector2 Finding` for ECR images) scan
 * events, successful pushes of multi-arch indexes (an index is judged from its platform images) and, in
 * repositories that require a signature, pushes of signatures (they re-decide the image they sign): the
 * cosign `sha256-<hex>.sig` tag, and manifests pushed by digest (a Notation or Sigstore-bundle referrer;
 * the function reads the manifest to tell one from a platform image).
 */
export function scanEventPatterns(filter: ManagedRepositoryFilter): Record<string, EventPattern> {
  const signed = filter.signatureRepositories ?? [];
  const signaturePush = (tag: unknown[], mediaTypes?: readonly string[]) => (names: string[]) => ({
    source: [ECR_SOURCE],
    detailType: ['ECR Image Action'],
    account: [filter.account],
    detail: {
      'action-type': ['PUSH'],
      result: ['SUCCESS'],
      'image-tag': tag,
      ...(mediaTypes ? { 'manifest-media-type': [...mediaTypes] } : {}),
      'repository-name': names,
    },
  });
  return {
    ...(signed.length > 0
      ? {
          ...chunked('EcrSignatureTagPush', signed, 0, signaturePush([{ suffix: '.sig' }])),
          ...chunked('EcrReferrerPush', signed, 0, signaturePush([''], REFERRER_MANIFEST_TYPES)),
        }
      : {}),
    ...chunked('EcrIndexPush', filter.names, 0, (names) => ({
      source: [ECR_SOURCE],
      detailType: ['ECR Image Action'],
      account: [filter.account],
      detail: {
        'action-type': ['PUSH'],
        result: ['SUCCESS'],
        'manifest-media-type': [...INDEX_MEDIA_TYPES],
        'repository-name': names,
      },
    })),
    ...chunked('EcrImageScan', filter.names, 0, (names) => ({
      source: [ECR_SOURCE],
      detailType: [ECR_SCAN_DETAIL_TYPE],
      account: [filter.account],
      detail: { 'repository-name': names },
    })),
    ...chunked('InspectorScan', filter.names, ARN_OVERHEAD, (names) => ({
      source: [INSPECTOR_SOURCE],
      detailType: [INSPECTOR_SCAN_DETAIL_TYPE],
      account: [filter.account],
      detail: { 'repository-name': names.map(filter.arnOf) },
    })),
    ...chunked('InspectorFinding', filter.names, 0, (names) => ({
      source: [INSPECTOR_SOURCE],
      detailType: [INSPECTOR_FINDING_DETAIL_TYPE],
      account: [filter.account],
      detail: {
        resources: {
          type: ['AWS_ECR_CONTAINER_IMAGE'],
          details: { awsEcrContainerImage: { repositoryName: names } },
        },
      },
    })),
  };
}

/** Splits `names` so each pattern's repository list stays within budget; keys are `base`, `base2`, ... */
function chunked(
  base: string,
  names: readonly string[],
  overheadPerName: number,
  pattern: (names: string[]) => EventPattern,
): Record<string, EventPattern> {
  if (names.length === 0) throw new Error(`${base}: expected at least one managed repository name`);
  const chunks: string[][] = [[]];
  let used = 0;
  for (const name of names) {
    // A name in the JSON list costs its quotes and comma as well.
    const cost = name.length + overheadPerName + 3;
    const current = chunks[chunks.length - 1];
    if (current.length > 0 && used + cost > REPOSITORY_LIST_BUDGET) {
      chunks.push([name]);
      used = cost;
    } else {
      current.push(name);
      used += cost;
    }
  }
  return Object.fromEntries(chunks.map((chunk, i) => [i === 0 ? base : `${base}${i + 1}`, pattern(chunk)]));
}
