import { Aspects, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { HarbormasterConfig } from '../../shared/config/schema';
import { ENV } from '../../shared/runtime/env-names';
import { AuditTable } from '../constructs/automation/audit-table';
import { EventPipeline } from '../constructs/automation/event-pipeline';
import { imageEventPatterns, scanEventPatterns } from '../constructs/automation/event-patterns';
import { FindingsTopic } from '../constructs/automation/findings-topic';
import { ImageStateTable } from '../constructs/automation/image-state-table';
import {
  IMAGE_FUNCTION_ECR_ACTIONS,
  SCAN_FUNCTION_ECR_ACTIONS,
  grantEnhancedScanFindings,
  grantSignatureReads,
  grantQueueSend,
  grantRepositoryActions,
  repositoryArn,
} from '../constructs/automation/function-grants';
import { SlackNotifier } from '../constructs/automation/slack-notifier';
import { HarbormasterAlarms } from '../constructs/observability/harbormaster-alarms';
import { HarbormasterDashboard } from '../constructs/observability/harbormaster-dashboard';
import type { MonitoredFunction } from '../constructs/observability/monitored-function';
import { GatedReplicator } from '../constructs/replication/gated-replicator';
import { KmsGrantGuard } from '../constructs/guardrails/kms-grant-guard';

/** The image function's timeout (EventPipeline's default): tag writes, or an alert, per record. */
const IMAGE_TIMEOUT_SECONDS = 30;
/** The scan function's timeout: findings pages, an index's children, quarantine batches and an alert per record. */
const SCAN_TIMEOUT_SECONDS = 60;

export interface AutomationStackProps extends StackProps {
  /** The validated Harbormaster config. */
  readonly config: HarbormasterConfig;
  /**
   * The gated replicator's queue: when given, the scan function may enqueue replication requests to it.
   * @default - no gated replication (see `enableReplication` to connect one later)
   */
  readonly replicationQueue?: IQueue;
}

/**
 * Push and scan automation (A1-A6): EventBridge -> SQS -> functions, the audit table, the findings topic
 * and, when the config names a webhook secret, the Slack notifier. Queues, dead-letter queues and
 * functions are public so dashboards and alarms can watch them.
 */
export class AutomationStack extends Stack {
  public readonly auditTable: AuditTable;
  /** One item per image digest: verdict, last alert, quarantine, index/children, event leases. */
  public readonly stateTable: ImageStateTable;
  public readonly findings: FindingsTopic;
  /** Push, delete, archive/restore and native replication results (from every destination region) -> audit, auto-tag, alert. */
  public readonly imageEvents: EventPipeline;
  /** Basic and enhanced scan results -> verdict, audit, alert, promote/quarantine, replication. */
  public readonly scanEvents: EventPipeline;
  /** Present when `notifications.slackWebhookSecret` is set. */
  public readonly slackNotifier?: SlackNotifier;
  /** Present when the config has `gatedReplication` rules. */
  public readonly replicator?: GatedReplicator;
  public readonly dashboard: HarbormasterDashboard;
  public readonly alarms: HarbormasterAlarms;

  constructor(scope: Construct, id: string, props: AutomationStackProps) {
    super(scope, id, props);
    // CT.KMS.PR.3 on every key of the stack (table, topics, logs), whoever creates it.
    Aspects.of(this).add(new KmsGrantGuard());
    const { config } = props;
    const repositoryNames = config.repositories.map((repository) => repository.name);
    const signatureRepositories = config.repositories
      .filter((repository) => repository.scan.requireSignature)
      .map((repository) => repository.name);
    const managed = {
      names: repositoryNames,
      signatureRepositories,
      arnOf: (name: string) => repositoryArn(this, name),
      account: this.account,
    };

    this.auditTable = new AuditTable(this, 'AuditTable');
    this.stateTable = new ImageStateTable(this, 'ImageStateTable');
    this.findings = new FindingsTopic(this, 'Findings', { teams: config.teams });

    this.imageEvents = new EventPipeline(this, 'ImageEvents', {
      eventPatterns: imageEventPatterns(managed),
      functionDir: 'image-events',
      config,
      description: 'image events of managed repositories: audit trail and auto-tags',
      environment: {
        [ENV.AUDIT_TABLE]: this.auditTable.table.tableName,
        [ENV.ACCOUNT]: this.account,
        // A FAILED native replication (forwarded from its destination region) is alerted on the findings topic,
        // once per event: under the image's lease in the state table (the function's 30 s timeout plus 30 s).
        [ENV.FINDINGS_TOPIC]: this.findings.topic.topicArn,
        [ENV.STATE_TABLE]: this.stateTable.table.tableName,
        [ENV.LEASE_SECONDS]: String(IMAGE_TIMEOUT_SECONDS + 30),
      },
      timeout: Duration.seconds(IMAGE_TIMEOUT_SECONDS),
    });
    grantRepositoryActions(this.imageEvents.handler, this, IMAGE_FUNCTION_ECR_ACTIONS, repositoryNames);
    this.auditTable.grantWrite(this.imageEvents.handler);
    this.auditTable.grantRead(this.imageEvents.handler);
    this.findings.grantPublish(this.imageEvents.handler);
    this.stateTable.grantReadWrite(this.imageEvents.handler);

    this.scanEvents = new EventPipeline(this, 'ScanEvents', {
      eventPatterns: scanEventPatterns(managed),
      functionDir: 'scan-events',
      config,
      description: 'scan results of managed repositories: verdict, alerts, promotion and quarantine',
      // Findings pages, an alert and several tag writes per record.
      timeout: Duration.seconds(SCAN_TIMEOUT_SECONDS),
      environment: {
        [ENV.AUDIT_TABLE]: this.auditTable.table.tableName,
        [ENV.FINDINGS_TOPIC]: this.findings.topic.topicArn,
        [ENV.STATE_TABLE]: this.stateTable.table.tableName,
        // Longer than any invocation, much shorter than the visibility timeout (6x): a redelivery after a
        // crash finds the lease expired and completes the work.
        [ENV.LEASE_SECONDS]: String(SCAN_TIMEOUT_SECONDS + 30),
        [ENV.ACCOUNT]: this.account,
      },
    });
    this.stateTable.grantReadWrite(this.scanEvents.handler);
    grantRepositoryActions(this.scanEvents.handler, this, SCAN_FUNCTION_ECR_ACTIONS, repositoryNames);
    // The Inspector rules are always deployed (a registry can switch to enhanced scanning at any time), and
    // DescribeImageScanFindings of an enhanced scan needs inspector2:ListFindings: grant it whenever they exist.
    grantEnhancedScanFindings(this, 'ScanEventsInspectorFindings', this.scanEvents.handlerRole);
    if (signatureRepositories.length > 0) {
      grantSignatureReads(
        this,
        'ScanEventsSignatureReads',
        this.scanEvents.handlerRole,
        signatureRepositories,
      );
    }
    this.auditTable.grantWrite(this.scanEvents.handler);
    this.auditTable.grantRead(this.scanEvents.handler);
    this.findings.grantPublish(this.scanEvents.handler);

    const slackSecret = config.notifications.slackWebhookSecret;
    if (slackSecret) {
      this.slackNotifier = new SlackNotifier(this, 'SlackNotifier', {
        topic: this.findings.topic,
        webhookSecretName: slackSecret,
        config,
      });
    }
    if (props.replicationQueue) this.enableReplication(props.replicationQueue);
    if (config.gatedReplication.length > 0) {
      // The scan function requires REPLICATION_QUEUE_URL whenever gated rules exist: wire it here.
      this.replicator = new GatedReplicator(this, 'GatedReplicator', {
        config,
        auditTable: this.auditTable.table,
        stateTable: this.stateTable.table,
        alertTopic: this.findings.topic,
      });
      this.enableReplication(this.replicator.queue);
      this.replicator.acceptMessagesOnlyFrom(this.scanEvents.handlerRole);
    }

    const observed = { functions: this.monitoredFunctions, deadLetterQueues: this.deadLetterQueues };
    this.dashboard = new HarbormasterDashboard(this, 'Dashboard', observed);
    this.alarms = new HarbormasterAlarms(this, 'Alarms', {
      ...observed,
      nativeReplicationServiceName: this.imageEvents.serviceName,
      alarmEmails: config.operations.alarmEmails,
    });

    // What operators look up: the CLI's --table / HARBORMASTER_AUDIT_TABLE, the topic to subscribe more
    // endpoints to, and the dead-letter queues to inspect and redrive.
    new CfnOutput(this, 'AuditTableName', { value: this.auditTable.table.tableName });
    new CfnOutput(this, 'ImageStateTableName', { value: this.stateTable.table.tableName });
    new CfnOutput(this, 'FindingsTopicArn', { value: this.findings.topic.topicArn });
    new CfnOutput(this, 'ImageEventsDeadLetterQueueUrl', {
      value: this.imageEvents.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'ScanEventsDeadLetterQueueUrl', { value: this.scanEvents.deadLetterQueue.queueUrl });
  }

  /** Every automation function with its metrics `service` dimension, for the dashboard and alarms. */
  public get monitoredFunctions(): MonitoredFunction[] {
    const functions: MonitoredFunction[] = [
      { name: 'image-events', function: this.imageEvents.handler, serviceName: this.imageEvents.serviceName },
      { name: 'scan-events', function: this.scanEvents.handler, serviceName: this.scanEvents.serviceName },
    ];
    if (this.slackNotifier) {
      functions.push({
        name: 'slack-notifier',
        function: this.slackNotifier.handler,
        serviceName: this.slackNotifier.serviceName,
      });
    }
    if (this.replicator) {
      functions.push({
        name: 'replicator',
        function: this.replicator.function,
        serviceName: this.replicator.serviceName,
      });
    }
    return functions;
  }

  /** Every dead-letter queue of the automation: a visible message there is an event or alert that needs a look. */
  public get deadLetterQueues(): IQueue[] {
    return [
      this.imageEvents.deadLetterQueue,
      this.scanEvents.deadLetterQueue,
      this.findings.deadLetterQueue,
      ...(this.slackNotifier ? [this.slackNotifier.deadLetterQueue] : []),
      ...(this.replicator ? [this.replicator.deadLetterQueue] : []),
    ];
  }

  /** Lets the scan function enqueue gated replication requests to `queue` (env REPLICATION_QUEUE_URL). */
  public enableReplication(queue: IQueue): void {
    grantQueueSend(this.scanEvents.handler, queue);
    this.scanEvents.addEnvironment(ENV.REPLICATION_QUEUE, queue.queueUrl);
  }
}
