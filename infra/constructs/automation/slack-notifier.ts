import { Duration, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HarbormasterConfig } from '../../../shared/config/schema';
import { ENV } from '../../../shared/runtime/env-names';
import { AutomationFunction } from './automation-function';
import { DeadLetterQueue } from '../dead-letter-queue';

export interface SlackNotifierProps {
  /** The findings topic whose alerts are posted to Slack. */
  readonly topic: ITopic;
  /** Name of the Secrets Manager secret holding the incoming-webhook URL (looked up by name, never read at synth). */
  readonly webhookSecretName: string;
  /** The validated config, compiled into the function bundle. */
  readonly config: HarbormasterConfig;
  /**
   * Function timeout: room for a Slack 429's Retry-After wait and one more attempt.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Lambda's own retries of a failed asynchronous invocation (0-2) before the event goes to the dead-letter queue.
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * Oldest alert still worth posting; older ones go to the dead-letter queue.
   * @default Duration.hours(6)
   */
  readonly maxEventAge?: Duration;
}

/**
 * Posts findings alerts to Slack. It is an SNS subscriber of its own, so a Slack outage delays Slack
 * messages only: the scan function publishes to the topic and is done. Undeliverable or failed alerts
 * end in a dead-letter queue (SNS redrive policy and the function's on-failure destination).
 */
export class SlackNotifier extends Construct {
  public readonly handler: IFunction;
  public readonly webhookSecret: ISecret;
  /** Alerts SNS could not hand to the function, and invocations that failed after their retries. */
  public readonly deadLetterQueue: IQueue;
  /** The Powertools service name, the `service` dimension of the function's metrics. */
  public readonly serviceName: string;

  constructor(scope: Construct, id: string, props: SlackNotifierProps) {
    super(scope, id);
    this.webhookSecret = Secret.fromSecretNameV2(this, 'WebhookSecret', props.webhookSecretName);
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds:
        'findings alerts the Slack notifier could not post (subscription redrive and the on-failure destination of the function)',
    });
    const handler = new AutomationFunction(this, 'Function', {
      functionDir: 'slack-notifier',
      config: props.config,
      description: 'Harbormaster: posts findings alerts to Slack',
      timeout: props.timeout ?? Duration.seconds(60),
      memorySize: 256,
      // The ARN only: the function reads the URL at runtime and never logs it.
      environment: { [ENV.SLACK_SECRET]: this.webhookSecret.secretArn },
      retryAttempts: props.retryAttempts ?? 2,
      maxEventAge: props.maxEventAge ?? Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    Validations.of(handler).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failed asynchronous invocations go to an on-failure destination (the same dead-letter queue), which records more context than a function DLQ.',
    });
    props.topic.addSubscription(new LambdaSubscription(handler, { deadLetterQueue: this.deadLetterQueue }));

    // Looked up by name: the ARN carries no random suffix, so allow exactly the six characters Secrets Manager adds.
    handler.addToRolePolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        resources: [`${this.webhookSecret.secretArn}-??????`],
      }),
    );
    this.handler = handler;
    this.serviceName = handler.serviceName;
  }
}
