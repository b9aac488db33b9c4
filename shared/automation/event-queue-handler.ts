import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { AuditWriter } from '../audit/writer';
import type { NormalizedEvent } from '../domain/types';
import type { DetailParsers } from '../events/dispatch';
import { createMetrics, recordMetric } from '../observability/metrics';
import { bundledConfig } from '../runtime/bundled-config';
import { requiredEnv } from '../runtime/env';
import { ENV } from '../runtime/env-names';
import { queueHandler } from '../runtime/queue-handler';
import type { RuntimeConfig } from '../runtime/runtime-config';
import { automationLog, type AutomationLog, type CountMetric, type EventOutcome } from './execute-plan';
import { sqsEventRecordHandler } from './sqs-record-handler';

/** What every event function's work needs, built once per container. */
export interface EventFunctionBase {
  readonly config: RuntimeConfig;
  readonly audit: AuditWriter;
  readonly log: AutomationLog;
  readonly metric: CountMetric;
  readonly now: () => Date;
  /** The deployment's account (HARBORMASTER_ACCOUNT_ID, else the config's env.account). */
  readonly account?: string;
}

/**
 * The Lambda handler of an event queue (image events, scan events): on the first invocation it reads
 * the compiled-in config and the environment (a missing setting fails with its name), then each SQS
 * record is parsed, routed and processed, failures become batch item failures (one log line each, then
 * the dead-letter queue), and metrics are flushed after every batch.
 */
export function eventQueueHandler<E extends NormalizedEvent>(options: {
  /** The detail parsers this function ships (IMAGE_EVENTS or SCAN_EVENTS). */
  readonly events: DetailParsers;
  readonly accepts: (event: NormalizedEvent) => event is E;
  /** The function's module-scope DynamoDB client (for the audit trail). */
  readonly dynamodb: DynamoDBClient;
  /** Builds the per-event work from the common parts; called once, on the first invocation. */
  readonly init: (base: EventFunctionBase) => (event: E) => Promise<EventOutcome>;
}): (event: SQSEvent, context: Context) => Promise<SQSBatchResponse> {
  const log = automationLog(new Logger());
  // The shape every queue function shares (shared/runtime/queue-handler.ts).
  return queueHandler(() => {
    const config = bundledConfig();
    const metrics = createMetrics();
    const metric: CountMetric = (name, value) => recordMetric(metrics, name, value);
    const audit = new AuditWriter(options.dynamodb, {
      tableName: requiredEnv(ENV.AUDIT_TABLE),
      retentionDays: config.audit.retentionDays,
    });
    const account = process.env[ENV.ACCOUNT] || config.env.account;
    const work = options.init({
      config,
      audit,
      log,
      metric,
      now: () => new Date(),
      ...(account ? { account } : {}),
    });
    return {
      flush: () => metrics.publishStoredMetrics(),
      handle: sqsEventRecordHandler({
        events: options.events,
        accepts: options.accepts,
        process: work,
        log,
        metric,
        ...(account ? { account } : {}),
      }),
    };
  });
}
