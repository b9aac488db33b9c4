import type { Descriptor } from '../oci/manifest';
import { bundleNeedsManifest, verifyCosignBundle, verifyCosignSignature } from './cosign';
import { verifyNotation } from './notation';
import { decideSignature, type SignatureDecision, type SignaturePolicy } from './policy';
import {
  SignatureReadError,
  type FetchedManifest,
  type ReferrerDescriptor,
  type SignatureSource,
} from './registry-source';
import {
  COSIGN_SIGNATURE_ANNOTATION,
  SIGNATURE_MEDIA_TYPES,
  type SignatureCheck,
  type VerifyContext,
} from './types';

const SIGNATURE_TYPES = new Set<string>([
  SIGNATURE_MEDIA_TYPES.notationSignature,
  SIGNATURE_MEDIA_TYPES.sigstoreBundle,
]);
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** `sha256-<hex>`: the referrers tag schema's tag for a digest; cosign's `.sig` tag appends `.sig`. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

/**
 * The image's referrers: the referrers API, or the referrers tag schema index when the registry has no API
 * (Debian's docker-registry, older registries), where clients read-modify-write `sha256-<hex>`.
 */
async function listReferrers(source: SignatureSource, digest: string): Promise<ReferrerDescriptor[]> {
  const viaApi = await source.referrers(digest);
  if (viaApi) return viaApi;
  const index = await source.manifest(referrersTag(digest));
  const manifests = index?.body.manifests;
  return Array.isArray(manifests) ? (manifests as ReferrerDescriptor[]) : [];
}

function artifactTypeOf(manifest: FetchedManifest): string | undefined {
  const body = manifest.body as { artifactType?: unknown; config?: { mediaType?: unknown } };
  if (typeof body.artifactType === 'string') return body.artifactType;
  // Notation before OCI 1.1 artifactType put the type in the config media type.
  return typeof body.config?.mediaType === 'string' ? body.config.mediaType : undefined;
}

function layers(manifest: FetchedManifest): Descriptor[] {
  const list = (manifest.body as { layers?: unknown }).layers;
  return Array.isArray(list) ? (list as Descriptor[]) : [];
}

/** A blob that is gone is a broken signature (reported), not a registry failure (thrown). */
async function readLayer(source: SignatureSource, layer: Descriptor): Promise<Buffer | string> {
  try {
    return await source.blob(layer);
  } catch (error) {
    const status = ((error as SignatureReadError).cause as { status?: number } | undefined)?.status;
    if (status === 404) return `its blob ${layer.digest} is missing`;
    throw error;
  }
}

/** Verifies one referrer that is a Notation signature or a Sigstore bundle; undefined for other artifacts. */
async function checkReferrer(
  source: SignatureSource,
  descriptor: ReferrerDescriptor,
  context: VerifyContext,
  imageManifest: () => Promise<Buffer | undefined>,
): Promise<SignatureCheck | undefined> {
  if (descriptor.artifactType !== undefined && !SIGNATURE_TYPES.has(descriptor.artifactType))
    return undefined;
  if (typeof descriptor.digest !== 'string' || !DIGEST.test(descriptor.digest)) return undefined;
  const manifest = await source.manifest(descriptor.digest);
  const type = manifest ? artifactTypeOf(manifest) : descriptor.artifactType;
  if (!type || !SIGNATURE_TYPES.has(type)) return undefined;
  const format = type === SIGNATURE_MEDIA_TYPES.notationSignature ? 'notation' : 'cosign-bundle';
  const broken = (reason: string): SignatureCheck => ({
    format,
    source: descriptor.digest,
    valid: false,
    reason,
  });
  if (!manifest) return broken('the signature manifest listed as a referrer is missing');
  // The tag-schema index is written by clients: only the manifest's own subject says what it signs.
  const subject = (manifest.body as { subject?: { digest?: unknown } }).subject?.digest;
  if (subject !== context.digest) return broken(`its subject is ${String(subject)}, not ${context.digest}`);
  const layerType =
    format === 'notation' ? SIGNATURE_MEDIA_TYPES.jwsEnvelope : SIGNATURE_MEDIA_TYPES.sigstoreBundle;
  const layer = layers(manifest).find((l) => l.mediaType === layerType);
  if (!layer) return broken(`the signature manifest has no ${layerType} layer`);
  const bytes = await readLayer(source, layer);
  if (typeof bytes === 'string') return broken(bytes);
  if (format === 'notation') return verifyNotation(bytes, context, descriptor.digest);
  const manifestBytes = bundleNeedsManifest(bytes) ? await imageManifest() : undefined;
  return verifyCosignBundle(bytes, context, descriptor.digest, manifestBytes);
}

/** Verifies every simple-signing layer of the cosign `sha256-<hex>.sig` tag. */
async function checkCosignTag(source: SignatureSource, context: VerifyContext): Promise<SignatureCheck[]> {
  const tag = `${referrersTag(context.digest)}.sig`;
  const manifest = await source.manifest(tag);
  if (!manifest) return [];
  const signatureLayers = layers(manifest).filter(
    (l) => l.mediaType === SIGNATURE_MEDIA_TYPES.cosignSimpleSigning,
  );
  const checks: SignatureCheck[] = [];
  for (const [i, layer] of signatureLayers.entries()) {
    const where = `${tag}#${i}`;
    const payload = await readLayer(source, layer);
    if (typeof payload === 'string') {
      checks.push({ format: 'cosign', source: where, valid: false, reason: payload });
      continue;
    }
    const annotations = (layer as { annotations?: Record<string, string> }).annotations;
    checks.push(verifyCosignSignature(payload, annotations?.[COSIGN_SIGNATURE_ANNOTATION], context, where));
  }
  return checks;
}

/**
 * Lists and verifies every signature of one digest: Notation and Sigstore-bundle referrers (referrers API, else
 * the `sha256-<hex>` tag) and the cosign `.sig` tag. A signature counts for the digest it names: for a multi-arch
 * image, verify the index digest (the one its tags point at). Registry failures throw SignatureReadError; a
 * signature that is broken or untrusted is a check with `valid: false` and its reason.
 */
export async function verifyImageSignatures(
  source: SignatureSource,
  context: VerifyContext,
): Promise<SignatureCheck[]> {
  if (!DIGEST.test(context.digest))
    throw new SignatureReadError(`"${context.digest}" is not a sha256 digest`);
  let manifestBytes: Promise<Buffer | undefined> | undefined;
  const imageManifest = () => {
    manifestBytes ??= source.manifest(context.digest).then((m) => m?.bytes);
    return manifestBytes;
  };
  const [referrers, cosign] = await Promise.all([
    listReferrers(source, context.digest),
    checkCosignTag(source, context),
  ]);
  const seen = new Set<string>();
  const unique = referrers.filter((d) => !seen.has(d.digest) && seen.add(d.digest));
  const fromReferrers = await Promise.all(
    unique.map((d) => checkReferrer(source, d, context, imageManifest)),
  );
  return [...fromReferrers.filter((c): c is SignatureCheck => c !== undefined), ...cosign];
}

/** What the scan path gets back: the decision for the verdict and the checks behind it (for audit and alerts). */
export interface SignatureOutcome {
  readonly decision: SignatureDecision;
  readonly checks: readonly SignatureCheck[];
  /** Registry requests made (0 when no signature is required). */
  readonly requests: number;
}

/**
 * The one entry point for the scan function, gate, promote, backfill and the replicator: verifies the
 * digest's signatures against the repository's policy and decides. A repository that does not require a
 * signature costs no registry request.
 */
export async function checkImageSignature(
  source: SignatureSource,
  input: { digest: string; policy: SignaturePolicy; now: Date },
): Promise<SignatureOutcome> {
  if (!input.policy.requireSignature) {
    return { decision: decideSignature(input.policy, []), checks: [], requests: 0 };
  }
  const before = source.requests;
  const checks = await verifyImageSignatures(source, {
    digest: input.digest,
    signers: input.policy.signers,
    now: input.now,
  });
  return { decision: decideSignature(input.policy, checks), checks, requests: source.requests - before };
}
