import { createHash } from 'node:crypto';
import { ArnFormat, CfnOutput, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import {
  AnyPrincipal,
  Effect,
  type IRole,
  Policy,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { CfnPullTimeUpdateExclusion } from 'aws-cdk-lib/aws-ecr';
import { Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HarbormasterConfig } from '../../../shared/config/schema';
import { METRICS_NAMESPACE } from '../../../shared/observability/metric-names';
import { ENV } from '../../../shared/runtime/env-names';
import { HarbormasterFunction } from '../harbormaster-function';
import {
  ecrReplicaTargets,
  registryCredentialSecrets,
  replicatedSourceRepositories,
} from '../../../shared/replication/rule-targets';
import { DeadLetterQueue, sourceQueueName } from '../dead-letter-queue';

/** Reads a source image: manifest, blob existence and blob download (ECR's pull actions). */
export const SOURCE_ECR_ACTIONS = [
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
] as const;
/** Writes an image at an ECR destination: blob existence (HEAD), chunked upload, manifest read-back and write. */
export const DESTINATION_ECR_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
  'ecr:BatchGetImage',
] as const;

const MAX_ROLE_NAME = 64;

/**
 * The replicator role's name: `<stack name>-replicator-<region>` (IAM names are global to the account, so the
 * region keeps two regions' deployments apart; a region-agnostic stack has none). Over IAM's 64 characters, cut
 * and ended with a hash of the whole.
 */
export function replicatorRoleName(stackName: string, region?: string): string {
  const name = region ? `${stackName}-replicator-${region}` : `${stackName}-replicator`;
  if (name.length <= MAX_ROLE_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_ROLE_NAME - hash.length - 1)}-${hash}`;
}

/** The Powertools service name of the replicator: the `service` dimension of its metrics. */
export const REPLICATOR_SERVICE_NAME = 'replicator';

export interface GatedReplicatorProps {
  /** The validated config: its `gatedReplication` rules decide the IAM scope; it is compiled into the function. */
  readonly config: HarbormasterConfig;
  /** The audit table: the replicator writes (and, when an alert fails, withdraws) `replicated` rows. */
  readonly auditTable: ITable;
  /**
   * The image-state table: the replicator re-reads each image's verdict there before copying (GetItem), and
   * keeps what it has copied per rule and digest in items of its own (UpdateItem, keys `REPLICATION#...` only).
   */
  readonly stateTable: ITable;
  /** The findings topic: failed replications are published there with verdict=replication-failed. */
  readonly alertTopic: ITopic;
  /**
   * Function memory. Copies stream (memory is bounded by chunk size x concurrency, not by image size), but
   * Lambda's network and CPU share grows with memory, and large images want both.
   * @default 1536
   */
  readonly memorySize?: number;
  /**
   * Deliveries of a message before it is dead-lettered.
   * @default 3
   */
  readonly maxReceiveCount?: number;
  /**
   * Copies running at the same time (the event source's maximum concurrency, at least 2).
   * @default 5
   */
  readonly maxConcurrency?: number;
}

// The longest a Lambda function may run: the largest images need it.
const FUNCTION_TIMEOUT = Duration.minutes(15);
// AWS's guidance for SQS-fed functions: visibility timeout at least six times the function timeout.
const VISIBILITY_TIMEOUT = Duration.minutes(90);

/**
 * Gated replication (G1): the replication queue (with its dead-letter queue) and the replicator function it
 * feeds. The scan path sends one message per image and rule that passed its gate (shared/replication/build-message.ts);
 * the function checks it against its compiled-in config (rule, repository, tags; the destinations and credentials
 * come from the config), re-reads the image's verdict, copies the image by digest to the rule's destinations
 * with the OCI copy engine, audits every destination and alerts on failure.
 *
 * IAM is scoped to what the rules name: pull on the managed repositories some rule replicates from, push on the
 * exact destination repository ARNs, GetSecretValue on the named registry secrets. A cross-account ECR
 * destination also needs its repository policy (in the destination account) to allow this function's role the
 * push actions: see `role` and the README.
 */
export class GatedReplicator extends Construct {
  /** Where the scan path sends replication messages (grant senders sqs:SendMessage on it). */
  public readonly queue: Queue;
  /** Messages that failed `maxReceiveCount` times; alarm on its depth. */
  public readonly deadLetterQueue: Queue;
  /** The replicator. */
  public readonly function: HarbormasterFunction;
  /** The function's role: name it in destination-account repository policies. */
  public readonly role: Role;
  /** The role's name, known at synth (see `replicatorRoleName`). */
  public readonly roleName: string;
  /** The `service` dimension of the replicator's metrics. */
  public readonly serviceName = REPLICATOR_SERVICE_NAME;

  constructor(scope: Construct, id: string, props: GatedReplicatorProps) {
    super(scope, id);
    const memorySize = props.memorySize ?? 1536;
    if (!Number.isInteger(memorySize) || memorySize < 1024 || memorySize > 10240) {
      throw new Error(
        `GatedReplicator: memorySize must be an integer from 1024 to 10240 MB, got ${memorySize}`,
      );
    }
    const maxReceiveCount = props.maxReceiveCount ?? 3;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1) {
      throw new Error(`GatedReplicator: maxReceiveCount must be a positive integer, got ${maxReceiveCount}`);
    }
    const maxConcurrency = props.maxConcurrency ?? 5;
    if (!Number.isInteger(maxConcurrency) || maxConcurrency < 2 || maxConcurrency > 1000) {
      throw new Error(
        `GatedReplicator: maxConcurrency must be an integer from 2 to 1000, got ${maxConcurrency}`,
      );
    }

    const queueName = sourceQueueName(this, 'Queue');
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: 'replication requests that failed every attempt',
      sourceQueueName: queueName,
    });
    this.queue = new Queue(this, 'Queue', {
      queueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: VISIBILITY_TIMEOUT,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });

    // Its own role: only what is granted below plus writes to its own log group (no AWS managed policy).
    // A name derived from the stack, not generated: a destination account's repository policies name it
    // (HarbormasterDestination stacks) before this role exists, and keep naming it if it is re-created.
    const stack = Stack.of(this);
    this.roleName = replicatorRoleName(
      stack.stackName,
      Token.isUnresolved(stack.region) ? undefined : stack.region,
    );
    this.role = new Role(this, 'Role', {
      roleName: this.roleName,
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Harbormaster replicator: copies gated images to other regions, accounts and registries',
    });
    new CfnOutput(this, 'DeadLetterQueueArn', {
      value: this.deadLetterQueue.queueArn,
      description:
        'Replication messages that failed every delivery; redrive with aws sqs start-message-move-task',
    });
    new CfnOutput(this, 'ReplicatorRoleArn', {
      value: this.role.roleArn,
      description:
        'The replicator role: the HarbormasterDestination stacks let it push to cross-account gated replication destinations',
    });
    this.function = new HarbormasterFunction(this, 'Function', {
      functionDir: 'replicator',
      config: props.config,
      description: 'Harbormaster replicator: gated copies of scanned images (OCI copy engine)',
      role: this.role,
      memorySize,
      timeout: FUNCTION_TIMEOUT,
      tracing: Tracing.ACTIVE,
      environment: {
        [ENV.AUDIT_TABLE]: props.auditTable.tableName,
        [ENV.STATE_TABLE]: props.stateTable.tableName,
        [ENV.FINDINGS_TOPIC]: props.alertTopic.topicArn,
        // The only source a job reads from, whatever a message says.
        [ENV.ACCOUNT]: Stack.of(this).account,
        POWERTOOLS_SERVICE_NAME: REPLICATOR_SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    this.function.logGroup.grantWrite(this.role);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    });
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Invoked only by its SQS event source: failed records return to the queue and end in its dead-letter queue.',
    });

    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        // One image per invocation: the whole 15 minutes belong to it, and a failure retries only that image.
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency,
      }),
    );
    Validations.of(this.function).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        "SQS event source mappings take no on-failure destination; the queue's redrive policy moves failed records to the dead-letter queue.",
    });

    // The replicator reads every image it copies: excluded from pull-time updates, its pulls do not keep an image
    // "recently pulled" for lifecycle rules (sinceImagePulled, archiveUnpulledAfterDays). Native resource of
    // ECR's RegisterPullTimeUpdateExclusion API; deleted with the stack.
    new CfnPullTimeUpdateExclusion(this, 'PullTimeUpdateExclusion', { principalArn: this.role.roleArn });

    this.grantEcr(props.config);
    this.grantSecrets(props.config);
    this.grantAudit(props.auditTable);
    this.grantState(props.stateTable);
    this.grantAlerts(props.alertTopic);
  }

  /**
   * Makes `sender` (the scan function's role) the only principal that may send to the replication queue: an
   * explicit deny for every other principal, because in its own account any identity policy granting
   * sqs:SendMessage would otherwise do. The replicator still re-checks every message against its compiled config.
   * Operators cannot move dead letters back with start-message-move-task; `harbormaster backfill` re-copies.
   */
  public acceptMessagesOnlyFrom(sender: IRole): void {
    this.queue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'OnlyTheScanFunctionSends',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': sender.roleArn } },
      }),
    );
  }

  private grantEcr(config: HarbormasterConfig): void {
    const stack = Stack.of(this);
    // GetAuthorizationToken is account-wide; its own policy so the acknowledgement covers this statement only.
    const tokenPolicy = new Policy(this, 'EcrTokenPolicy', {
      statements: [
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['ecr:GetAuthorizationToken'],
          resources: ['*'],
        }),
      ],
      roles: [this.role],
    });
    Validations.of(tokenPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken supports no resource-level permissions; the token it returns is limited by the push/pull statements on named repositories.',
    });

    const sources = replicatedSourceRepositories(config);
    if (sources.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: [...SOURCE_ECR_ACTIONS],
          resources: sources.map((repo) =>
            stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: repo.name }),
          ),
        }),
      );
    }
    const destinations = ecrReplicaTargets(config);
    if (destinations.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: [...DESTINATION_ECR_ACTIONS],
          resources: destinations.map((target) =>
            stack.formatArn({
              service: 'ecr',
              region: target.region,
              ...(target.account ? { account: target.account } : {}),
              resource: 'repository',
              resourceName: target.repositoryName,
            }),
          ),
        }),
      );
    }
  }

  private grantSecrets(config: HarbormasterConfig): void {
    const secrets = registryCredentialSecrets(config);
    if (secrets.length === 0) return;
    const stack = Stack.of(this);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['secretsmanager:GetSecretValue'],
        // By name: Secrets Manager appends "-" and six random characters to every secret's ARN.
        resources: secrets.map((name) =>
          stack.formatArn({
            service: 'secretsmanager',
            resource: 'secret',
            resourceName: `${name}-??????`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
  }

  private grantAudit(table: ITable): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
      }),
    );
    if (table.encryptionKey) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [table.encryptionKey.keyArn],
        }),
      );
    }
  }

  private grantState(table: ITable): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:GetItem'],
        resources: [table.tableArn],
      }),
    );
    // Its own ledger items only: the replicator never changes an image's state (verdicts, leases).
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['dynamodb:UpdateItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['REPLICATION#*'] } },
      }),
    );
    if (table.encryptionKey) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [table.encryptionKey.keyArn],
        }),
      );
    }
  }

  private grantAlerts(topic: ITopic): void {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['sns:Publish'], resources: [topic.topicArn] }),
    );
    if (topic.masterKey) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [topic.masterKey.keyArn],
        }),
      );
    }
  }
}
