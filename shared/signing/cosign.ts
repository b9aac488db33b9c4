import { createHash, verify, type KeyObject } from 'node:crypto';
import { keyFingerprint } from './trust';
import type { CosignSigner, SignatureCheck, SignatureFormat, VerifyContext } from './types';

/** `critical.type` of a cosign simple-signing payload (cosign 3 prints its bundle claims with the second). */
const SIMPLE_SIGNING_TYPES = new Set([
  'cosign container image signature',
  'https://sigstore.dev/cosign/sign/v1',
]);
/** The in-toto predicate cosign 3 signs for `cosign sign` (other predicates are attestations, not signatures). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';

function json(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function base64(text: unknown): Buffer | undefined {
  return typeof text === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length > 0
    ? Buffer.from(text, 'base64')
    : undefined;
}

/** Ed25519 keys hash internally; ECDSA and RSA (PKCS#1 v1.5) keys sign a SHA-256 digest, as cosign does. */
function verifies(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    return verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, key, signature);
  } catch {
    // A signature of the wrong shape for this key type (e.g. an RSA signature against an EC key).
    return false;
  }
}

/** The first trusted cosign key that verifies one of the signatures, with its signer's name. */
function matchKey(
  signers: readonly CosignSigner[],
  data: Buffer,
  signatures: Buffer[],
): { signer: CosignSigner; key: KeyObject } | undefined {
  for (const signer of signers) {
    for (const key of signer.publicKeys) {
      if (signatures.some((signature) => verifies(key, data, signature))) return { signer, key };
    }
  }
  return undefined;
}

function cosignSigners(context: VerifyContext): CosignSigner[] {
  return context.signers.filter((s): s is CosignSigner => s.type === 'cosign');
}

const NO_KEY = 'no cosign key is trusted for this image';
const NOT_VERIFIED = 'the signature does not verify with any trusted cosign key (tampered, or another key)';

/**
 * Verifies a keyed cosign signature from the `sha256-<hex>.sig` tag: the layer's simple-signing payload and the
 * base64 signature of its `dev.cosignproject.cosign/signature` annotation, against the trusted public keys.
 */
export function verifyCosignSignature(
  payload: Buffer,
  signatureText: string | undefined,
  context: VerifyContext,
  source: string,
): SignatureCheck {
  const base = { format: 'cosign' as const, source };
  const signature = base64(signatureText);
  if (!signature) return { ...base, valid: false, reason: 'the layer has no base64 signature annotation' };
  const signers = cosignSigners(context);
  if (signers.length === 0) return { ...base, valid: false, reason: NO_KEY };
  const match = matchKey(signers, payload, [signature]);
  if (!match) return { ...base, valid: false, reason: NOT_VERIFIED };
  const signed = { ...base, signer: keyFingerprint(match.key) };
  const critical = (json(payload)?.critical ?? {}) as {
    type?: unknown;
    image?: { 'docker-manifest-digest'?: unknown };
  };
  if (typeof critical.type !== 'string' || !SIMPLE_SIGNING_TYPES.has(critical.type)) {
    return {
      ...signed,
      valid: false,
      reason: `payload type ${JSON.stringify(critical.type)} is not a cosign image signature`,
    };
  }
  const digest = critical.image?.['docker-manifest-digest'];
  if (digest !== context.digest) {
    return {
      ...signed,
      valid: false,
      reason: `the signature is for ${String(digest)}, not ${context.digest}`,
    };
  }
  return { ...signed, valid: true, trustedSigner: match.signer.name };
}

/** DSSE's pre-authentication encoding: what a DSSE signature signs. */
export function dssePae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

/** Whether a Sigstore bundle signs a message (the image manifest) and so needs the manifest bytes to verify. */
export function bundleNeedsManifest(bundle: Buffer): boolean {
  return json(bundle)?.messageSignature !== undefined;
}

/**
 * Verifies a cosign 3 Sigstore bundle (v0.3, stored as a referrer) with the trusted keys, offline: a DSSE
 * envelope whose in-toto statement names the image with the `cosign/sign/v1` predicate, or a message signature
 * over the image manifest itself. Keyless bundles (Fulcio certificate, Rekor entry) are reported, not trusted.
 */
export function verifyCosignBundle(
  bundleBytes: Buffer,
  context: VerifyContext,
  source: string,
  imageManifest?: Buffer,
): SignatureCheck {
  const format: SignatureFormat = 'cosign-bundle';
  const base = { format, source };
  const fail = (reason: string, signer?: string): SignatureCheck => ({
    ...base,
    ...(signer ? { signer } : {}),
    valid: false,
    reason,
  });
  const bundle = json(bundleBytes);
  if (
    !bundle ||
    typeof bundle.mediaType !== 'string' ||
    !bundle.mediaType.startsWith('application/vnd.dev.sigstore.bundle')
  ) {
    return fail('not a Sigstore bundle (mediaType application/vnd.dev.sigstore.bundle.v0.3+json)');
  }
  const material = (bundle.verificationMaterial ?? {}) as Record<string, unknown>;
  if (material.certificate !== undefined || material.x509CertificateChain !== undefined) {
    return fail('a keyless bundle (Fulcio certificate): only keyed cosign signatures are verified offline');
  }
  const signers = cosignSigners(context);
  if (signers.length === 0) return fail(NO_KEY);
  const hex = context.digest.replace(/^sha256:/, '');

  if (bundle.dsseEnvelope !== undefined) {
    const envelope = bundle.dsseEnvelope as {
      payload?: unknown;
      payloadType?: unknown;
      signatures?: unknown;
    };
    const payload = base64(envelope.payload);
    const signatures = (Array.isArray(envelope.signatures) ? envelope.signatures : [])
      .map((s) => base64((s as { sig?: unknown })?.sig))
      .filter((s): s is Buffer => s !== undefined);
    if (!payload || typeof envelope.payloadType !== 'string' || signatures.length === 0) {
      return fail('the DSSE envelope needs a payload, a payloadType and a signature');
    }
    const match = matchKey(signers, dssePae(envelope.payloadType, payload), signatures);
    if (!match) return fail(NOT_VERIFIED);
    const signer = keyFingerprint(match.key);
    const statement = json(payload) ?? {};
    const subjects = Array.isArray(statement.subject) ? statement.subject : [];
    const named = subjects.some((s) => (s as { digest?: { sha256?: unknown } })?.digest?.sha256 === hex);
    if (!named) return fail(`the statement's subjects do not include ${context.digest}`, signer);
    if (statement.predicateType !== COSIGN_SIGN_PREDICATE) {
      return fail(
        `an attestation (predicateType ${String(statement.predicateType)}), not an image signature`,
        signer,
      );
    }
    return { ...base, signer, valid: true, trustedSigner: match.signer.name };
  }

  if (bundle.messageSignature !== undefined) {
    const message = bundle.messageSignature as {
      messageDigest?: { algorithm?: unknown; digest?: unknown };
      signature?: unknown;
    };
    const signature = base64(message.signature);
    const digest = base64(message.messageDigest?.digest);
    if (!signature || message.messageDigest?.algorithm !== 'SHA2_256' || !digest) {
      return fail('the message signature needs a SHA2_256 message digest and a signature');
    }
    if (digest.toString('hex') !== hex)
      return fail(`the signature is for sha256:${digest.toString('hex')}, not ${context.digest}`);
    if (!imageManifest || createHash('sha256').update(imageManifest).digest('hex') !== hex) {
      return fail(`the image manifest of ${context.digest} is needed to verify a message signature`);
    }
    const match = matchKey(signers, imageManifest, [signature]);
    if (!match) return fail(NOT_VERIFIED);
    return { ...base, signer: keyFingerprint(match.key), valid: true, trustedSigner: match.signer.name };
  }
  return fail('the bundle has neither a DSSE envelope nor a message signature');
}
