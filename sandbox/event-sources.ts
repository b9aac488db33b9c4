import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FunctionPool, InvokeResult } from './function-runner';
import type { QueueEventSource, QueueResource, TopicFunctionSubscription } from './provision';

/**
 * Time compression, the one place the sandbox departs from AWS timing on purpose: a record that failed
 * becomes visible again after `retryDelaySeconds` (the sandbox changes its visibility) instead of after the
 * queue's VisibilityTimeout (minutes), and an asynchronous retry waits the same instead of 1-2 minutes. The
 * number of receives before the redrive to the dead-letter queue is the queue's own maxReceiveCount.
 */
export interface Timing {
  readonly retryDelaySeconds: number;
}

export interface EventSourceStats {
  batches: number;
  records: number;
  succeeded: number;
  failedRecords: number;
  largestBatch: number;
}

/** Lambda's SQS event source mapping: polls, batches, invokes, deletes what succeeded, leaves the rest to retry. */
export class QueueEventSourceRunner {
  readonly stats: EventSourceStats = {
    batches: 0,
    records: 0,
    succeeded: 0,
    failedRecords: 0,
    largestBatch: 0,
  };
  /** How many times each message (SQS message id) was handed to the function. */
  readonly deliveries = new Map<string, number>();
  /** How many times records carrying each EventBridge event id were handed to the function. */
  readonly eventIds = new Map<string, number>();
  private running = false;
  private loops: Promise<void>[] = [];
  private busy = 0;

  constructor(
    readonly source: QueueEventSource,
    readonly queue: QueueResource,
    private readonly pool: FunctionPool,
    private readonly sqs: SQSClient,
    private readonly timing: Timing,
  ) {}

  get inFlight(): number {
    return this.busy;
  }

  start(): void {
    this.running = true;
    // One poller per allowed concurrent invocation (the mapping's MaximumConcurrency, else the pool's size).
    const pollers = Math.min(this.source.maxConcurrency ?? this.pool.concurrency, this.pool.concurrency);
    this.loops = Array.from({ length: pollers }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let batch: Message[];
      try {
        batch = await this.collect();
      } catch (error) {
        if (this.running)
          process.emitWarning(`sandbox poller ${this.queue.name}: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (batch.length === 0) continue;
      this.busy += 1;
      try {
        await this.process(batch);
      } finally {
        this.busy -= 1;
      }
    }
  }

  /** Up to BatchSize records: one long poll, then more within MaximumBatchingWindowInSeconds. */
  private async collect(): Promise<Message[]> {
    const batch: Message[] = [];
    const windowEnds = Date.now() + this.source.batchingWindowSeconds * 1000;
    do {
      const waitSeconds =
        batch.length === 0 ? 1 : Math.max(0, Math.min(1, Math.floor((windowEnds - Date.now()) / 1000)));
      const out = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queue.url,
          MaxNumberOfMessages: Math.min(10, this.source.batchSize - batch.length),
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      batch.push(...(out.Messages ?? []));
      if (batch.length === 0 && !this.running) break;
    } while (
      this.running &&
      batch.length > 0 &&
      batch.length < this.source.batchSize &&
      Date.now() < windowEnds
    );
    return batch;
  }

  private async process(batch: Message[]): Promise<void> {
    this.stats.batches += 1;
    this.stats.records += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    for (const m of batch) this.deliveries.set(m.MessageId!, (this.deliveries.get(m.MessageId!) ?? 0) + 1);
    for (const m of batch) {
      const id = eventIdOf(m.Body);
      if (id) this.eventIds.set(id, (this.eventIds.get(id) ?? 0) + 1);
    }
    const event = {
      Records: batch.map((m) => ({
        messageId: m.MessageId,
        receiptHandle: m.ReceiptHandle,
        body: m.Body,
        attributes: m.Attributes ?? {},
        messageAttributes: Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
            k,
            {
              stringValue: v.StringValue,
              binaryValue: v.BinaryValue,
              stringListValues: [],
              binaryListValues: [],
              dataType: v.DataType,
            },
          ]),
        ),
        md5OfBody: m.MD5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: this.queue.arn,
        awsRegion: this.queue.region,
      })),
    };
    const result = await this.pool.invoke(event);
    const failed = failedIds(result, batch, this.source.reportBatchItemFailures);
    const done = batch.filter((m) => !failed.has(m.MessageId!));
    const retry = batch.filter((m) => failed.has(m.MessageId!));
    this.stats.succeeded += done.length;
    this.stats.failedRecords += retry.length;
    if (done.length > 0) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queue.url,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    if (retry.length > 0) {
      await this.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queue.url,
          Entries: retry.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle!,
            VisibilityTimeout: this.timing.retryDelaySeconds,
          })),
        }),
      );
    }
  }
}

/** The `id` of an EventBridge event in a message body, if the body is one. */
function eventIdOf(body: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { id?: unknown; 'detail-type'?: unknown };
    return typeof parsed.id === 'string' && parsed['detail-type'] !== undefined ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The records Lambda treats as failed: all of them when the invocation failed; with ReportBatchItemFailures,
 * the listed ones (a malformed response, or an identifier not in the batch, fails the whole batch).
 */
export function failedIds(
  result: InvokeResult,
  batch: Message[],
  reportBatchItemFailures: boolean,
): Set<string> {
  const all = new Set(batch.map((m) => m.MessageId!));
  if (!result.ok) return all;
  if (!reportBatchItemFailures || result.value === null || result.value === undefined) return new Set();
  const failures = (result.value as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return all;
  const ids = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown })?.itemIdentifier;
    if (typeof id !== 'string' || !all.has(id)) return all;
    ids.add(id);
  }
  return ids;
}

export interface AsyncStats {
  deliveries: number;
  attempts: number;
  failedDeliveries: number;
}

/**
 * SNS -> Lambda, asynchronously: SNS's delivery is stood in by a queue subscribed with the subscription's filter
 * policy; each message is one invocation with an SNS event, retried MaximumRetryAttempts times, then sent to the
 * function's on-failure destination (a Lambda destination record).
 */
export class TopicFunctionRunner {
  readonly stats: AsyncStats = { deliveries: 0, attempts: 0, failedDeliveries: 0 };
  private running = false;
  private loopDone?: Promise<void>;
  private busy = 0;

  constructor(
    readonly subscription: TopicFunctionSubscription,
    private readonly pool: FunctionPool,
    private readonly sqs: SQSClient,
    private readonly onFailureUrl: string | undefined,
    private readonly timing: Timing,
  ) {}

  get inFlight(): number {
    return this.busy;
  }

  start(): void {
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let messages: Message[] = [];
      try {
        const out = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.subscription.deliveryQueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
          }),
        );
        messages = out.Messages ?? [];
      } catch (error) {
        if (this.running) process.emitWarning(`sandbox SNS delivery: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      for (const message of messages) {
        this.busy += 1;
        try {
          await this.deliver(message);
        } finally {
          this.busy -= 1;
        }
      }
    }
  }

  private async deliver(message: Message): Promise<void> {
    const notification = JSON.parse(message.Body!) as Record<string, unknown>;
    const event = {
      Records: [
        {
          EventSource: 'aws:sns',
          EventVersion: '1.0',
          EventSubscriptionArn: `${this.subscription.topicArn}:sandbox`,
          Sns: {
            SignatureVersion: '1',
            Signature: 'sandbox',
            SigningCertUrl: '',
            UnsubscribeUrl: '',
            MessageAttributes: {},
            Subject: null,
            ...notification,
          },
        },
      ],
    };
    this.stats.deliveries += 1;
    let result: InvokeResult | undefined;
    let attempts = 0;
    for (; attempts <= this.subscription.maximumRetryAttempts; attempts++) {
      if (attempts > 0) await new Promise((r) => setTimeout(r, this.timing.retryDelaySeconds * 1000));
      this.stats.attempts += 1;
      result = await this.pool.invoke(event);
      if (result.ok) break;
    }
    if (result && !result.ok) {
      this.stats.failedDeliveries += 1;
      if (this.onFailureUrl) {
        const record = {
          version: '1.0',
          timestamp: new Date().toISOString(),
          requestContext: {
            requestId: message.MessageId,
            functionArn: `${this.pool.fn.arn}:$LATEST`,
            condition: 'RetriesExhausted',
            approximateInvokeCount: attempts,
          },
          requestPayload: event,
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: { errorType: result.error.name, errorMessage: result.error.message },
        };
        await this.sqs.send(
          new SendMessageCommand({ QueueUrl: this.onFailureUrl, MessageBody: JSON.stringify(record) }),
        );
      }
    }
    await this.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.subscription.deliveryQueueUrl,
        Entries: [{ Id: '0', ReceiptHandle: message.ReceiptHandle! }],
      }),
    );
  }
}
