import type { SeverityThreshold } from '../config/primitives';
import type { ReplicationDestination } from '../config/schema';
import type { RuntimeConfig } from '../runtime/runtime-config';
import {
  SEVERITY_ORDER,
  type AuditAction,
  type Finding,
  type FindingEvent,
  type FindingSeverity,
  type Ignored,
  type ImageEvent,
  type NormalizedEvent,
  type ReplicationEvent,
  type ScanEvent,
  type SeverityCounts,
  type Verdict,
} from '../domain/types';
import { tagsToAdd } from './auto-tag';
import { diffFindings, findingSetHash, idsOf } from './findings-diff';
import { findRepository, unmanagedReason } from './managed';
import { promotionTags } from './promotion';
import { quarantineTags } from './quarantine';
import { replicationTargets } from './replication-match';
import { emptyCounts, isAboveThreshold, severityRank } from './severity';
import { decideVerdict } from './verdict';

/**
 * The planners: what the automation does for one normalized event, as a list of actions. Pure: the
 * handlers fetch the facts (ctx), call a planner and execute the actions in order; `harbormaster simulate`
 * calls the same planners and prints the actions, so what simulate shows is what the automation does.
 *
 * Each action that changes something names the audit row the handler writes once it has done it
 * (`audit`), with the outcome (e.g. which tags were written, which were immutable).
 */

/** Write an audit row now (A6). */
export interface AuditPlanAction {
  readonly type: 'audit';
  readonly action: AuditAction;
  readonly detail: Record<string, unknown>;
}

/** Add tags to the event's digest (BatchGetImage + PutImage with the same manifest). */
export interface TagPlanAction {
  readonly type: 'tag';
  readonly reason: 'auto-tag' | 'promotion';
  readonly tags: readonly string[];
  /** Audit row to write after tagging, with the tags written and any that were immutable. */
  readonly audit: 'tagged' | 'promoted';
}

/** Remove tags from the event's digest (BatchDeleteImage by tag; the image stays, reachable by digest). */
export interface UntagPlanAction {
  readonly type: 'untag';
  readonly reason: 'quarantine';
  readonly tags: readonly string[];
  readonly audit: 'quarantined';
}

/** Publish a findings alert (SNS; the Slack notifier subscribes to the topic). */
export interface NotifyPlanAction {
  readonly type: 'notify';
  readonly topic: 'findings';
  /** Owning team (the `team` SNS message attribute subscribers filter on). */
  readonly team: string;
  readonly verdict: Verdict['result'];
  readonly highestSeverity?: FindingSeverity;
  readonly reason: string;
  readonly severityCounts: SeverityCounts;
  /** Ids new since the last alert on this digest, and ids fixed since then (sorted). */
  readonly newFindings: readonly string[];
  readonly fixedFindings: readonly string[];
  /** Up to 10 blocking findings, most severe first, with package and fixed version when known. */
  readonly topFindings: readonly Finding[];
  /** Release tags this same plan removes (the alert says the image was quarantined). */
  readonly quarantinedTags: readonly string[];
  /** Fingerprint of the current finding set: store it with the `notified` row so a re-scan can compare. */
  readonly findingSetHash: string;
  /** Every current finding id (when details were available), to store for the next diff. */
  readonly findingIds: readonly string[];
  readonly audit: 'notified';
}

/** Enqueue a gated replication (G1) for the replicator, which copies and writes the `replicated` row. */
export interface ReplicatePlanAction {
  readonly type: 'replicate';
  readonly rule: string;
  readonly destinations: readonly ReplicationDestination[];
  readonly tags: readonly string[];
}

export type Action =
  AuditPlanAction | TagPlanAction | UntagPlanAction | NotifyPlanAction | ReplicatePlanAction;

/** A plan: the actions in execution order, or why the event is ignored. */
export type Plan = Action[] | Ignored;

export interface PlanContext {
  readonly config: RuntimeConfig;
  readonly now: Date;
  /** Finding details the handler fetched (DescribeImageScanFindings), when it did (see needsFindingDetails). */
  readonly findings?: readonly Finding[];
  /** Finding ids stored with the last alert on this digest; undefined when it never alerted. */
  readonly previousFindingIds?: readonly string[];
  /** findingSetHash stored with the last alert on this digest, when only the hash was kept. */
  readonly previousFindingSetHash?: string;
  /** Every tag in the repository (ListImages), for the semver cascade and `latest` (see needsExistingTags). */
  readonly existingTags?: readonly string[];
}

const TOP_FINDINGS = 10;

/** Push, delete, storage-class change (ECR Image Action) and native replication results. */
export function planImageEvent(event: ImageEvent | ReplicationEvent, ctx: PlanContext): Plan {
  const repository = findRepository(ctx.config, event.repository);
  if (!repository) return { ignored: unmanagedReason(event.repository) };
  switch (event.kind) {
    case 'image.pushed': {
      const actions: Action[] = [
        {
          type: 'audit',
          action: 'pushed',
          detail: { tags: [...event.tags], ...(event.mediaType ? { mediaType: event.mediaType } : {}) },
        },
      ];
      const tags = tagsToAdd({
        pushedTag: event.tags[0] ?? '',
        digest: event.digest,
        rules: repository.autoTag,
        ...(ctx.existingTags ? { existingTags: ctx.existingTags } : {}),
      });
      if (tags.length > 0) actions.push({ type: 'tag', reason: 'auto-tag', tags, audit: 'tagged' });
      return actions;
    }
    case 'image.deleted':
      return [{ type: 'audit', action: 'deleted', detail: { tags: [...event.tags] } }];
    case 'image.storage-class-changed':
      return [
        {
          type: 'audit',
          action: 'storage-class-changed',
          detail: {
            tags: [...event.tags],
            ...(event.storageClass ? { storageClass: event.storageClass } : {}),
          },
        },
      ];
    case 'replication.completed':
      return [
        {
          type: 'audit',
          action: 'replicated',
          // region: the destination, where ECR reported the result (the row lives in the home table).
          detail: {
            via: 'ecr-native-replication',
            result: event.result,
            region: event.region,
            tags: [...event.tags],
          },
        },
      ];
  }
}

function countsOf(findings: readonly Finding[]): SeverityCounts {
  const counts = emptyCounts();
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

function topFindings(
  findings: readonly Finding[] | undefined,
  verdict: Verdict,
  threshold: SeverityThreshold,
): Finding[] {
  const excused = new Set(verdict.allowlisted.map((id) => id.toUpperCase()));
  return [...(findings ?? [])]
    .filter((f) => isAboveThreshold(f.severity, threshold) && !excused.has(f.id.toUpperCase()))
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.id.localeCompare(b.id))
    .slice(0, TOP_FINDINGS)
    .map((f) => ({ ...f }));
}

interface ChangeInfo {
  readonly changed: boolean;
  readonly newFindings: string[];
  readonly fixedFindings: string[];
  readonly hash: string;
  readonly ids: string[];
}

/** A4: has this digest's finding set changed since the last alert? */
function findingChange(
  findings: readonly Finding[] | undefined,
  counts: SeverityCounts,
  ctx: PlanContext,
): ChangeInfo {
  if (findings !== undefined) {
    const diff = diffFindings(ctx.previousFindingIds, findings);
    const hash = findingSetHash(findings);
    const ids = idsOf(findings);
    if (ctx.previousFindingIds === undefined && ctx.previousFindingSetHash !== undefined) {
      return { changed: hash !== ctx.previousFindingSetHash, newFindings: [], fixedFindings: [], hash, ids };
    }
    return { changed: diff.changed, newFindings: diff.new, fixedFindings: diff.fixed, hash, ids };
  }
  // Counts only: the fingerprint is the counts themselves.
  const hash = findingSetHash(SEVERITY_ORDER.map((s) => `count:${s}=${counts[s]}`));
  return {
    changed: ctx.previousFindingSetHash === undefined || ctx.previousFindingSetHash !== hash,
    newFindings: [],
    fixedFindings: [],
    hash,
    ids: [],
  };
}

/** Scan results: ECR Image Scan and Inspector2 Scan (scan.completed), and Inspector2 Finding (finding.updated). */
export function planScanEvent(event: ScanEvent | FindingEvent, ctx: PlanContext): Plan {
  const repository = findRepository(ctx.config, event.repository);
  if (!repository) return { ignored: unmanagedReason(event.repository) };
  const policy = repository.scan;
  const actions: Action[] = [];

  let counts: SeverityCounts;
  let findings: readonly Finding[] | undefined;
  let uncounted = 0;
  let canPromote: boolean;
  if (event.kind === 'scan.completed') {
    counts = event.severityCounts;
    findings = ctx.findings;
    uncounted = event.uncountedFindings;
    canPromote = true;
    actions.push({
      type: 'audit',
      action: 'scanned',
      detail: {
        scanner: event.scanner,
        severityCounts: counts,
        ...(uncounted > 0 ? { uncountedFindings: uncounted } : {}),
      },
    });
  } else {
    // One finding changed (continuous re-scan). With the image's full finding list the verdict is
    // exact; otherwise only this finding is known, which can fail an image but never pass it.
    const active = event.status === 'ACTIVE';
    // The fetched list may lag the event (eventual consistency): an ACTIVE finding it lacks still counts.
    const listed = ctx.findings?.some(
      (f) => f.id === event.finding.id && f.severity === event.finding.severity,
    );
    findings = ctx.findings
      ? active && !listed
        ? [...ctx.findings, event.finding]
        : ctx.findings
      : active
        ? [event.finding]
        : [];
    counts = countsOf(findings);
    canPromote = false;
    actions.push({
      type: 'audit',
      action: 'scanned',
      detail: {
        scanner: event.scanner,
        finding: event.finding.id,
        severity: event.finding.severity,
        status: event.status,
      },
    });
  }

  const verdict = decideVerdict({
    counts,
    ...(findings ? { findings } : {}),
    uncountedFindings: uncounted,
    policy,
    now: ctx.now,
  });
  const change = findingChange(findings, counts, ctx);
  actions.push({
    type: 'audit',
    action: 'verdict',
    detail: {
      result: verdict.result,
      reason: verdict.reason,
      ...(verdict.highestSeverity ? { highestSeverity: verdict.highestSeverity } : {}),
      blockingCounts: verdict.blockingCounts,
      allowlisted: [...verdict.allowlisted],
      maxSeverity: policy.maxSeverity,
      findingDetails: findings !== undefined,
      findingSetHash: change.hash,
    },
  });

  if (verdict.result === 'fail') {
    const removed = quarantineTags(repository, event.tags);
    if (removed.length > 0)
      actions.push({ type: 'untag', reason: 'quarantine', tags: removed, audit: 'quarantined' });
    if (change.changed || !ctx.config.notifications.newFindingsOnly) {
      actions.push({
        type: 'notify',
        topic: 'findings',
        team: repository.team,
        verdict: verdict.result,
        ...(verdict.highestSeverity ? { highestSeverity: verdict.highestSeverity } : {}),
        reason: verdict.reason,
        severityCounts: counts,
        newFindings: change.newFindings,
        fixedFindings: change.fixedFindings,
        topFindings: topFindings(findings, verdict, policy.maxSeverity),
        quarantinedTags: removed,
        findingSetHash: change.hash,
        findingIds: change.ids,
        audit: 'notified',
      });
    }
    return actions;
  }

  if (!canPromote) return actions;
  const promoted = promotionTags(repository, event.tags);
  if (promoted.length > 0)
    actions.push({ type: 'tag', reason: 'promotion', tags: promoted, audit: 'promoted' });
  for (const target of replicationTargets(
    ctx.config,
    repository.name,
    [...event.tags, ...promoted],
    verdict,
  )) {
    actions.push({
      type: 'replicate',
      rule: target.rule,
      destinations: target.destinations,
      tags: target.tags,
    });
  }
  return actions;
}

/** Plans any normalized event (dispatches on kind). */
export function planEvent(event: NormalizedEvent, ctx: PlanContext): Plan {
  return event.kind === 'scan.completed' || event.kind === 'finding.updated'
    ? planScanEvent(event, ctx)
    : planImageEvent(event, ctx);
}
