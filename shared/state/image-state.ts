import type { Finding, FindingSeverity, SeverityCounts } from '../domain/types';

/**
 * What the automation knows about one image (a single-platform image, a multi-arch index or one of its
 * platform children), kept in one DynamoDB item per digest (shared/state/image-state-store.ts). Every
 * decision the scan path takes reads it, and it is only changed by the event that holds the item's lease,
 * so concurrent events for one image serialize.
 */

/** The verdict an image holds now and the scan it came from. */
export interface StoredVerdict {
  readonly result: 'pass' | 'fail';
  readonly reason: string;
  readonly highestSeverity?: FindingSeverity;
  /** Findings that counted, per severity (all of them, not only the blocking ones). */
  readonly counts: SeverityCounts;
  /** Fingerprint of the finding set the verdict was decided on (shared/policy findingSetHash). */
  readonly findingSetHash: string;
  /** Every finding id (the first 500), when the verdict was decided from the finding list. */
  readonly findingIds?: readonly string[];
  /** Up to 10 blocking findings, most severe first: what an alert about this image shows. */
  readonly topFindings: readonly Finding[];
  /** Allowlist entries that excused a finding. */
  readonly allowlisted?: readonly string[];
  readonly scanner: 'basic' | 'enhanced';
  /** The event the verdict came from, and its time. */
  readonly eventId: string;
  readonly time: string;
  /** With `scan.requireSignature`: the signature check, already folded into `result` and `reason`. */
  readonly signature?: SignatureRecord;
}

/** The signature part of a verdict (shared/policy/signature-verdict.ts). */
export interface SignatureRecord {
  readonly result: 'pass' | 'fail';
  /** Which signer was expected and what was found. */
  readonly reason: string;
  /** The trusted signer whose valid signature passed the image. */
  readonly trustedSigner?: string;
  /** Signatures found on the digest, valid or not. */
  readonly found: number;
  /** The scan's own result and reason, so a signature pushed later is folded into the scan verdict again. */
  readonly scan: { readonly result: 'pass' | 'fail'; readonly reason: string };
  /** The event that checked the signatures (a scan, or the push of a signature), and its time. */
  readonly eventId: string;
  readonly time: string;
}

/** A platform manifest of an index, as the index's state records it. */
export interface ChildEntry {
  /** `linux/amd64`, `unknown/unknown` (an attestation manifest), ... */
  readonly platform: string;
  /** False for attestation manifests (buildx provenance, SBOM): ECR and Inspector do not scan them. */
  readonly scannable: boolean;
  readonly verdict?: StoredVerdict;
}

/** The finding set of the newest alert about this image: A4 alerts again only when it changes. */
export interface AlertRecord {
  readonly findingSetHash: string;
  /** Every finding id at that alert (for the next alert's new/fixed lists); [] when unknown. */
  readonly findingIds: readonly string[];
  readonly eventId: string;
  readonly time: string;
}

/** What quarantine removed, so `harbormaster release` can put it back. */
export interface QuarantineRecord {
  readonly eventId: string;
  readonly time: string;
  /** Every tag removed from the image, read from ECR at that moment. */
  readonly removedTags: readonly string[];
  /** The tag left on the image so ECR keeps it (removing an image's last tag deletes the image). */
  readonly keeperTag: string;
  readonly released?: {
    readonly time: string;
    readonly by: string;
    readonly reason: string;
    readonly restoredTags: readonly string[];
    /** Tags not put back because they now name another image. */
    readonly skippedTags: readonly string[];
  };
}

export interface ImageStateData {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType?: string;
  readonly verdict?: StoredVerdict;
  /** Index only: its platform manifests by digest. */
  readonly children?: Readonly<Record<string, ChildEntry>>;
  readonly alert?: AlertRecord;
  readonly quarantine?: QuarantineRecord;
  /**
   * Tags a quarantine is about to remove, written under the lease before the removal: a delivery that dies
   * after removing them leaves this, and the redelivery records them (ECR no longer shows them).
   */
  readonly quarantining?: Pick<QuarantineRecord, 'eventId' | 'removedTags' | 'keeperTag'>;
}

/** The stored item: the data plus what the store keeps about it. */
export interface ImageState {
  readonly data: ImageStateData;
  /** Child only: the indexes that list this image (written by the index's push). */
  readonly parents: readonly string[];
  /** Incremented by every write; the lease holder's commit requires it unchanged since its claim. */
  readonly version: number;
  /** The events already applied to this image (the newest ones). */
  readonly done: readonly string[];
}

export interface ImageKey {
  readonly repository: string;
  readonly digest: string;
}

/** Whether an image is quarantined now (and not released since). */
export function isQuarantined(data: ImageStateData): boolean {
  return data.quarantine !== undefined && data.quarantine.released === undefined;
}

/** An empty state for an image the automation has not seen yet. */
export function newImageState(key: ImageKey): ImageStateData {
  return { repository: key.repository, digest: key.digest };
}
