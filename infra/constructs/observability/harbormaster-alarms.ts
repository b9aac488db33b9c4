import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE } from '../../../shared/observability/metric-names';
import {
  idFromLabel,
  type MonitoredFunction,
  queueLabels,
  validateMonitoredFunctions,
} from './monitored-function';

export interface HarbormasterAlarmsProps {
  /** Every automation function: one Errors alarm each. */
  readonly functions: readonly MonitoredFunction[];
  /** Every dead-letter queue: one alarm each when a message is visible; named by its construct path in the stack. */
  readonly deadLetterQueues: readonly IQueue[];
  /**
   * The `service` dimension of the replicator's ReplicationsFailed metric.
   * @default 'replicator'
   */
  readonly replicationServiceName?: string;
  /**
   * The `service` dimension of the image-events function, which emits ReplicationsFailed for a FAILED native
   * ECR replication.
   * @default - no alarm on native replication
   */
  readonly nativeReplicationServiceName?: string;
  /** Emails subscribed to the operations topic (config `operations.alarmEmails`); each must confirm by email. */
  readonly alarmEmails: readonly string[];
  /** @default Duration.minutes(5) */
  readonly period?: Duration;
}

/**
 * Alarms for the things that need a person: a message in a dead-letter queue, a function error, a failed
 * replication. Every alarm notifies the operations topic on ALARM and on OK. The topic is encrypted with a
 * customer managed key (CloudWatch cannot use the AWS managed aws/sns key), accepts TLS only, and only
 * this account's CloudWatch alarms may publish to it.
 */
export class HarbormasterAlarms extends Construct {
  readonly topic: Topic;
  readonly topicKey: Key;
  /** Every alarm created, in the order: dead-letter queues, function errors, failed replications (gated, native). */
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: HarbormasterAlarmsProps) {
    super(scope, id);
    validateMonitoredFunctions(props.functions, 'HarbormasterAlarms');
    const period = props.period ?? Duration.minutes(5);
    const stack = Stack.of(this);

    this.topicKey = new Key(this, 'TopicKey', {
      description: 'Harbormaster operations topic encryption (CloudWatch alarms must be able to use it)',
      enableKeyRotation: true,
    });
    // CloudWatch alarms encrypt the message for SNS with this key.
    this.topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Only alarms of this account (confused deputy: CloudWatch acting for another account).
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      displayName: 'Harbormaster operations',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy, which replaces SNS's default one: allow this account's alarms explicitly.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisAccountsAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    for (const email of props.alarmEmails) {
      const subscription = this.topic.addSubscription(new EmailSubscription(email));
      Validations.of(subscription).acknowledge({
        id: 'Serverless-SNSRedrivePolicy',
        reason:
          'An email subscription has no consumer to redrive to: an undelivered alarm email stays visible as the alarm ' +
          'state and history in CloudWatch, and a dead-letter queue for it would need an alarm routed to this same topic.',
      });
    }

    const action = new SnsAction(this.topic);
    const alarm = (alarmId: string, metric: IMetric, description: string): Alarm => {
      const created = new Alarm(this, alarmId, {
        metric,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No data means nothing failed: the functions emit only when they run.
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };

    const labels = queueLabels(props.deadLetterQueues);
    props.deadLetterQueues.forEach((queue, i) => {
      alarm(
        `${idFromLabel(labels[i])}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM, period }),
        `Harbormaster: messages in dead-letter queue ${labels[i]}. Records failed every retry; read the function's ` +
          'log line for why, fix, then redrive the queue.',
      );
    });
    for (const f of props.functions) {
      alarm(
        `${f.name}Errors`,
        f.function.metricErrors({ statistic: Stats.SUM, period }),
        `Harbormaster: function ${f.name} reported errors (invocations that threw). Check its log group.`,
      );
    }
    alarm(
      'ReplicationsFailed',
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.ReplicationsFailed,
        dimensionsMap: { service: props.replicationServiceName ?? 'replicator' },
        statistic: Stats.SUM,
        period,
      }),
      'Harbormaster: a gated replication copy failed. `harbormaster audit REPO@DIGEST` shows the image timeline.',
    );
    if (props.nativeReplicationServiceName) {
      alarm(
        'NativeReplicationsFailed',
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: METRIC.ReplicationsFailed,
          dimensionsMap: { service: props.nativeReplicationServiceName },
          statistic: Stats.SUM,
          period,
        }),
        'Harbormaster: ECR native replication reported FAILED in a destination region (the alert names it). ' +
          '`harbormaster audit REPO@DIGEST` shows the image timeline.',
      );
    }
  }
}
