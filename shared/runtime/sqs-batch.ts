import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * SQS partial batch responses (the event source mapping's ReportBatchItemFailures), without a library:
 * Powertools' BatchProcessor did the same for ~6 KB of bundle and its store objects at module load,
 * against a 10% bundle budget (DESIGN.md).
 *
 * The contract, as the event functions rely on it:
 * - every record of the batch is handled, concurrently (a standard queue has no order to keep);
 * - a record whose handler throws or rejects is reported as `{ itemIdentifier: messageId }` in
 *   `batchItemFailures`, in the order of the batch, so SQS returns only that record to the queue
 *   (and moves it to the dead-letter queue after maxReceiveCount);
 * - a record whose handler resolves is deleted by SQS (it is not reported);
 * - the handler itself logs why a record failed (shared/automation/sqs-record-handler.ts writes one
 *   line per failure); this function never swallows a failure and never throws for one, not even
 *   when every record failed (the response then lists them all).
 */

/** Handles one record; resolves when the record is done, throws to have it retried. */
export type SqsRecordHandler = (record: SQSRecord, context?: Context) => Promise<unknown>;

/** The Lambda event was not an SQS batch (no Records array): a wiring mistake, not a bad record. */
export class SqsBatchEventError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqsBatchEventError';
  }
}

export interface SqsBatchOptions {
  /**
   * Handle one record after another instead of concurrently (the replicator: memory stays bounded by one copy).
   * @default false
   */
  readonly sequential?: boolean;
}

export async function processSqsBatch(
  event: SQSEvent,
  handle: SqsRecordHandler,
  context?: Context,
  options: SqsBatchOptions = {},
): Promise<SQSBatchResponse> {
  const records: unknown = (event as Partial<SQSEvent> | undefined)?.Records;
  if (!Array.isArray(records)) {
    throw new SqsBatchEventError(
      'expected an SQS event with a Records array (check the event source mapping)',
    );
  }
  const outcomes: PromiseSettledResult<unknown>[] = [];
  if (options.sequential) {
    for (const record of records as SQSRecord[]) {
      outcomes.push(...(await Promise.allSettled([handle(record, context)])));
    }
  } else {
    outcomes.push(
      ...(await Promise.allSettled((records as SQSRecord[]).map(async (record) => handle(record, context)))),
    );
  }
  const batchItemFailures: SQSBatchItemFailure[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'rejected') batchItemFailures.push({ itemIdentifier: records[i].messageId });
  });
  return { batchItemFailures };
}
