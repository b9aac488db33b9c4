import type { ReplicationDestination } from '../config/schema';
import type { ImageReference } from '../oci/reference';

/** Where a source image lives: the account and region of the managed registry. */
export interface SourceRegistry {
  readonly account: string;
  readonly region: string;
}

/** The private ECR registry host of an account in a region (China regions end in .amazonaws.com.cn). */
export function ecrRegistryHost(account: string, region: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `${account}.dkr.ecr.${region}.${suffix}`;
}

/** The repository name at the destination: its prefix followed by the source repository's name. */
export function destinationRepositoryName(
  destination: ReplicationDestination,
  sourceRepository: string,
): string {
  return `${destination.repositoryPrefix}${sourceRepository}`;
}

/** The account an ECR destination writes to: its own, or the source's when omitted. */
export function destinationAccount(
  destination: Extract<ReplicationDestination, { type: 'ecr' }>,
  source: SourceRegistry,
): string {
  return destination.account ?? source.account;
}

/** The registry host a destination writes to. */
export function destinationRegistry(destination: ReplicationDestination, source: SourceRegistry): string {
  return destination.type === 'ecr'
    ? ecrRegistryHost(destinationAccount(destination, source), destination.region)
    : destination.host;
}

/**
 * Where the image goes: tagged `tag` when given, otherwise by digest only (a copy with no tags still
 * lands the manifest so a later tag push or pull by digest works).
 */
export function destinationReference(
  destination: ReplicationDestination,
  source: SourceRegistry,
  sourceRepository: string,
  target: { readonly tag?: string; readonly digest?: string },
): ImageReference {
  return {
    registry: destinationRegistry(destination, source),
    repository: destinationRepositoryName(destination, sourceRepository),
    ...(target.tag !== undefined ? { tag: target.tag } : {}),
    ...(target.digest !== undefined ? { digest: target.digest } : {}),
  };
}

/** The source image, always by digest: what was scanned is what is copied, whatever the tag points at now. */
export function sourceReference(source: SourceRegistry, repository: string, digest: string): ImageReference {
  return { registry: ecrRegistryHost(source.account, source.region), repository, digest };
}

/**
 * A stable, human-readable key for one destination of one repository, e.g.
 * `111122223333.dkr.ecr.us-east-1.amazonaws.com/dr/payments/api` or `ghcr.io/example-org/payments/api`.
 * Used in audit rows (and their idempotency keys), logs and alerts. Never contains credentials.
 */
export function destinationLabel(
  destination: ReplicationDestination,
  source: SourceRegistry,
  sourceRepository: string,
): string {
  return `${destinationRegistry(destination, source)}/${destinationRepositoryName(destination, sourceRepository)}`;
}

/**
 * True when an ECR destination is the source registry itself (same region, same account, no prefix):
 * copying there would write the image onto itself. With the source account unknown (environment-agnostic
 * synth), a destination without an account is the same account; one with an account cannot be decided (false).
 */
export function isSourceItself(
  destination: ReplicationDestination,
  source: { readonly account?: string; readonly region: string },
): boolean {
  if (
    destination.type !== 'ecr' ||
    destination.repositoryPrefix !== '' ||
    destination.region !== source.region
  )
    return false;
  if (destination.account === undefined) return true;
  return source.account !== undefined && destination.account === source.account;
}
