import { Effect, PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { SubscriptionFilter, Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DeadLetterQueue } from '../dead-letter-queue';

/** The message attribute the scan function sets on every alert; email subscriptions filter on it. */
export const TEAM_MESSAGE_ATTRIBUTE = 'team';

export interface FindingsTopicProps {
  /**
   * Teams (key -> alert emails). Each address is subscribed with a filter on the `team` message attribute,
   * so a team receives only the alerts of its own repositories.
   */
  readonly teams: Readonly<Record<string, { readonly emails: readonly string[] }>>;
  /**
   * KMS key that encrypts the topic's messages at rest.
   * @default - a new customer managed key with yearly rotation (RETAIN)
   */
  readonly masterKey?: IKey;
}

/**
 * The SNS topic that carries scan alerts (A3): KMS-encrypted, TLS-only, per-team email subscriptions,
 * and a dead-letter queue for deliveries SNS gives up on.
 */
export class FindingsTopic extends Construct {
  public readonly topic: ITopic;
  public readonly masterKey: IKey;
  /** Deliveries to this topic's subscriptions that SNS could not make (redrive policy of each subscription). */
  public readonly deadLetterQueue: IQueue;

  constructor(scope: Construct, id: string, props: FindingsTopicProps) {
    super(scope, id);
    this.masterKey =
      props.masterKey ??
      new Key(this, 'Key', {
        description: 'Harbormaster: encrypts the findings topic',
        enableKeyRotation: true,
      });
    const topic = new Topic(this, 'Topic', {
      displayName: 'Harbormaster findings',
      masterKey: this.masterKey,
      enforceSSL: true,
    });
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: 'findings alerts the email subscriptions could not deliver',
    });
    // One subscription per address; an address listed by several teams receives each of their alerts once.
    for (const [email, teams] of teamsByEmail(props.teams)) {
      topic.addSubscription(
        new EmailSubscription(email, {
          filterPolicy: { [TEAM_MESSAGE_ATTRIBUTE]: SubscriptionFilter.stringFilter({ allowlist: teams }) },
          deadLetterQueue: this.deadLetterQueue,
        }),
      );
    }
    this.topic = topic;
  }

  /** Lets `grantee` publish alerts: sns:Publish on this topic and the two KMS actions SNS encryption needs. */
  public grantPublish(grantee: IGrantable): void {
    const principal = grantee.grantPrincipal;
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
      }),
    );
    principal.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.masterKey.keyArn],
      }),
    );
  }
}

function teamsByEmail(teams: FindingsTopicProps['teams']): Map<string, string[]> {
  const byEmail = new Map<string, string[]>();
  for (const [team, { emails }] of Object.entries(teams)) {
    for (const email of emails) byEmail.set(email, [...(byEmail.get(email) ?? []), team]);
  }
  return byEmail;
}
