import { createPublicKey } from 'node:crypto';
import { verifyCosignBundle, verifyCosignSignature } from '../../../shared/signing/cosign';
import { verifyNotation } from '../../../shared/signing/notation';
import { compileSigners, keyFingerprint } from '../../../shared/signing/trust';
import type { TrustedSigner, VerifyContext } from '../../../shared/signing/types';
import {
  cosignBundle,
  cosignKeys,
  cosignSign,
  digestOf,
  makePki,
  messageSignatureBundle,
  notationEnvelope,
  PROFILE,
  PROFILE_VERSION,
  simpleSigningPayload,
  type Pki,
} from './signing-fixtures';

const DIGEST = digestOf('image manifest');
const OTHER_DIGEST = digestOf('another image');
const SOURCE = digestOf('signature manifest');

let pki: Pki;
let strangerPki: Pki;
/** A moment inside every test certificate's validity (an hour after they were issued). */
let signingTime: Date;

beforeAll(async () => {
  [pki, strangerPki] = await Promise.all([makePki('Harbormaster'), makePki('Stranger')]);
  signingTime = new Date(new Date(pki.leaf.cert.validFrom).getTime() + 3600_000);
});
afterAll(async () => {
  await Promise.all([pki.cleanup(), strangerPki.cleanup()]);
});

function awsSigner(profiles: string[] = [PROFILE]): TrustedSigner[] {
  return compileSigners({
    'aws-signer': { type: 'notation', signingProfiles: profiles, trustAnchors: [pki.root.pem] },
  });
}

function context(signers: TrustedSigner[], overrides: Partial<VerifyContext> = {}): VerifyContext {
  return { digest: DIGEST, signers, now: signingTime, ...overrides };
}

function envelope(overrides: Partial<Parameters<typeof notationEnvelope>[0]> = {}): Buffer {
  return notationEnvelope({
    digest: DIGEST,
    signingTime,
    chain: [pki.leaf.cert, pki.intermediate.cert],
    key: pki.leaf.key,
    ...overrides,
  });
}

describe('verifyNotation (AWS Signer JWS envelopes)', () => {
  it('accepts a valid signature chaining to the anchor from a trusted profile', () => {
    // Act
    const check = verifyNotation(envelope(), context(awsSigner()), SOURCE);

    // Assess
    expect(check).toEqual({
      format: 'notation',
      source: SOURCE,
      signer: PROFILE_VERSION,
      signingTime: signingTime.toISOString(),
      valid: true,
      trustedSigner: 'aws-signer',
    });
  });

  it('accepts an exact profile version ARN and a chain that carries the root itself', () => {
    const chain = [pki.leaf.cert, pki.intermediate.cert, pki.root.cert];

    const check = verifyNotation(envelope({ chain }), context(awsSigner([PROFILE_VERSION])), SOURCE);

    expect(check.valid).toBe(true);
  });

  it('rejects a tampered payload', () => {
    const tampered = JSON.stringify({ targetArtifact: { digest: DIGEST, mediaType: 'x', size: 1 } });

    const check = verifyNotation(envelope({ tamperPayload: tampered }), context(awsSigner()), SOURCE);

    expect(check).toMatchObject({
      valid: false,
      reason: 'the JWS signature does not verify with the signing certificate (tampered)',
    });
  });

  it('rejects a signature for another digest', () => {
    const check = verifyNotation(envelope({ digest: OTHER_DIGEST }), context(awsSigner()), SOURCE);

    expect(check).toMatchObject({
      valid: false,
      reason: `the signature is for ${OTHER_DIGEST}, not ${DIGEST}`,
    });
  });

  it('rejects a signing time after the leaf expired', () => {
    const late = new Date(new Date(pki.leaf.cert.validTo).getTime() + 60_000);

    const check = verifyNotation(
      envelope({ signingTime: late }),
      context(awsSigner(), { now: late }),
      SOURCE,
    );

    expect(check.valid).toBe(false);
    expect(check.reason).toMatch(/^signing time .* is outside the validity of Harbormaster Signer \(/);
  });

  it('rejects a signing time before the leaf was issued', () => {
    const early = new Date(new Date(pki.leaf.cert.validFrom).getTime() - 86_400_000);

    const check = verifyNotation(envelope({ signingTime: early }), context(awsSigner()), SOURCE);

    expect(check.reason).toMatch(/is outside the validity of Harbormaster Signer/);
  });

  it('rejects a signature past its expiry header', () => {
    const expiry = new Date(signingTime.getTime() + 60_000);
    const now = new Date(signingTime.getTime() + 120_000);

    const check = verifyNotation(envelope({ expiry }), context(awsSigner(), { now }), SOURCE);

    expect(check).toMatchObject({ valid: false, reason: `the signature expired at ${expiry.toISOString()}` });
  });

  it('rejects a chain that does not lead to the configured anchor', () => {
    const chain = [strangerPki.leaf.cert, strangerPki.intermediate.cert];

    const check = verifyNotation(
      envelope({ chain, key: strangerPki.leaf.key }),
      context(awsSigner()),
      SOURCE,
    );

    expect(check).toMatchObject({
      valid: false,
      reason: 'the chain (Stranger Signer <- Stranger Intermediate) does not lead to a trusted root',
    });
  });

  it('rejects a chain whose leaf was not issued by the next certificate', () => {
    const chain = [strangerPki.leaf.cert, pki.intermediate.cert];

    const check = verifyNotation(
      envelope({ chain, key: strangerPki.leaf.key }),
      context(awsSigner()),
      SOURCE,
    );

    expect(check.reason).toBe(
      'Stranger Signer is not signed by the next certificate in the chain, Harbormaster Intermediate',
    );
  });

  it('rejects a leaf that is not a code-signing certificate', () => {
    const chain = [pki.tlsLeaf.cert, pki.intermediate.cert];

    const check = verifyNotation(envelope({ chain, key: pki.tlsLeaf.key }), context(awsSigner()), SOURCE);

    expect(check.reason).toBe(
      'the signing certificate Harbormaster TLS is not for code signing (extended key usage)',
    );
  });

  it('rejects a profile the repository does not trust', () => {
    const other = 'arn:aws:signer:eu-west-1:111122223333:/signing-profiles/someone_else';

    const check = verifyNotation(envelope(), context(awsSigner([other])), SOURCE);

    expect(check).toMatchObject({
      valid: false,
      signer: PROFILE_VERSION,
      reason: `signing profile ${PROFILE_VERSION} is not ${other}`,
    });
  });

  it('refuses to trust the AWS root alone for an AWS Signer signature (any account chains to it)', () => {
    const check = verifyNotation(envelope(), context(awsSigner([])), SOURCE);

    expect(check.reason).toBe(
      'trusted signer aws-signer lists no signing profile, which AWS Signer signatures need',
    );
  });

  it('accepts a plain notary.x509 signature from a private CA without profiles', () => {
    const signed = envelope({ awsSigner: false });

    const check = verifyNotation(signed, context(awsSigner([])), SOURCE);

    expect(check).toMatchObject({ valid: true, signer: 'Harbormaster Signer', trustedSigner: 'aws-signer' });
  });

  it('rejects an alg that does not match the leaf key (algorithm substitution)', () => {
    const check = verifyNotation(envelope({ alg: 'ES256' }), context(awsSigner()), SOURCE);

    expect(check.reason).toBe("alg ES256 does not match the signing certificate's ec secp384r1 key");
  });

  it('reports an envelope that is not JWS', () => {
    const check = verifyNotation(Buffer.from('{"payload":1}'), context(awsSigner()), SOURCE);

    expect(check).toEqual({
      format: 'notation',
      source: SOURCE,
      valid: false,
      reason: 'the envelope is not a flattened JWS (protected, payload, signature in base64url)',
    });
  });

  it('says so when the repository trusts no Notation signer', () => {
    const check = verifyNotation(envelope(), context([]), SOURCE);

    expect(check.reason).toBe('no Notation signer is trusted for this image');
  });
});

describe('verifyCosignSignature (keyed .sig tag)', () => {
  const keys = cosignKeys();
  const signers = compileSigners({ ci: { type: 'cosign', publicKeys: [keys.publicPem] } });
  const fingerprint = keyFingerprint(createPublicKey(keys.publicPem));
  const payload = simpleSigningPayload('registry.example/payments/api', DIGEST);

  it('accepts a payload signed by a trusted key', () => {
    const check = verifyCosignSignature(
      payload,
      cosignSign(payload, keys.privateKey),
      context(signers),
      'tag#0',
    );

    expect(check).toEqual({
      format: 'cosign',
      source: 'tag#0',
      signer: fingerprint,
      valid: true,
      trustedSigner: 'ci',
    });
  });

  it('rejects a tampered payload', () => {
    const signature = cosignSign(payload, keys.privateKey);
    const tampered = simpleSigningPayload('registry.example/payments/api', OTHER_DIGEST);

    const check = verifyCosignSignature(tampered, signature, context(signers), 'tag#0');

    expect(check).toMatchObject({
      valid: false,
      reason: 'the signature does not verify with any trusted cosign key (tampered, or another key)',
    });
  });

  it('rejects a valid signature of another digest', () => {
    const other = simpleSigningPayload('registry.example/payments/api', OTHER_DIGEST);

    const check = verifyCosignSignature(other, cosignSign(other, keys.privateKey), context(signers), 'tag#0');

    expect(check).toMatchObject({
      valid: false,
      signer: fingerprint,
      reason: `the signature is for ${OTHER_DIGEST}, not ${DIGEST}`,
    });
  });

  it('rejects a signature by an untrusted key', () => {
    const stranger = cosignKeys();

    const check = verifyCosignSignature(
      payload,
      cosignSign(payload, stranger.privateKey),
      context(signers),
      'tag#0',
    );

    expect(check.valid).toBe(false);
  });
});

describe('verifyCosignBundle (cosign 3 Sigstore bundle referrer)', () => {
  const keys = cosignKeys();
  const signers = compileSigners({ ci: { type: 'cosign', publicKeys: [keys.publicPem] } });

  it('accepts a DSSE bundle with the cosign/sign/v1 statement for the digest', () => {
    const check = verifyCosignBundle(cosignBundle(DIGEST, keys.privateKey), context(signers), SOURCE);

    expect(check).toMatchObject({ format: 'cosign-bundle', valid: true, trustedSigner: 'ci' });
  });

  it('rejects a tampered statement', () => {
    const check = verifyCosignBundle(
      cosignBundle(DIGEST, keys.privateKey, { tamper: true }),
      context(signers),
      SOURCE,
    );

    expect(check.reason).toBe(
      'the signature does not verify with any trusted cosign key (tampered, or another key)',
    );
  });

  it('rejects a bundle for another digest', () => {
    const check = verifyCosignBundle(cosignBundle(OTHER_DIGEST, keys.privateKey), context(signers), SOURCE);

    expect(check.reason).toBe(`the statement's subjects do not include ${DIGEST}`);
  });

  it('does not count an attestation as a signature', () => {
    const bundle = cosignBundle(DIGEST, keys.privateKey, { predicateType: 'https://slsa.dev/provenance/v1' });

    const check = verifyCosignBundle(bundle, context(signers), SOURCE);

    expect(check.reason).toBe(
      'an attestation (predicateType https://slsa.dev/provenance/v1), not an image signature',
    );
  });

  it('verifies a message signature over the image manifest bytes', () => {
    const manifest = Buffer.from('{"schemaVersion":2}');
    const digest = digestOf('{"schemaVersion":2}');

    const check = verifyCosignBundle(
      messageSignatureBundle(manifest, keys.privateKey),
      context(signers, { digest }),
      SOURCE,
      manifest,
    );

    expect(check).toMatchObject({ valid: true, trustedSigner: 'ci' });
  });

  it('reports keyless bundles as not verifiable offline', () => {
    const keyless = Buffer.from(
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        verificationMaterial: { certificate: { rawBytes: 'AAAA' } },
        dsseEnvelope: {},
      }),
    );

    const check = verifyCosignBundle(keyless, context(signers), SOURCE);

    expect(check.reason).toBe(
      'a keyless bundle (Fulcio certificate): only keyed cosign signatures are verified offline',
    );
  });
});

describe('compileSigners', () => {
  it('names the field of a PEM that does not parse', () => {
    expect(() =>
      compileSigners({
        bad: { type: 'cosign', publicKeys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'] },
      }),
    ).toThrow(/^signing\.signers\.bad\.publicKeys\.0: public key does not parse/);
  });

  it('names the field of a trust anchor that is not a certificate', () => {
    expect(() => compileSigners({ aws: { type: 'notation', trustAnchors: ['not a pem'] } })).toThrow(
      'signing.signers.aws.trustAnchors.0: expected a PEM certificate (-----BEGIN CERTIFICATE-----)',
    );
  });
});
