import { ArnFormat, Duration, Names, Stack, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption, RedrivePermission } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** What ends up here, e.g. "ECR image events the image-events function failed to process". Used in the cdk-nag reasons. */
  readonly holds: string;
  /** @default Duration.days(14), the SQS maximum: time to inspect and redrive */
  readonly retentionPeriod?: Duration;
  /**
   * Name of the one SQS queue whose redrive policy names this dead-letter queue (see `sourceQueueName`): only
   * that queue may use it (`RedriveAllowPolicy` byQueue, CT.SQS.PR.1). A name, not the queue, because the
   * source queue already refers to this one: CloudFormation would see a cycle.
   * @default - no SQS source (SNS subscriptions or Lambda destinations send here): allowAll, which SQS
   * applies to queues of this account and region only
   */
  readonly sourceQueueName?: string;
}

/**
 * A physical name for a queue that has a DeadLetterQueue, derived from its construct path (unique in the app,
 * stable across deploys, at most SQS's 80 characters), so its dead-letter queue can name it in its
 * redrive allow policy before it exists.
 */
export function sourceQueueName(scope: Construct, id: string): string {
  return `${Names.uniqueResourceName(scope, { maxLength: 79 - id.length, separator: '-' })}-${id}`;
}

/**
 * A dead-letter queue the Harbormaster way: encrypted, TLS only, 14 days of retention, a redrive allow
 * policy naming its source queue, and the two cdk-nag rules that cannot apply to the end of a redrive chain
 * acknowledged here, once, with their reason.
 */
export class DeadLetterQueue extends Queue {
  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    const stack = Stack.of(scope);
    super(scope, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
      redriveAllowPolicy: props.sourceQueueName
        ? {
            redrivePermission: RedrivePermission.BY_QUEUE,
            sourceQueues: [
              Queue.fromQueueArn(
                scope,
                `${id}Source`,
                stack.formatArn({
                  service: 'sqs',
                  resource: props.sourceQueueName,
                  arnFormat: ArnFormat.NO_RESOURCE_NAME,
                }),
              ),
            ],
          }
        : { redrivePermission: RedrivePermission.ALLOW_ALL },
    });
    // AwsSolutions-SQS3 cannot see redrive from SNS subscriptions or Lambda on-failure destinations.
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is a dead-letter queue: it holds ${props.holds}.`,
    });
    Validations.of(this).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason:
        'A dead-letter queue is the end of the redrive chain; messages stay for inspection and redrive.',
    });
  }
}
