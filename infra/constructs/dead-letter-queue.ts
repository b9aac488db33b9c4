import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  /** What ends up here, e.g. "ECR image events the image-events function failed to process". Used in the cdk-nag reasons. */
  readonly holds: string;
  /** @default Duration.days(14), the SQS maximum: time to inspect and redrive */
  readonly retentionPeriod?: Duration;
}

/**
 * A dead-letter queue the Harbormaster way: encrypted, TLS only, 14 days of retention, and the two cdk-nag
 * rules that cannot apply to the end of a redrive chain acknowledged here, once, with their reason.
 */
export class DeadLetterQueue extends Queue {
  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
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
