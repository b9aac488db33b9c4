import { describeSigner } from './trust';
import type { SignatureCheck, TrustedSigner } from './types';

/** A repository's signature policy, with its trusted signers resolved (compiled once from the config). */
export interface SignaturePolicy {
  readonly requireSignature: boolean;
  readonly signers: readonly TrustedSigner[];
}

/** The signature part of a verdict. */
export interface SignatureDecision {
  readonly result: 'pass' | 'fail';
  /** One line: which signer was expected and what was found. */
  readonly reason: string;
  /** The valid signature that passed the image, when there is one. */
  readonly accepted?: SignatureCheck;
}

/** The repository's scan-policy fields this module reads (shared/config/schema.ts scanPolicySchema). */
export interface SignaturePolicyConfig {
  readonly requireSignature?: boolean;
  readonly trustedSigners?: readonly string[];
}

/** Thrown when a repository names a trusted signer the config does not define (the config check prevents it). */
export class SignaturePolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignaturePolicyError';
  }
}

/** Resolves a repository's `trustedSigners` names against the compiled `signing.signers`. */
export function resolveSignaturePolicy(
  scan: SignaturePolicyConfig,
  signers: readonly TrustedSigner[],
): SignaturePolicy {
  const byName = new Map(signers.map((signer) => [signer.name, signer]));
  const resolved = (scan.trustedSigners ?? []).map((name) => {
    const signer = byName.get(name);
    if (!signer) throw new SignaturePolicyError(`trusted signer "${name}" is not defined in signing.signers`);
    return signer;
  });
  return { requireSignature: scan.requireSignature === true, signers: resolved };
}

const SHOWN = 3;

function describeCheck(check: SignatureCheck): string {
  const by = check.signer ? ` by ${check.signer}` : '';
  return `${check.format} ${check.source}${by} (${check.reason ?? 'valid'})`;
}

/**
 * Decides the signature part of a verdict from the verified signatures of the image's digest: with
 * `requireSignature`, a pass needs one valid signature from a trusted signer. Pure: the checks were made by
 * verifyImageSignatures (or any caller that verified the same way).
 */
export function decideSignature(
  policy: SignaturePolicy,
  checks: readonly SignatureCheck[],
): SignatureDecision {
  const trusted = new Set(policy.signers.map((signer) => signer.name));
  const accepted = checks.find(
    (check) => check.valid && check.trustedSigner && trusted.has(check.trustedSigner),
  );
  if (!policy.requireSignature) {
    return {
      result: 'pass',
      reason: accepted
        ? `no signature required (signed by ${accepted.trustedSigner})`
        : 'no signature required',
      ...(accepted ? { accepted } : {}),
    };
  }
  if (policy.signers.length === 0) {
    return { result: 'fail', reason: 'a signature is required but the repository trusts no signer' };
  }
  if (accepted) {
    const when = accepted.signingTime ? ` at ${accepted.signingTime}` : '';
    return {
      result: 'pass',
      reason: `signed by ${accepted.trustedSigner} (${accepted.format}, ${accepted.signer ?? 'unknown signer'}${when})`,
      accepted,
    };
  }
  const expected = `expected a signature from ${policy.signers.map(describeSigner).join(' or ')}`;
  if (checks.length === 0) return { result: 'fail', reason: `${expected}; found no signature` };
  const shown = checks.slice(0, SHOWN).map(describeCheck).join('; ');
  const more = checks.length > SHOWN ? `; and ${checks.length - SHOWN} more` : '';
  const count = checks.length === 1 ? '1 signature' : `${checks.length} signatures`;
  return { result: 'fail', reason: `${expected}; found ${count}, none valid: ${shown}${more}` };
}
