/**
 * The normalized shapes every module past the event parser works with. Nothing here knows
 * about hyphenated AWS keys or repository ARNs: shared/events turns raw EventBridge events
 * into these, and the rest of the code (decisions, handlers, CLI, audit) consumes only these.
 */

/** Severity names as AWS reports them, least to most severe. UNDEFINED (basic) and UNTRIAGED (Inspector) both map to UNDEFINED. */
export const SEVERITY_ORDER = ['UNDEFINED', 'INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type FindingSeverity = (typeof SEVERITY_ORDER)[number];

/** Counts per severity; every key present, missing severities are 0. TOTAL is not a severity. */
export type SeverityCounts = Record<FindingSeverity, number>;

/**
 * The severity a scanner's name stands for (UNTRIAGED, Inspector's, is UNDEFINED), or undefined for any
 * other name. The one mapping the event parser and the ECR findings reader share.
 */
export function severityFromName(name: string | undefined): FindingSeverity | undefined {
  if (name === 'UNTRIAGED') return 'UNDEFINED';
  return (SEVERITY_ORDER as readonly (string | undefined)[]).includes(name)
    ? (name as FindingSeverity)
    : undefined;
}

/** Every severity at 0. */
export function emptyCounts(): SeverityCounts {
  return { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
}

/** "2 CRITICAL, 1 HIGH" (non-zero severities only, most severe first); `none` when all are 0. */
export function formatSeverityCounts(counts: SeverityCounts, none: string): string {
  const parts = SEVERITY_ORDER.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length > 0 ? parts.reverse().join(', ') : none;
}

export type EventKind =
  | 'image.pushed'
  | 'image.deleted'
  | 'image.storage-class-changed'
  | 'scan.completed'
  | 'finding.updated'
  | 'replication.completed';

interface BaseEvent {
  /** EventBridge event id: the idempotency key for audit rows, alerts and tags. */
  readonly id: string;
  readonly kind: EventKind;
  readonly account: string;
  /** Accounts named inside the event's resource ARNs (the Inspector finding's, the repository's). */
  readonly resourceAccounts?: readonly string[];
  readonly region: string;
  /** Repository name, never an ARN. */
  readonly repository: string;
  /** sha256:... ; may be '' only where AWS omits it (never for push or scan). */
  readonly digest: string;
  /** Tags the event carries; [] when none. */
  readonly tags: readonly string[];
  /** ISO-8601 time of the event. */
  readonly time: string;
}

export interface ImageEvent extends BaseEvent {
  readonly kind: 'image.pushed' | 'image.deleted' | 'image.storage-class-changed';
  /** Manifest media type when ECR reports it. */
  readonly mediaType?: string;
  /** For storage-class changes: ARCHIVE or STANDARD when reported. */
  readonly storageClass?: string;
}

export interface ScanEvent extends BaseEvent {
  readonly kind: 'scan.completed';
  readonly scanner: 'basic' | 'enhanced';
  readonly severityCounts: SeverityCounts;
  /**
   * Findings the counts do not break down by severity: Inspector2 Scan reports only CRITICAL, HIGH and
   * MEDIUM plus a TOTAL, so this is TOTAL minus their sum (LOW, INFORMATIONAL or UNTRIAGED findings).
   * 0 for basic scans, whose counts are complete.
   */
  readonly uncountedFindings: number;
}

export interface FindingEvent extends BaseEvent {
  readonly kind: 'finding.updated';
  readonly scanner: 'enhanced';
  readonly finding: Finding;
  /** Inspector finding status: ACTIVE, SUPPRESSED or CLOSED. */
  readonly status: string;
}

export interface ReplicationEvent extends BaseEvent {
  readonly kind: 'replication.completed';
  readonly result: 'SUCCESS' | 'FAILED';
}

export type NormalizedEvent = ImageEvent | ScanEvent | FindingEvent | ReplicationEvent;

/** One vulnerability finding, from DescribeImageScanFindings (basic or enhanced) or an Inspector finding event. */
export interface Finding {
  /** CVE-... or another vulnerability id. */
  readonly id: string;
  readonly severity: FindingSeverity;
  readonly packageName?: string;
  readonly installedVersion?: string;
  /** Version that fixes it, when known. */
  readonly fixedVersion?: string;
  readonly url?: string;
}

/** The outcome of applying a repository's scan policy to an image. */
export interface Verdict {
  readonly result: 'pass' | 'fail';
  /** Highest severity among findings that count (not allowlisted); undefined when none count. */
  readonly highestSeverity?: FindingSeverity;
  /** Counts of findings above the threshold that are not allowlisted. */
  readonly blockingCounts: SeverityCounts;
  /** Allowlist ids that excused at least one finding. */
  readonly allowlisted: readonly string[];
  /** One sentence a person can read, e.g. "fail: 2 CRITICAL, 1 HIGH above threshold MEDIUM". */
  readonly reason: string;
}

/** Audit timeline entry types (A6). */
export type AuditAction =
  | 'pushed'
  | 'scanned'
  | 'verdict'
  | 'tagged'
  | 'promoted'
  | 'quarantined'
  | 'replicated'
  | 'notified'
  | 'deleted'
  | 'storage-class-changed'
  | 'forced-promotion'
  /** `harbormaster release`: a quarantined image got its tags back (who, why, which tags). */
  | 'released';

export interface AuditEntry {
  readonly repository: string;
  readonly digest: string;
  readonly action: AuditAction;
  /** ISO-8601. */
  readonly time: string;
  /** Idempotency key: the event id plus the action (and a discriminator when one event writes several rows of one action). */
  readonly eventId: string;
  readonly tags?: readonly string[];
  /** Small structured details (verdict, tags added, bytes moved, who forced what, why). Never secrets. */
  readonly detail?: Record<string, unknown>;
}

/** An input the automation deliberately does nothing with (an ignored event type, an unmanaged repository), and why. */
export interface Ignored {
  readonly ignored: string;
}

/**
 * Why an event is not this deployment's to act on: its account, or an account inside its ARNs, is not
 * `deploymentAccount`. Undefined when it is (or when the deployment's account is not known).
 */
export function foreignAccountReason(
  event: Pick<BaseEvent, 'account' | 'resourceAccounts'>,
  deploymentAccount: string | undefined,
): string | undefined {
  if (!deploymentAccount) return undefined;
  const foreign = [event.account, ...(event.resourceAccounts ?? [])].find((a) => a !== deploymentAccount);
  return foreign === undefined
    ? undefined
    : `event of account ${foreign}, not this deployment's account ${deploymentAccount}`;
}

export function isIgnored(value: unknown): value is Ignored {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { ignored?: unknown }).ignored === 'string'
  );
}
