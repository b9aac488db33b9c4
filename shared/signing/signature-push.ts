import type { SignatureSource } from './registry-source';
import { SIGNATURE_MEDIA_TYPES } from './types';

const SIG_TAG = /^sha256-([a-f0-9]{64})\.sig$/;
const SIGNATURE_TYPES = new Set<string>([
  SIGNATURE_MEDIA_TYPES.notationSignature,
  SIGNATURE_MEDIA_TYPES.sigstoreBundle,
]);

/**
 * The image a pushed cosign `.sig` tag signs, from the tag alone (no call): `sha256-<hex>.sig` -> `sha256:<hex>`.
 * Undefined for any other tag. Managed signing is asynchronous: this lets an image push event re-decide the
 * image the signature belongs to.
 */
export function signedDigestOfTag(tag: string | undefined): string | undefined {
  const match = tag ? SIG_TAG.exec(tag) : null;
  return match ? `sha256:${match[1]}` : undefined;
}

/**
 * The image a manifest pushed by digest signs, when it is a Notation signature or a Sigstore bundle referrer
 * (its `subject`); undefined for anything else (an image, an SBOM). One registry request.
 */
export async function signedDigestOfReferrer(
  source: SignatureSource,
  digest: string,
): Promise<string | undefined> {
  const manifest = await source.manifest(digest);
  const body = manifest?.body as
    { artifactType?: unknown; config?: { mediaType?: unknown }; subject?: { digest?: unknown } } | undefined;
  const type = typeof body?.artifactType === 'string' ? body.artifactType : body?.config?.mediaType;
  if (typeof type !== 'string' || !SIGNATURE_TYPES.has(type)) return undefined;
  const subject = body?.subject?.digest;
  return typeof subject === 'string' && /^sha256:[a-f0-9]{64}$/.test(subject) ? subject : undefined;
}
