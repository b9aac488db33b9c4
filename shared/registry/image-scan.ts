import { DescribeImageScanFindingsCommand, type ECRClient } from '@aws-sdk/client-ecr';
import type { SeverityCounts } from '../domain/types';
import { severityCounts } from '../events/severity-fields';

/**
 * Where an image's scan stands, read with one DescribeImageScanFindings call (status and counts only).
 * Shared by `harbormaster gate` (which polls it) and the backfill verdict (which reads it once), so both
 * read a scan the same way before handing the counts to THE verdict (shared/policy/verdict.ts).
 */
export type ScanState =
  /** No scan exists for the image (just pushed, or scanning is off). */
  | { readonly state: 'not-found' }
  /** IN_PROGRESS or PENDING: ask again later. */
  | { readonly state: 'pending'; readonly status: string }
  /** Findings are final (basic COMPLETE, enhanced ACTIVE): counts cover every severity. */
  | { readonly state: 'final'; readonly status: string; readonly counts: SeverityCounts }
  /** FAILED, UNSUPPORTED_IMAGE, FINDINGS_UNAVAILABLE...: no verdict will come. */
  | { readonly state: 'failed'; readonly status: string; readonly description?: string };

const FINAL = new Set(['COMPLETE', 'ACTIVE']);
const WAITING = new Set(['IN_PROGRESS', 'PENDING']);

/** The scan could not be read: an AWS error other than "no scan" (cause), or counts of an unexpected shape. */
export class ScanReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ScanReadError';
  }
}

export async function readScanState(
  ecr: ECRClient,
  image: { readonly repository: string; readonly digest: string; readonly label?: string },
): Promise<ScanState> {
  /** How errors name the image (the CLI passes what the user typed, e.g. repo:tag). */
  const label = image.label ?? `${image.repository}@${image.digest}`;
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
    if ((error as Error).name === 'ScanNotFoundException') return { state: 'not-found' };
    throw new ScanReadError(
      `DescribeImageScanFindings for ${label} failed: ${(error as Error).name}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const status = response.imageScanStatus?.status ?? 'PENDING';
  if (WAITING.has(status)) return { state: 'pending', status };
  if (!FINAL.has(status)) {
    const description = response.imageScanStatus?.description;
    return { state: 'failed', status, ...(description ? { description } : {}) };
  }
  const parsed = severityCounts.safeParse(response.imageScanFindings?.findingSeverityCounts);
  if (!parsed.success) {
    throw new ScanReadError(
      `unexpected severity counts for ${label}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  return { state: 'final', status, counts: parsed.data.counts };
}
