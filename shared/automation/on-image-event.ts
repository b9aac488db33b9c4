import type { SNSClient } from '@aws-sdk/client-sns';
import type { AuditRecorder } from '../audit/store';
import type { ImageEvent, ReplicationEvent } from '../domain/types';
import { isIgnored } from '../domain/types';
import { buildNativeReplicationFailureAlert } from '../notify/native-replication-alert';
import { publishReplicationFailureAlert } from '../notify/replication-failure-alert';
import { findRepository, needsExistingTags, planImageEvent, unmanagedReason } from '../policy';
import { listTaggedVersions } from '../registry/ecr-images';
import { duplicateDelivery, executePlan, type AutomationDeps, type EventOutcome } from './execute-plan';

export interface ImageEventDeps extends AutomationDeps {
  /** `hasRow` lets a redelivered FAILED replication send no second alert (the function's AuditRecorder has it). */
  readonly audit: AutomationDeps['audit'] & Partial<Pick<AuditRecorder, 'hasRow'>>;
  /** Publishes the alert of a FAILED native replication; required for those events only. */
  readonly sns?: SNSClient;
  /** The findings topic (FINDINGS_TOPIC_ARN), where replication failures are alerted. */
  readonly topicArn?: string;
}

/**
 * Push, delete and storage-class events (ECR Image Action) and native replication results
 * (ECR Replication Action): audit row, and for a push the auto-tags (A1).
 *
 * AWS calls: a push with no tag rule is one conditional write. A semver push that may move floating tags
 * lists the repository's tags once (ListImages) before planning. A native replication result (forwarded
 * from its destination region) is one write; a FAILED one reads its row first (a redelivery sends no second
 * alert), then publishes the alert (SNS Publish), then writes.
 */
export async function onImageEvent(
  event: ImageEvent | ReplicationEvent,
  deps: ImageEventDeps,
): Promise<EventOutcome> {
  const repository = findRepository(deps.config, event.repository);
  if (!repository) return { status: 'ignored', reason: unmanagedReason(event.repository) };

  let existingTags: readonly string[] | undefined;
  let present = new Set<string>();
  const pushedTag = event.tags[0] ?? '';
  if (event.kind === 'image.pushed' && needsExistingTags(pushedTag, repository.autoTag)) {
    const listed = await listTaggedVersions(deps.ecr, { repository: event.repository });
    if (!listed.complete) {
      deps.log.warn('repository has more tags than listed; floating tags are decided on the first ones', {
        repository: event.repository,
        listed: listed.tags.length,
      });
    }
    existingTags = listed.tags;
    // Tags already on this digest are in effect: a redelivery writes nothing again.
    present = new Set(listed.images.filter((i) => i.digest === event.digest).map((i) => i.tag));
  }

  const plan = planImageEvent(event, {
    config: deps.config,
    now: deps.now(),
    ...(existingTags ? { existingTags } : {}),
  });
  if (isIgnored(plan)) return { status: 'ignored', reason: plan.ignored };
  const pending = plan
    .map((a) => (a.type === 'tag' ? { ...a, tags: a.tags.filter((t) => !present.has(t)) } : a))
    .filter((a) => a.type !== 'tag' || a.tags.length > 0);
  if (event.kind === 'replication.completed' && event.result === 'FAILED') {
    const row = { ...event, eventId: event.id, action: 'replicated' as const };
    if (await deps.audit.hasRow?.(row)) return duplicateDelivery(event, deps);
  }
  if (event.kind === 'replication.completed') await reportReplication(event, repository.team, deps);
  return executePlan(event, pending, deps);
}

/**
 * The metric of a native replication result and, when it FAILED, the alert (ReplicationsFailed feeds an
 * alarm). Both come before the row, which the executor writes last: a crash in between sends again on
 * redelivery rather than never; a redelivery after the row is found by the read before and sends nothing.
 */
async function reportReplication(event: ReplicationEvent, team: string, deps: ImageEventDeps): Promise<void> {
  if (event.result === 'SUCCESS') {
    deps.metric?.('ReplicationsSucceeded');
    return;
  }
  if (!deps.sns || !deps.topicArn) {
    throw new Error(
      `native replication of ${event.repository}@${event.digest} FAILED but no findings topic is set ` +
        '(FINDINGS_TOPIC_ARN): expected the topic to alert on',
    );
  }
  await publishReplicationFailureAlert(
    deps.sns,
    deps.topicArn,
    buildNativeReplicationFailureAlert(event, team),
  );
  deps.metric?.('ReplicationsFailed');
  deps.metric?.('AlertsSent');
  deps.log.warn('native replication FAILED: alerted', {
    eventId: event.id,
    repository: event.repository,
    digest: event.digest,
    region: event.region,
  });
}
