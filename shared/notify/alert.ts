import type { Finding, FindingSeverity, SeverityCounts } from '../domain/types';
import { formatSeverityCounts, SEVERITY_ORDER } from '../domain/types';

/**
 * A findings alert: everything the email (SNS) and Slack renderings need, built once by the scan path.
 * It travels to subscribers as the SNS message attribute `alert` (JSON) next to the readable text, so the
 * Slack notifier renders Block Kit from data instead of parsing an email.
 */
export interface FindingsAlert {
  readonly version: 1;
  /** The scan event that caused it (idempotency key). */
  readonly eventId: string;
  readonly account: string;
  readonly region: string;
  readonly repository: string;
  readonly digest: string;
  readonly tags: readonly string[];
  /** The owning team (config `repositories[].team`). */
  readonly team: string;
  readonly scanner: 'basic' | 'enhanced';
  readonly verdict: {
    readonly result: 'pass' | 'fail';
    readonly highestSeverity?: FindingSeverity;
    readonly reason: string;
  };
  readonly severityCounts: SeverityCounts;
  /** The most severe findings first, at most a handful (the alert is not a full report). */
  readonly topFindings: readonly Finding[];
  /** Finding ids absent from the previous scan of this digest (all of them on a first alert). */
  readonly newFindings: readonly string[];
  /** Finding ids the previous scan had and this one does not. */
  readonly fixedFindings: readonly string[];
  /** True when no earlier finding set was known for the digest. */
  readonly firstScan: boolean;
  /** Release tags removed by quarantine; [] when the image was not quarantined. */
  readonly quarantinedTags: readonly string[];
  /** The image's scan findings in the ECR console. */
  readonly consoleUrl: string;
}

/** Name of the SNS message attribute that carries the alert as JSON. */
export const ALERT_ATTRIBUTE = 'alert';

/** Severities from most to least severe (display order). */
export const SEVERITIES_DESC: readonly FindingSeverity[] = [...SEVERITY_ORDER].reverse();

/** The image's findings page in the ECR console (repository names may contain slashes: the `_` ends the name). */
export function ecrFindingsConsoleUrl(input: {
  readonly account: string;
  readonly region: string;
  readonly repository: string;
  readonly digest: string;
}): string {
  const { account, region, repository, digest } = input;
  return (
    `https://${region}.console.aws.amazon.com/ecr/repositories/private/${account}/${repository}` +
    `/_/image/${digest}/scan-results?region=${region}`
  );
}

/** `sha256:0123456789ab` — enough to recognise a digest in a subject line. */
export function shortDigest(digest: string): string {
  const [algo, hex] = digest.split(':');
  return hex ? `${algo}:${hex.slice(0, 12)}` : digest;
}

/** `payments/api:v1.4.2` when the image has a tag, else `payments/api@sha256:0123456789ab`. */
export function imageLabel(alert: Pick<FindingsAlert, 'repository' | 'tags' | 'digest'>): string {
  return alert.tags.length > 0
    ? `${alert.repository}:${alert.tags[0]}`
    : `${alert.repository}@${shortDigest(alert.digest)}`;
}

/** "2 CRITICAL, 1 HIGH" (non-zero severities only, most severe first; "no findings" when all are 0). */
export function countsSummary(counts: SeverityCounts): string {
  return formatSeverityCounts(counts, 'no findings');
}

/** "openssl 3.0.2 -> 3.0.13", "openssl 3.0.2 (no fix yet)", or '' when the package is unknown. */
export function packageLine(finding: Finding): string {
  if (!finding.packageName) return '';
  const installed = finding.installedVersion ? ` ${finding.installedVersion}` : '';
  const fix = finding.fixedVersion ? ` -> ${finding.fixedVersion}` : ' (no fix yet)';
  return `${finding.packageName}${installed}${fix}`;
}
