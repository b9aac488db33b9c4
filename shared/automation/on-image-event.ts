import type { SNSClient } from '@aws-sdk/client-sns';
import type { ImageEvent, ReplicationEvent } from '../domain/types';
import { isIgnored } from '../domain/types';
import { buildNativeReplicationFailureAlert } from '../notify/native-replication-alert';
import { publishReplicationFailureAlert } from '../notify/replication-failure-alert';
import { findRepository, needsExistingTags, planImageEvent, unmanagedReason } from '../policy';
import { listTaggedVersions } from '../registry/ecr-images';
import type { ImageStateStore } from '../state/image-state-store';
import { duplicateDelivery, executePlan, type AutomationDeps, type EventOutcome } from './execute-plan';
import { withLease } from './lease';

export interface ImageEventDeps extends AutomationDeps {
  /** Publishes the alert of a FAILED native replication; required for those events only. */
  readonly sns?: SNSClient;
  /** The findings topic (FINDINGS_TOPIC_ARN), where replication failures are alerted. */
  readonly topicArn?: string;
  /**
   * The image-state table's leases: a FAILED replication claims the image for its event, so concurrent or
   * repeated deliveries alert once; a FAILED result without it fails its record.
   */
  readonly state?: Pick<ImageStateStore, 'claim' | 'commit' | 'release'>;
  /** How long that claim holds (LEASE_SECONDS): longer than the function's timeout. */
  readonly leaseMs?: number;
}

/**
 * Push, delete and storage-class events (ECR Image Action) and native replication results
 * (ECR Replication Action): audit row, and for a push the auto-tags (A1).
 *
 * AWS calls: a push with no tag rule is one conditional write. A semver push that may move floating tags
 * lists the repository's tags once (ListImages) before planning. A native replication result (forwarded
 * from its destination region) is one write; a FAILED one claims the image's lease for its event, publishes
 * the alert (SNS Publish), writes the row and marks the event done: four calls.
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
  if (event.kind !== 'replication.completed') return executePlan(event, pending, deps);
  if (event.result === 'SUCCESS') {
    deps.metric?.('ReplicationsSucceeded');
    return executePlan(event, pending, deps);
  }
  // What a FAILED result needs, checked before anything is written: the topic to alert on, the table that
  // makes the alert go out once.
  const { sns, topicArn, state } = deps;
  if (!sns || !topicArn || !state) {
    const missing =
      !sns || !topicArn
        ? 'no findings topic is set (FINDINGS_TOPIC_ARN)'
        : 'no image-state table is set (IMAGE_STATE_TABLE_NAME)';
    throw new Error(`native replication of ${event.repository}@${event.digest} FAILED but ${missing}`);
  }

  // Once per event however it is delivered: a live claim by a twin delivery throws ImageBusyError (retried
  // later, then a duplicate); a claim left by a crash expires and the redelivery finishes the work.
  const result = await withLease(
    state,
    event,
    event.id,
    { now: deps.now().getTime(), leaseMs: deps.leaseMs ?? DEFAULT_LEASE_MS, log: deps.log },
    async (lease, claimed) => {
      const outcome = await alertThenRecord(event, pending, repository.team, { ...deps, sns, topicArn });
      // The image's state is unchanged: the commit only marks the event done and drops the lease.
      await state.commit(lease, claimed, claimed.data);
      return outcome;
    },
  );
  return result === 'duplicate' ? duplicateDelivery(event, deps) : result;
}

/** Lease of a FAILED replication's claim when none is configured: the function's 30 s timeout plus margin. */
const DEFAULT_LEASE_MS = 60_000;

/**
 * A FAILED native replication: the alert and ReplicationsFailed (which an alarm watches), then the row. The
 * alert goes first, so a crash before the row sends again on redelivery rather than never.
 */
async function alertThenRecord(
  event: ReplicationEvent,
  pending: Parameters<typeof executePlan>[1],
  team: string,
  deps: ImageEventDeps & { readonly sns: SNSClient; readonly topicArn: string },
): Promise<EventOutcome> {
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
  return executePlan(event, pending, deps);
}
