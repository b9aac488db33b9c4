import type { ReplicationEvent } from '../domain/types';
import { REPLICATION_FAILED_VERDICT, type ReplicationFailureAlert } from './replication-failure-alert';
import { shortDigest } from './alert';
import { SNS_SUBJECT_MAX } from './sns-alert';

/** The `rule` attribute of a native replication alert (a gated replication alert carries its rule's name). */
export const NATIVE_REPLICATION_RULE = 'ecr-native-replication';

/**
 * The alert for an `ECR Replication Action` with result FAILED (native replication, R6): same shape,
 * topic and `verdict: replication-failed` attribute as a gated replication failure, so subscribers'
 * filter policies and the Slack notifier treat both alike. `region` is where the replica was to be written.
 */
export function buildNativeReplicationFailureAlert(
  event: ReplicationEvent,
  team: string | undefined,
): ReplicationFailureAlert {
  const image = `${event.repository}@${event.digest}`;
  const subject = toSubject(
    `[Harbormaster] REPLICATION FAILED ${event.repository}@${shortDigest(event.digest)} to ${event.region}`,
  );
  const tags = event.tags.length > 0 ? ` (tags ${event.tags.join(', ')})` : '';
  const lines = [
    `ECR native replication of ${image}${tags} to ${event.region} failed.`,
    `Account ${event.account}; ECR reported it in ${event.region} and Harbormaster forwarded it home.`,
    '',
    'Check what ECR needs to write the replica there: the replication rule, the destination registry policy,',
    'its repository creation templates and KMS key. ECR replicates on push: pushing the image again retries.',
    '',
    `Timeline: harbormaster audit ${image}`,
    `Event: ${event.id}`,
  ];
  const attributes: Record<string, string> = {
    verdict: REPLICATION_FAILED_VERDICT,
    repository: event.repository,
    rule: NATIVE_REPLICATION_RULE,
    region: event.region,
  };
  if (team) attributes.team = team;
  return { subject, message: lines.join('\n'), attributes };
}

// ASCII printable only, one line, under SNS's subject limit.
function toSubject(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length <= SNS_SUBJECT_MAX ? clean : `${clean.slice(0, SNS_SUBJECT_MAX - 3)}...`;
}
