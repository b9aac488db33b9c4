import { Duration, Validations } from 'aws-cdk-lib';
import { Rule, type EventPattern, type IRule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HarbormasterConfig } from '../../../shared/config/schema';
import { AutomationFunction } from './automation-function';
import { DeadLetterQueue, sourceQueueName } from '../dead-letter-queue';

/** Lambda's guidance: a queue's visibility timeout of at least six times the function timeout (plus the batching window). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface EventPipelineProps {
  /** One EventBridge rule on the default bus per entry (construct id -> pattern), all targeting this pipeline's queue. */
  readonly eventPatterns: Record<string, EventPattern>;
  /** Folder under functions/ holding the handler, e.g. "scan-events"; also the Powertools service name. */
  readonly functionDir: string;
  /** The validated config, compiled into the function bundle. */
  readonly config: HarbormasterConfig;
  /** What the pipeline does, for the function and rule descriptions. */
  readonly description: string;
  /**
   * Extra environment variables for the function (names from shared/runtime/env-names.ts; never a secret value).
   * @default - only the Powertools service name and metrics namespace
   */
  readonly environment?: Record<string, string>;
  /**
   * Function timeout; the queue's visibility timeout is derived from it.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Function memory in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Records per invocation (failed ones are reported individually).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers records before invoking; none keeps the reaction within seconds.
   * @default - no batching window
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations the queue may drive (2-1000): a burst of pushes or findings must not take the
   * account's whole Lambda concurrency nor exceed ECR's API rates.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Receives of a message before it moves to the dead-letter queue.
   * @default 5
   */
  readonly maxReceiveCount?: number;
}

/**
 * EventBridge rules -> encrypted SQS queue (with a dead-letter queue) -> function with partial batch responses.
 * The queue absorbs bursts and retries; a record that keeps failing ends in the dead-letter queue, never lost.
 */
export class EventPipeline extends Construct {
  public readonly rules: readonly IRule[];
  public readonly queue: IQueue;
  /** Receives messages that failed `maxReceiveCount` times, and events EventBridge could not deliver to the queue. */
  public readonly deadLetterQueue: IQueue;
  public readonly handler: IFunction;
  /** The function's own role (only what it is granted). */
  public readonly handlerRole: IRole;
  /** The Powertools service name, the `service` dimension of the function's metrics. */
  public readonly serviceName: string;
  private readonly fn: AutomationFunction;

  constructor(scope: Construct, id: string, props: EventPipelineProps) {
    super(scope, id);
    if (Object.keys(props.eventPatterns).length === 0) {
      throw new Error(`EventPipeline ${id}: expected at least one entry in props.eventPatterns`);
    }
    const timeout = props.timeout ?? Duration.seconds(30);
    const batchingWindow = props.maxBatchingWindow ?? Duration.seconds(0);

    const queueName = sourceQueueName(this, 'Queue');
    const deadLetterQueue = new DeadLetterQueue(this, 'DeadLetterQueue', {
      holds: `${props.description}: events the function failed to process, and events EventBridge could not deliver`,
      sourceQueueName: queueName,
    });
    const queue = new Queue(this, 'Queue', {
      queueName,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A message stays invisible while the function (and its retries within one poll) may still hold it.
      visibilityTimeout: Duration.seconds(
        VISIBILITY_TIMEOUT_FACTOR * timeout.toSeconds() + batchingWindow.toSeconds(),
      ),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });

    const handler = new AutomationFunction(this, 'Function', {
      functionDir: props.functionDir,
      config: props.config,
      description: `Harbormaster: ${props.description}`,
      timeout,
      memorySize: props.memorySize ?? 256,
      environment: props.environment,
    });
    handler.addEventSource(
      new SqsEventSource(queue, {
        batchSize: props.batchSize ?? 10,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: props.maxConcurrency ?? 10,
        reportBatchItemFailures: true,
      }),
    );
    Validations.of(handler).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        "Invoked by an SQS event source, never asynchronously: failed records go to the queue's redrive dead-letter queue.",
    });
    Validations.of(handler).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        "SQS event source mappings take no on-failure destination; the queue's redrive policy moves failed records to the dead-letter queue.",
    });

    this.rules = Object.entries(props.eventPatterns).map(
      ([ruleId, eventPattern]) =>
        new Rule(this, ruleId, {
          description: `Harbormaster: ${props.description} (${ruleId})`,
          eventPattern,
          // Events EventBridge cannot deliver to the queue land in the same dead-letter queue.
          targets: [new SqsQueue(queue, { deadLetterQueue })],
        }),
    );
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.handler = handler;
    this.handlerRole = handler.role!;
    this.serviceName = handler.serviceName;
    this.fn = handler;
  }

  /** Adds an environment variable to the function (a name from shared/runtime/env-names.ts, never a secret). */
  public addEnvironment(key: string, value: string): void {
    this.fn.addEnvironment(key, value);
  }
}
