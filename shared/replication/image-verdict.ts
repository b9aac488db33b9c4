import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ScanPolicy } from '../config/schema';
import type { SeverityCounts, Verdict } from '../domain/types';
import { indexVerdict, isNoVerdict, isScannablePlatform } from '../policy/image-decision';
import { needsFindingDetails, decideVerdict } from '../policy/verdict';
import { describeFindings, INDEX_MEDIA_TYPES, indexChildren } from '../registry/ecr-images';
import { readScanState } from '../registry/image-scan';
import type { ChildEntry } from '../state/image-state';

/** Findings read to excuse allowlisted ones (one DescribeImageScanFindings page holds up to 1000). */
const MAX_FINDINGS = 1000;

/** What a decision needs of a verdict: both decideVerdict's Verdict and the recorded StoredVerdict have it. */
export type VerdictSummary = Pick<Verdict, 'result' | 'reason' | 'highestSeverity'>;

/**
 * The image's verdict, or why there is none yet (never scanned, scan in progress or failed). The
 * image-state table's CurrentVerdict (shared/state/current-verdict.ts) has this shape too.
 */
export type ImageVerdict =
  | {
      readonly kind: 'verdict';
      readonly verdict: VerdictSummary;
      /** Quarantined now (known only from the image-state table). */
      readonly quarantined?: boolean;
    }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Reading the scan failed for a reason other than "no scan"; carries the SDK error. */
export class ImageVerdictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageVerdictError';
  }
}

/** True for an OCI image index or a Docker manifest list (a multi-arch image). */
export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_MEDIA_TYPES.includes(mediaType);
}

/** One scanned image's verdict with what combining it into an index needs. */
export interface ScannedVerdict {
  readonly verdict: Verdict;
  readonly counts: SeverityCounts;
  /** DescribeImageScanFindings' status: COMPLETE (basic) or ACTIVE (enhanced). */
  readonly status: string;
}

/**
 * A platform child's ECR-scan verdict as an index entry, so the automation's own indexVerdict combines
 * the children (fails if any fails). The fields only the scan path keeps (finding-set hash, event) stay
 * empty: nothing here is recorded.
 */
export function scannedChild(platform: string, scanned: ScannedVerdict): ChildEntry {
  const { verdict } = scanned;
  return {
    platform,
    scannable: true,
    verdict: {
      result: verdict.result,
      reason: verdict.reason,
      ...(verdict.highestSeverity ? { highestSeverity: verdict.highestSeverity } : {}),
      counts: scanned.counts,
      findingSetHash: '',
      topFindings: [],
      allowlisted: [...verdict.allowlisted],
      scanner: scanned.status === 'ACTIVE' ? 'enhanced' : 'basic',
      eventId: '',
      time: '',
    },
  };
}

/**
 * The verdict of an image's latest scan under `policy`, decided by THE verdict (shared/policy/verdict.ts, as the
 * scan function and `harbormaster gate` do): the scan read as the gate reads it (readScanState), and the
 * finding list only when an allowlist entry could change the answer. A multi-arch index (ECR never scans
 * it) is decided from its platform images' scans, as the automation decides it.
 */
export async function imageVerdict(
  ecr: ECRClient,
  image: { readonly repository: string; readonly digest: string; readonly mediaType?: string },
  policy: ScanPolicy,
  now: Date,
): Promise<ImageVerdict> {
  if (isIndexMediaType(image.mediaType)) return indexScanVerdict(ecr, image, policy, now);
  const scanned = await scanVerdict(ecr, image, policy, now);
  return 'reason' in scanned ? { kind: 'unavailable', reason: scanned.reason } : scanned;
}

async function indexScanVerdict(
  ecr: ECRClient,
  index: { readonly repository: string; readonly digest: string },
  policy: ScanPolicy,
  now: Date,
): Promise<ImageVerdict> {
  let children;
  try {
    children = await indexChildren(ecr, index);
  } catch (error) {
    const cause = (error as Error).cause;
    const detail = cause instanceof Error ? `: ${cause.name}: ${cause.message}` : '';
    throw new ImageVerdictError(`${(error as Error).message}${detail}`, { cause: error });
  }
  const entries: Record<string, ChildEntry> = {};
  for (const child of children) {
    if (!isScannablePlatform(child.platform)) {
      entries[child.digest] = { platform: child.platform, scannable: false };
      continue;
    }
    const scanned = await scanVerdict(
      ecr,
      { repository: index.repository, digest: child.digest },
      policy,
      now,
    );
    // One child without a verdict leaves the index without one: the rest need not be read.
    if ('reason' in scanned)
      return { kind: 'unavailable', reason: `multi-arch index: ${child.platform} ${scanned.reason}` };
    entries[child.digest] = scannedChild(child.platform, scanned);
  }
  const combined = indexVerdict(entries, { id: '', time: now.toISOString() });
  if (isNoVerdict(combined))
    return { kind: 'unavailable', reason: `multi-arch index: ${combined.undecided}` };
  return { kind: 'verdict', verdict: combined };
}

async function scanVerdict(
  ecr: ECRClient,
  image: { readonly repository: string; readonly digest: string },
  policy: ScanPolicy,
  now: Date,
): Promise<({ readonly kind: 'verdict' } & ScannedVerdict) | { readonly reason: string }> {
  const label = `${image.repository}@${image.digest}`;
  let scan;
  try {
    scan = await readScanState(ecr, image);
  } catch (error) {
    throw new ImageVerdictError((error as Error).message, { cause: error });
  }
  if (scan.state === 'not-found') return { reason: 'never scanned' };
  if (scan.state !== 'final') {
    const description = scan.state === 'failed' ? scan.description : undefined;
    return { reason: `scan status ${scan.status}${description ? ` (${description})` : ''}` };
  }
  const { counts } = scan;
  let findings;
  // DescribeImageScanFindings' counts cover every severity, so nothing is uncounted (unlike the Inspector2 Scan event).
  if (needsFindingDetails(counts, policy, 0, now)) {
    try {
      findings = (await describeFindings(ecr, image, { max: MAX_FINDINGS })).findings;
    } catch (error) {
      throw new ImageVerdictError(`reading the findings of ${label} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return {
    kind: 'verdict',
    verdict: decideVerdict({ counts, ...(findings ? { findings } : {}), policy, now }),
    counts,
    status: scan.status,
  };
}
