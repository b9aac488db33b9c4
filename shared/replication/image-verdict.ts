import { DescribeImageScanFindingsCommand, type ECRClient } from '@aws-sdk/client-ecr';
import type { ScanPolicy } from '../config/schema';
import type { Verdict } from '../domain/types';
import { severityCounts } from '../events/fields';
import { needsFindingDetails, decideVerdict } from '../policy/verdict';
import { describeFindings } from '../registry/ecr-images';

/** Findings read to excuse allowlisted ones (one DescribeImageScanFindings page holds up to 1000). */
const MAX_FINDINGS = 1000;

/** Scan statuses whose findings are final: basic COMPLETE, enhanced ACTIVE. */
const FINAL = new Set(['COMPLETE', 'ACTIVE']);

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
 * scan function and `harbormaster gate` do): one DescribeImageScanFindings call for status and counts, and the
 * finding list only when an allowlist entry could change the answer.
 */
export async function imageVerdict(
  ecr: ECRClient,
  image: { readonly repository: string; readonly digest: string },
  policy: ScanPolicy,
  now: Date,
): Promise<ImageVerdict> {
  const label = `${image.repository}@${image.digest}`;
  let response;
  try {
    response = await ecr.send(
      new DescribeImageScanFindingsCommand({
        repositoryName: image.repository,
        imageId: { imageDigest: image.digest },
        maxResults: 1,
      }),
    );
  } catch (error) {
    if ((error as Error).name === 'ScanNotFoundException')
      return { kind: 'unavailable', reason: 'never scanned' };
    throw new ImageVerdictError(
      `DescribeImageScanFindings for ${label} failed: ${(error as Error).name}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const status = response.imageScanStatus?.status ?? 'PENDING';
  if (!FINAL.has(status)) {
    const description = response.imageScanStatus?.description;
    return { kind: 'unavailable', reason: `scan status ${status}${description ? ` (${description})` : ''}` };
  }
  const parsed = severityCounts.safeParse(response.imageScanFindings?.findingSeverityCounts);
  if (!parsed.success) {
    throw new ImageVerdictError(
      `unexpected severity counts for ${label}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  const counts = parsed.data.counts;
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
