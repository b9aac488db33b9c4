import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ImageEvent } from '../domain/types';
import type { RuntimeConfig, RuntimeRepositoryConfig } from '../runtime/runtime-config';
import { ecrSignatureSource } from '../signing/ecr-source';
import { resolveSignaturePolicy } from '../signing/policy';
import type { SignatureSource } from '../signing/registry-source';
import { signedDigestOfReferrer, signedDigestOfTag } from '../signing/signature-push';
import { compileSigners } from '../signing/trust';
import type { TrustedSigner } from '../signing/types';
import { checkImageSignature, type SignatureOutcome } from '../signing/verify-image';
import type { ImageKey } from '../state/image-state';

/** Where an event's image lives: its registry (account, region) and repository. */
export interface RegistryRepository {
  readonly account: string;
  readonly region: string;
  readonly repository: string;
}

/** What the scan path needs to verify signatures: the compiled signers and a source per repository. */
export interface ScanSignatureDeps {
  readonly signers: readonly TrustedSigner[];
  /** The signature source of one repository (reused across events: it holds the registry token). */
  readonly source: (where: RegistryRepository) => SignatureSource;
}

/**
 * The function's wiring: signers compiled once from the runtime config, and one ECR signature source per
 * repository (registry API over HTTPS with an ECR token, cached for its 12 hours).
 */
export function ecrScanSignatures(config: Pick<RuntimeConfig, 'signers'>, ecr: ECRClient): ScanSignatureDeps {
  const signers = compileSigners(config.signers ?? {});
  const sources = new Map<string, SignatureSource>();
  return {
    signers,
    source: (where) => {
      const id = `${where.account}/${where.region}/${where.repository}`;
      let source = sources.get(id);
      if (!source) {
        source = ecrSignatureSource({
          accountId: where.account,
          region: where.region,
          repository: where.repository,
          ecr,
        });
        sources.set(id, source);
      }
      return source;
    },
  };
}

function required(deps: { signatures?: ScanSignatureDeps }, repository: string): ScanSignatureDeps {
  if (!deps.signatures) {
    throw new Error(
      `repository ${repository} has scan.requireSignature but the scan function has no signature verification wired`,
    );
  }
  return deps.signatures;
}

/**
 * Verifies the image's signatures against the repository's policy (the one implementation `harbormaster
 * verify` uses too); undefined, with no call, when the repository requires no signature.
 */
export async function signatureOf(
  key: ImageKey,
  event: { readonly account: string; readonly region: string },
  repository: RuntimeRepositoryConfig,
  deps: { readonly signatures?: ScanSignatureDeps; readonly now: () => Date },
): Promise<SignatureOutcome | undefined> {
  if (!repository.scan.requireSignature) return undefined;
  const signatures = required(deps, repository.name);
  const policy = resolveSignaturePolicy(repository.scan, signatures.signers);
  const source = signatures.source({
    account: event.account,
    region: event.region,
    repository: key.repository,
  });
  return checkImageSignature(source, { digest: key.digest, policy, now: deps.now() });
}

/**
 * The image a pushed signature belongs to: a cosign `sha256-<hex>.sig` tag (from the tag, no call), or a
 * manifest pushed by digest that is a Notation / Sigstore-bundle referrer (its subject, one registry read).
 * Undefined for anything else, and for repositories that require no signature (no call).
 */
export async function signedImageOf(
  event: ImageEvent,
  repository: RuntimeRepositoryConfig,
  deps: { readonly signatures?: ScanSignatureDeps },
): Promise<string | undefined> {
  if (!repository.scan.requireSignature) return undefined;
  const tag = event.tags[0];
  if (tag) return signedDigestOfTag(tag);
  const source = required(deps, repository.name).source({
    account: event.account,
    region: event.region,
    repository: event.repository,
  });
  return signedDigestOfReferrer(source, event.digest);
}
