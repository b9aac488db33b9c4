import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { processSqsBatch, type SqsBatchOptions, type SqsRecordHandler } from './sqs-batch';

/** What a queue function builds once per container: its record handler and the metrics flush. */
export interface QueueRuntime {
  readonly handle: SqsRecordHandler;
  /** Publishes what the batch recorded (Powertools Metrics' publishStoredMetrics). */
  readonly flush: () => void;
}

/**
 * The one Lambda handler shape of every queue-fed function: on the first invocation `start` reads the
 * compiled-in config and the environment (a missing setting fails the invocation with its name, so the
 * batch is retried once the setting is fixed), then each SQS record goes to the record handler, failures
 * become batch item failures (the record handler writes the one log line) and metrics are flushed after
 * every batch.
 */
export function queueHandler(
  start: () => QueueRuntime,
  options: SqsBatchOptions = {},
): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  let runtime: QueueRuntime | undefined;
  return async (event, context) => {
    runtime ??= start();
    try {
      // Every failed record is reported as an item failure, even when all of them failed.
      return await processSqsBatch(event, runtime.handle, context, options);
    } finally {
      runtime.flush();
    }
  };
}
