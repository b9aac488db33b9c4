import type { ECRClient } from '@aws-sdk/client-ecr';
import type { ScanPolicy } from '../config/schema';
import type { Verdict } from '../domain/types';
import { needsFindingDetails, decideVerdict } from '../policy/verdict';
import { describeFindings } from '../registry/ecr-images';
import { readScanState } from '../registry/image-scan';

/** Findings read to excuse allowlisted ones (one DescribeImageScanFindings page holds up to 1000). */
const MAX_FINDINGS = 1000;

/** The image's verdict, or why there is none yet (never scanned, scan in progress or failed). */
export type ImageVerdict =
  | { readonly kind: 'verdict'; readonly verdict: Verdict }
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Reading the scan failed for a reason other than "no scan"; carries the SDK error. */
export class ImageVerdictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageVerdictError';
  }
}

/**
 * The verdict of an image's latest scan under `policy`, decided by THE verdict (shared/policy/verdict.ts, as the
 * scan function and `harbormaster gate` do): the scan read as the gate reads it (readScanState), and the
 * finding list only when an allowlist entry could change the answer.
 */
export async function imageVerdict(
  ecr: ECRClient,
  image: { readonly repository: string; readonly digest: string },
  policy: ScanPolicy,
  now: Date,
): Promise<ImageVerdict> {
  const label = `${image.repository}@${image.digest}`;
  let scan;
  try {
    scan = await readScanState(ecr, image);
  } catch (error) {
    throw new ImageVerdictError((error as Error).message, { cause: error });
  }
  if (scan.state === 'not-found') return { kind: 'unavailable', reason: 'never scanned' };
  if (scan.state !== 'final') {
    const description = scan.state === 'failed' ? scan.description : undefined;
    return {
      kind: 'unavailable',
      reason: `scan status ${scan.status}${description ? ` (${description})` : ''}`,
    };
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
  };
}
