import { generateKeyPairSync } from 'node:crypto';
import {
  decideSignature,
  resolveSignaturePolicy,
  SignaturePolicyError,
  type SignaturePolicy,
} from '../../../shared/signing/policy';
import { keyFingerprint } from '../../../shared/signing/trust';
import type { SignatureCheck, TrustedSigner } from '../../../shared/signing/types';

const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
const CI: TrustedSigner = { name: 'ci', type: 'cosign', publicKeys: [key] };
const AWS: TrustedSigner = {
  name: 'aws-signer',
  type: 'notation',
  signingProfiles: ['arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release'],
  trustAnchors: [],
};
const VALID: SignatureCheck = {
  format: 'notation',
  source: 'sha256:aaa',
  signer: 'arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/v1',
  signingTime: '2026-11-30T10:00:00.000Z',
  valid: true,
  trustedSigner: 'aws-signer',
};
const UNTRUSTED: SignatureCheck = {
  format: 'cosign',
  source: 'sha256-abc.sig#0',
  valid: false,
  reason: 'the signature does not verify with any trusted cosign key (tampered, or another key)',
};

const required = (signers: TrustedSigner[]): SignaturePolicy => ({ requireSignature: true, signers });

describe('decideSignature', () => {
  it('passes a required signature with the signer and signing time in the reason', () => {
    const decision = decideSignature(required([AWS, CI]), [UNTRUSTED, VALID]);

    expect(decision).toEqual({
      result: 'pass',
      reason:
        'signed by aws-signer (notation, arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release/v1 at 2026-11-30T10:00:00.000Z)',
      accepted: VALID,
    });
  });

  it('fails an unsigned image naming the expected signers', () => {
    const decision = decideSignature(required([AWS, CI]), []);

    expect(decision).toEqual({
      result: 'fail',
      reason:
        'expected a signature from aws-signer (Notation, signing profile arn:aws:signer:eu-west-1:111122223333:/signing-profiles/release)' +
        ` or ci (cosign key ${keyFingerprint(key)}); found no signature`,
    });
  });

  it('fails with what was found when no signature is valid', () => {
    const decision = decideSignature(required([CI]), [UNTRUSTED]);

    expect(decision.result).toBe('fail');
    expect(decision.reason).toBe(
      `expected a signature from ci (cosign key ${keyFingerprint(key)}); found 1 signature, none valid: ` +
        'cosign sha256-abc.sig#0 (the signature does not verify with any trusted cosign key (tampered, or another key))',
    );
  });

  it('shows at most three signatures and counts the rest', () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ ...UNTRUSTED, source: `s${i}` }));

    const decision = decideSignature(required([CI]), many);

    expect(decision.reason).toMatch(/found 5 signatures, none valid: .*s2 .*; and 2 more$/);
  });

  it('passes without reading signatures when none is required', () => {
    expect(decideSignature({ requireSignature: false, signers: [] }, [])).toEqual({
      result: 'pass',
      reason: 'no signature required',
    });
  });

  it('fails when a signature is required but no signer is trusted', () => {
    expect(decideSignature(required([]), [VALID])).toEqual({
      result: 'fail',
      reason: 'a signature is required but the repository trusts no signer',
    });
  });

  it('does not count a valid signature from a signer the repository does not trust', () => {
    const decision = decideSignature(required([CI]), [VALID]);

    expect(decision.result).toBe('fail');
  });
});

describe('resolveSignaturePolicy', () => {
  it('resolves trusted signer names in the order the repository lists them', () => {
    const policy = resolveSignaturePolicy({ requireSignature: true, trustedSigners: ['ci', 'aws-signer'] }, [
      AWS,
      CI,
    ]);

    expect(policy).toEqual({ requireSignature: true, signers: [CI, AWS] });
  });

  it('defaults to no signature required', () => {
    expect(resolveSignaturePolicy({}, [AWS])).toEqual({ requireSignature: false, signers: [] });
  });

  it('throws for a name signing.signers does not define', () => {
    expect(() => resolveSignaturePolicy({ trustedSigners: ['nobody'] }, [AWS])).toThrow(
      new SignaturePolicyError('trusted signer "nobody" is not defined in signing.signers'),
    );
  });
});
