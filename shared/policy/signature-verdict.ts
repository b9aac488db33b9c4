import type { SignatureDecision } from '../signing/policy';
import type { SignatureRecord, StoredVerdict } from '../state/image-state';

/**
 * The signature policy's part of a verdict, pure. A repository with `scan.requireSignature` passes an image
 * only when its scan passes and a trusted signer signed its digest (the index digest for a multi-arch image);
 * the signature result is folded into the one verdict the scan path records, so everything that reads it
 * (gate, promote, backfill, the replicator) applies the same policy.
 */

/** The verdict as the scan alone decided it (a verdict without a signature part is returned as is). */
export function scanVerdictOf(verdict: StoredVerdict): StoredVerdict {
  if (!verdict.signature) return verdict;
  const { signature, ...rest } = verdict;
  return { ...rest, result: signature.scan.result, reason: signature.scan.reason };
}

/** Strips the `pass: ` / `fail: ` a scan reason starts with. */
function body(reason: string): string {
  return reason.replace(/^(pass|fail): /, '');
}

/** A signature check's outcome as a verdict records it (from shared/signing's SignatureDecision). */
export interface SignaturePart {
  readonly result: 'pass' | 'fail';
  readonly reason: string;
  readonly trustedSigner?: string;
  /** Signatures found, valid or not. */
  readonly found: number;
}

/** The part of a signing decision and its checks that a verdict keeps. */
export function signaturePart(decision: SignatureDecision, found: number): SignaturePart {
  return {
    result: decision.result,
    reason: decision.reason,
    ...(decision.accepted?.trustedSigner ? { trustedSigner: decision.accepted.trustedSigner } : {}),
    found,
  };
}

/**
 * Folds a signature check into a scan verdict (or into a verdict that already has one: its scan part is
 * kept, its signature part replaced). `event` is the event that checked the signatures.
 */
export function withSignature(
  verdict: StoredVerdict,
  part: SignaturePart,
  event: { readonly id: string; readonly time: string },
): StoredVerdict {
  const scan = scanVerdictOf(verdict);
  const signature: SignatureRecord = {
    result: part.result,
    reason: part.reason,
    ...(part.trustedSigner ? { trustedSigner: part.trustedSigner } : {}),
    found: part.found,
    scan: { result: scan.result, reason: scan.reason },
    eventId: event.id,
    time: event.time,
  };
  const result = scan.result === 'pass' && part.result === 'pass' ? 'pass' : 'fail';
  const reason =
    scan.result === 'pass' && part.result === 'fail'
      ? `fail: ${part.reason} (scan: ${body(scan.reason)})`
      : `${scan.reason}; ${part.result === 'pass' ? part.reason : `and ${part.reason}`}`;
  return { ...scan, result, reason, signature };
}

/** True when the verdict fails on its signature alone (the scan passed). */
export function failsOnSignatureOnly(verdict: StoredVerdict): boolean {
  return verdict.result === 'fail' && verdict.signature?.scan.result === 'pass';
}
