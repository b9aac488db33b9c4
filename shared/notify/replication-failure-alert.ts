import { PublishCommand, type PublishCommandInput, type SNSClient } from '@aws-sdk/client-sns';
import type { ReplicationJob } from '../replication/resolve-request';
import type { DestinationOutcome } from '../replication/replicate';

/** The `verdict` message attribute of a failed replication alert: subscribers filter on it. */
export const REPLICATION_FAILED_VERDICT = 'replication-failed';

/** What the replicator publishes when at least one destination failed. */
export interface ReplicationFailureAlert {
  readonly subject: string;
  readonly message: string;
  /** SNS message attributes (string values) for subscription filter policies: verdict, repository, team, rule. */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Builds the alert for a replication with failed destinations. The text says what, where, why and what happens
 * next; it carries error messages from the copy engine, which never contain credentials.
 */
export function buildReplicationFailureAlert(
  message: ReplicationJob,
  outcomes: readonly DestinationOutcome[],
  team: string | undefined,
): ReplicationFailureAlert {
  const failed = outcomes.filter((o) => o.result === 'failed');
  const image = `${message.repository}@${message.digest}`;
  const short = `${message.repository}@${message.digest.slice(0, 19)}`;
  const subject = toSubject(
    `[Harbormaster] REPLICATION FAILED ${short} - ${failed.length} of ${outcomes.length} destination(s)`,
  );
  const lines = [
    `Gated replication rule "${message.rule}" could not copy ${image}${message.tags.length ? ` (tags ${message.tags.join(', ')})` : ''}.`,
    `Source: account ${message.source.account}, region ${message.source.region}.`,
    '',
    'Failed destinations:',
    ...failed.map(
      (o) => `- ${o.destination}: ${o.error ?? 'unknown error'}${o.errorCode ? ` [${o.errorCode}]` : ''}`,
    ),
  ];
  const done = outcomes.filter((o) => o.result === 'succeeded');
  if (done.length > 0) lines.push('', 'Succeeded:', ...done.map((o) => `- ${o.destination}`));
  lines.push(
    '',
    'The message is retried (destinations already copied are skipped cheaply) and dead-lettered if it keeps failing.',
    `Event: ${message.eventId}`,
  );
  const attributes: Record<string, string> = {
    verdict: REPLICATION_FAILED_VERDICT,
    repository: message.repository,
    rule: message.rule,
  };
  if (team) attributes.team = team;
  return { subject, message: lines.join('\n'), attributes };
}

/** The SNS Publish input for an alert. */
export function toPublishInput(topicArn: string, alert: ReplicationFailureAlert): PublishCommandInput {
  return {
    TopicArn: topicArn,
    Subject: alert.subject,
    Message: alert.message,
    MessageAttributes: Object.fromEntries(
      Object.entries(alert.attributes).map(([name, value]) => [
        name,
        { DataType: 'String', StringValue: value },
      ]),
    ),
  };
}

/** Publishes an alert to the findings topic. */
export async function publishReplicationFailureAlert(
  sns: SNSClient,
  topicArn: string,
  alert: ReplicationFailureAlert,
): Promise<void> {
  await sns.send(new PublishCommand(toPublishInput(topicArn, alert)));
}

// SNS rejects subjects of 100 characters or more, with line breaks or with non-ASCII characters.
const SUBJECT_MAX = 99;
function toSubject(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length <= SUBJECT_MAX ? clean : `${clean.slice(0, SUBJECT_MAX - 3)}...`;
}
