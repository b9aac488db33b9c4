import type { ImageEvent, ReplicationEvent } from '../domain/types';
import { isIgnored } from '../domain/types';
import { findRepository, needsExistingTags, planImageEvent, unmanagedReason } from '../policy';
import { listTaggedVersions } from '../registry/ecr-images';
import { executePlan, type AutomationDeps, type EventOutcome } from './execute-plan';

/**
 * Push, delete and storage-class events (ECR Image Action) and native replication results
 * (ECR Replication Action): audit row, and for a push the auto-tags (A1).
 *
 * AWS calls: a push with no tag rule is one conditional write. A semver push that may move floating tags
 * lists the repository's tags once (ListImages) before planning.
 */
export async function onImageEvent(
  event: ImageEvent | ReplicationEvent,
  deps: AutomationDeps,
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
  return executePlan(event, pending, deps);
}
