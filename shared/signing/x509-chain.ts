import type { X509Certificate } from 'node:crypto';
import { subjectName } from './trust';

const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';

/** Whether a certificate was valid at a time (notBefore <= time <= notAfter). */
export function validAt(cert: X509Certificate, time: Date): boolean {
  const t = time.getTime();
  return new Date(cert.validFrom).getTime() <= t && t <= new Date(cert.validTo).getTime();
}

function validity(cert: X509Certificate): string {
  return `${new Date(cert.validFrom).toISOString()} to ${new Date(cert.validTo).toISOString()}`;
}

/**
 * Checks a leaf-first chain (the `x5c` order) against trust anchors at the signing time: each certificate is
 * issued and signed by the next, issuers are CAs, the leaf is an end-entity code-signing certificate, every
 * certificate (and the anchor) was valid at the signing time, and the chain ends at or under an anchor.
 * Returns why it fails, or undefined when it holds.
 */
export function chainProblem(
  chain: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  signingTime: Date,
): string | undefined {
  const [leaf] = chain;
  if (!leaf) return 'the x5c certificate chain is empty';
  if (leaf.ca)
    return `the signing certificate ${subjectName(leaf)} is a CA certificate, not an end-entity one`;
  const eku = leaf.keyUsage;
  if (eku && eku.length > 0 && !eku.includes(CODE_SIGNING_EKU)) {
    return `the signing certificate ${subjectName(leaf)} is not for code signing (extended key usage)`;
  }
  for (const cert of chain) {
    if (!validAt(cert, signingTime)) {
      return `signing time ${signingTime.toISOString()} is outside the validity of ${subjectName(cert)} (${validity(cert)})`;
    }
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const cert = chain[i];
    const issuer = chain[i + 1];
    if (!issuer.ca) return `${subjectName(issuer)} issues ${subjectName(cert)} but is not a CA certificate`;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      return `${subjectName(cert)} is not signed by the next certificate in the chain, ${subjectName(issuer)}`;
    }
  }
  const top = chain[chain.length - 1];
  if (anchors.some((anchor) => anchor.fingerprint256 === top.fingerprint256)) return undefined;
  const anchor = anchors.find(
    (candidate) => candidate.ca && top.checkIssued(candidate) && top.verify(candidate.publicKey),
  );
  if (!anchor) {
    return `the chain (${chain.map(subjectName).join(' <- ')}) does not lead to a trusted root`;
  }
  if (!validAt(anchor, signingTime)) {
    return `signing time ${signingTime.toISOString()} is outside the validity of the trust anchor ${subjectName(anchor)} (${validity(anchor)})`;
  }
  return undefined;
}
