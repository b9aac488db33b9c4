import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { TrustedSigner } from './types';

/** A trusted signer as the config writes it: PEM text, compiled once into keys and certificates. */
export type TrustedSignerConfig =
  | { type: 'notation'; signingProfiles?: readonly string[]; trustAnchors: readonly string[] }
  | { type: 'cosign'; publicKeys: readonly string[] };

/** Thrown when a configured PEM does not parse; `field` names where it is. */
export class TrustConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(`${field}: ${message}`, options);
    this.name = 'TrustConfigError';
    this.field = field;
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g;

/** Every PEM block of one kind in a text (a trust anchor entry may hold a bundle of certificates). */
function pemBlocks(text: string, kind: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].filter((m) => m[1] === kind).map((m) => m[0]);
}

/** Parses the certificates of a PEM text; a clear error naming the field when there is none or one is bad. */
export function parseCertificates(text: string, field: string): X509Certificate[] {
  const blocks = pemBlocks(text, 'CERTIFICATE');
  if (blocks.length === 0)
    throw new TrustConfigError(field, 'expected a PEM certificate (-----BEGIN CERTIFICATE-----)');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new TrustConfigError(field, `certificate ${i + 1} does not parse (${(error as Error).message})`, {
        cause: error,
      });
    }
  });
}

/** Parses one PEM public key (what `cosign generate-key-pair` writes to cosign.pub). */
export function parsePublicKey(text: string, field: string): KeyObject {
  const [block] = pemBlocks(text, 'PUBLIC KEY');
  if (!block) throw new TrustConfigError(field, 'expected a PEM public key (-----BEGIN PUBLIC KEY-----)');
  try {
    return createPublicKey(block);
  } catch (error) {
    throw new TrustConfigError(field, `public key does not parse (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** `sha256:<first 16 hex>` of a key's SubjectPublicKeyInfo: how a cosign key is named in results. */
export function keyFingerprint(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
}

/**
 * Compiles the config's trusted signers (`signing.signers`) once: parse at module init, not per event.
 * `path` prefixes the field names of errors (e.g. `signing.signers`).
 */
export function compileSigners(
  signers: Readonly<Record<string, TrustedSignerConfig>>,
  path = 'signing.signers',
): TrustedSigner[] {
  return Object.entries(signers).map(([name, signer]): TrustedSigner => {
    const at = `${path}.${name}`;
    if (signer.type === 'notation') {
      return {
        name,
        type: 'notation',
        signingProfiles: [...(signer.signingProfiles ?? [])],
        trustAnchors: signer.trustAnchors.flatMap((pem, i) =>
          parseCertificates(pem, `${at}.trustAnchors.${i}`),
        ),
      };
    }
    return {
      name,
      type: 'cosign',
      publicKeys: signer.publicKeys.map((pem, i) => parsePublicKey(pem, `${at}.publicKeys.${i}`)),
    };
  });
}

/** One line naming a signer for reasons: `aws-signer (AWS Signer profile arn:...)`. */
export function describeSigner(signer: TrustedSigner): string {
  if (signer.type === 'cosign') {
    return `${signer.name} (cosign key ${signer.publicKeys.map(keyFingerprint).join(', ')})`;
  }
  if (signer.signingProfiles.length > 0) {
    return `${signer.name} (Notation, signing profile ${signer.signingProfiles.join(', ')})`;
  }
  const anchors = signer.trustAnchors.map((cert) => subjectName(cert)).join(', ');
  return `${signer.name} (Notation, certificates issued under ${anchors})`;
}

/** The CN of a certificate subject, or the whole subject when it has no CN. */
export function subjectName(cert: X509Certificate): string {
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject);
  return cn ? cn[1] : cert.subject.replace(/\n/g, ', ');
}
