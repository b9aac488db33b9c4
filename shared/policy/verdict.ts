import type { AllowlistEntry, ScanPolicy } from '../config/schema';
import { SEVERITY_ORDER, type Finding, type SeverityCounts, type Verdict } from '../domain/types';
import { emptyCounts, formatCounts, highestOf, isAboveThreshold } from './severity';

/**
 * THE scan verdict (A2): the scan-events function and `harbormaster gate` both call decideVerdict, so
 * an image passes or fails the same way everywhere.
 *
 * Rules:
 * - findings strictly above `policy.maxSeverity` fail the image; NONE tolerates no finding at all;
 * - an allowlist entry excuses findings with its id up to and including its `expires` day (UTC);
 * - counts are the totals; a findings list (possibly only the first pages) is used to excuse
 *   allowlisted findings, so with counts only the allowlist cannot apply (see needsFindingDetails);
 * - Inspector2 Scan counts only CRITICAL/HIGH/MEDIUM: findings beyond them (`uncountedFindings`) are
 *   LOW at most, so without details they are counted as LOW (they can only fail a threshold of
 *   INFORMATIONAL or NONE, and then the verdict fails closed and says so).
 */
export interface VerdictInput {
  /** Totals per severity (from the event, or from DescribeImageScanFindings' findingSeverityCounts). */
  readonly counts: SeverityCounts;
  /** Finding details when fetched; may be partial (first pages). */
  readonly findings?: readonly Finding[];
  /** Findings the counts do not break down by severity (ScanEvent.uncountedFindings). @default 0 */
  readonly uncountedFindings?: number;
  readonly policy: ScanPolicy;
  readonly now: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Severities Inspector2 Scan's counts leave out (everything below MEDIUM). */
const UNCOUNTED_SEVERITIES = ['LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

/** True while `entry` applies: up to and including its `expires` day, UTC. */
export function isAllowlistEntryActive(entry: AllowlistEntry, now: Date): boolean {
  return now.getTime() < Date.parse(`${entry.expires}T00:00:00Z`) + DAY_MS;
}

function activeAllowlist(policy: ScanPolicy, now: Date | undefined): Map<string, string> {
  const active = new Map<string, string>();
  for (const entry of policy.allowlist) {
    if (now === undefined || isAllowlistEntryActive(entry, now)) active.set(entry.id.toUpperCase(), entry.id);
  }
  return active;
}

function anyAbove(counts: SeverityCounts, policy: ScanPolicy): boolean {
  return SEVERITY_ORDER.some((s) => counts[s] > 0 && isAboveThreshold(s, policy.maxSeverity));
}

/**
 * True when the caller must fetch finding details (DescribeImageScanFindings) before deciding, because
 * the counts alone could give the wrong verdict: blocking counts with an active allowlist entry that
 * might excuse them, or Inspector's uncounted findings under a threshold of INFORMATIONAL (or NONE with an
 * allowlist). A scan that passes on counts, or fails for certain, costs no extra API call.
 */
export function needsFindingDetails(
  counts: SeverityCounts,
  policy: ScanPolicy,
  uncountedFindings = 0,
  now?: Date,
): boolean {
  const hasAllowlist = activeAllowlist(policy, now).size > 0;
  if (anyAbove(counts, policy)) return hasAllowlist;
  if (uncountedFindings <= 0) return false;
  if (policy.maxSeverity === 'INFORMATIONAL') return true;
  if (policy.maxSeverity === 'NONE') return hasAllowlist;
  return false;
}

export function decideVerdict(input: VerdictInput): Verdict {
  const { counts, findings, policy, now } = input;
  const uncounted = Math.max(0, input.uncountedFindings ?? 0);
  const active = activeAllowlist(policy, now);

  const excusedAt = emptyCounts();
  const listedAt = emptyCounts();
  const excusedIds = new Set<string>();
  for (const finding of findings ?? []) {
    const entryId = active.get(finding.id.toUpperCase());
    if (entryId !== undefined) {
      excusedAt[finding.severity] += 1;
      excusedIds.add(entryId);
    } else {
      listedAt[finding.severity] += 1;
    }
  }

  const effective = emptyCounts();
  for (const s of SEVERITY_ORDER) effective[s] = Math.max(0, counts[s] - excusedAt[s]);
  let uncountedNote = '';
  if (uncounted > 0) {
    if (findings !== undefined) {
      // The details break the uncounted findings down; trust them for the severities the counts omit.
      for (const s of UNCOUNTED_SEVERITIES) effective[s] = Math.max(effective[s], listedAt[s]);
    } else {
      effective.LOW += uncounted;
      if (isAboveThreshold('LOW', policy.maxSeverity)) {
        uncountedNote = ` (${uncounted} finding(s) of unreported severity counted as LOW; finding details would make this exact)`;
      }
    }
  }

  const blockingCounts = emptyCounts();
  for (const s of SEVERITY_ORDER)
    if (isAboveThreshold(s, policy.maxSeverity)) blockingCounts[s] = effective[s];
  const failed = SEVERITY_ORDER.some((s) => blockingCounts[s] > 0);
  const highestSeverity = highestOf(effective);
  const allowlisted = [...excusedIds].sort();

  const allowText = allowlisted.length > 0 ? `; allowlisted: ${allowlisted.join(', ')}` : '';
  // A failing reason names the lapsed entries that no longer excuse a blocking finding (with counts only,
  // every lapsed entry), so the owner sees why an image that used to pass fails now.
  const blocks = (id: string) =>
    findings === undefined ||
    findings.some((f) => f.id.toUpperCase() === id && isAboveThreshold(f.severity, policy.maxSeverity));
  const lapsed = policy.allowlist.filter(
    (e) => !active.has(e.id.toUpperCase()) && blocks(e.id.toUpperCase()),
  );
  const lapsedText =
    lapsed.length > 0 ? `; allowlist expired: ${lapsed.map((e) => `${e.id} (${e.expires})`).join(', ')}` : '';
  const above =
    policy.maxSeverity === 'NONE'
      ? '(threshold NONE tolerates no finding)'
      : `above threshold ${policy.maxSeverity}`;
  const reason = failed
    ? `fail: ${formatCounts(blockingCounts)} ${above}${uncountedNote}${allowText}${lapsedText}`
    : policy.maxSeverity === 'NONE'
      ? `pass: no findings${allowText}`
      : `pass: no finding above threshold ${policy.maxSeverity}${highestSeverity ? ` (highest ${highestSeverity})` : ''}${allowText}`;

  return {
    result: failed ? 'fail' : 'pass',
    ...(highestSeverity ? { highestSeverity } : {}),
    blockingCounts,
    allowlisted,
    reason,
  };
}
