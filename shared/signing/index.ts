/**
 * Offline signature verification (Notation / AWS Signer, cosign keyed, cosign 3 bundles) and the signature
 * policy. node:crypto only. Entry point for the verdict: checkImageSignature(source, {digest, policy, now}).
 */
export { verifyCosignBundle, verifyCosignSignature } from './cosign';
export { verifyNotation } from './notation';
export {
  decideSignature,
  resolveSignaturePolicy,
  SignaturePolicyError,
  type SignatureDecision,
  type SignaturePolicy,
  type SignaturePolicyConfig,
} from './policy';
export { registrySource, SignatureReadError, type SignatureSource } from './registry-source';
export { compileSigners, describeSigner, TrustConfigError, type TrustedSignerConfig } from './trust';
export type { SignatureCheck, SignatureFormat, TrustedSigner, VerifyContext } from './types';
export { checkImageSignature, verifyImageSignatures, type SignatureOutcome } from './verify-image';
export { ecrSignatureSource } from './ecr-source';
export { signedDigestOfReferrer, signedDigestOfTag } from './signature-push';
