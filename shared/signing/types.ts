import type { KeyObject, X509Certificate } from 'node:crypto';

/** Media types and annotation keys of the signature formats, as notation and cosign write them. */
export const SIGNATURE_MEDIA_TYPES = {
  notationSignature: 'application/vnd.cncf.notary.signature',
  notationPayload: 'application/vnd.cncf.notary.payload.v1+json',
  jwsEnvelope: 'application/jose+json',
  sigstoreBundle: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  inTotoPayload: 'application/vnd.in-toto+json',
} as const;
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

/** How a signature was stored: Notation JWS referrer, cosign `.sig` tag, or cosign 3 Sigstore bundle referrer. */
export type SignatureFormat = 'notation' | 'cosign' | 'cosign-bundle';

/** One signature found for an image and what verifying it gave. */
export interface SignatureCheck {
  readonly format: SignatureFormat;
  /** Where it was found: the signature manifest digest, or `<tag>#<layer>` for the cosign `.sig` tag. */
  readonly source: string;
  /** Who it says signed: the signing profile version ARN, the leaf subject, or the cosign key fingerprint. */
  readonly signer?: string;
  /** RFC 3339 signing time the signature carries (Notation; cosign keyed signatures carry none). */
  readonly signingTime?: string;
  /** The configured trusted signer it verified against (only when valid). */
  readonly trustedSigner?: string;
  readonly valid: boolean;
  /** Why it does not count (only when not valid). */
  readonly reason?: string;
}

/** An AWS Signer / Notation signer: certificates chaining to one of the anchors, optionally from listed profiles. */
export interface NotationSigner {
  readonly name: string;
  readonly type: 'notation';
  /**
   * Signing profile ARNs (any version) or profile version ARNs. Empty: any signature chaining to an anchor
   * counts (a private CA); AWS Signer signatures always need a listed profile.
   */
  readonly signingProfiles: readonly string[];
  readonly trustAnchors: readonly X509Certificate[];
}

/** A cosign key pair's public half (keyed signing; no Fulcio certificate, no Rekor). */
export interface CosignSigner {
  readonly name: string;
  readonly type: 'cosign';
  readonly publicKeys: readonly KeyObject[];
}

export type TrustedSigner = NotationSigner | CosignSigner;

/** What verifying needs besides the bytes: the image digest, the trusted signers and the time. */
export interface VerifyContext {
  /** The digest the signature must name (the index digest for a multi-arch image). */
  readonly digest: string;
  readonly signers: readonly TrustedSigner[];
  /** Now, for the Notation expiry header (injected; never the wall clock in tests). */
  readonly now: Date;
}
