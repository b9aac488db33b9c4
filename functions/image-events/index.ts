import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { AuditRecorder } from '../../shared/audit/store';
import { automationLog, type EventOutcome } from '../../shared/automation/execute-plan';
import { onImageEvent } from '../../shared/automation/on-image-event';
import { sqsEventRecordHandler } from '../../shared/automation/sqs-record-handler';
import type { ImageEvent, NormalizedEvent, ReplicationEvent } from '../../shared/domain/types';
import { IMAGE_EVENTS } from '../../shared/events/image-events';
import { createMetrics, recordMetric } from '../../shared/observability/metrics';
import { bundledConfig } from '../../shared/runtime/bundled-config';
import { requiredEnv } from '../../shared/runtime/env';
import { ENV } from '../../shared/runtime/env-names';
import { processSqsBatch } from '../../shared/runtime/sqs-batch';

/**
 * ECR Image Action (push, delete, archive/restore) and ECR Replication Action events, via SQS:
 * audit trail and auto-tags. Thin: shared/automation/on-image-event.ts does the work.
 */

const logger = new Logger();
const log = automationLog(logger);
// Created once per container; only the clients this function needs.
const clients = { ecr: new ECRClient({}), dynamodb: new DynamoDBClient({}) };

interface Runtime {
  readonly metrics: Metrics;
  readonly recordHandler: (record: SQSRecord) => Promise<EventOutcome>;
}
let runtime: Runtime | undefined;

/** Config and environment read once, on the first invocation; a missing setting fails it with the setting's name. */
function init(): Runtime {
  const config = bundledConfig();
  const metrics = createMetrics();
  const audit = new AuditRecorder(clients.dynamodb, {
    tableName: requiredEnv(ENV.AUDIT_TABLE),
    retentionDays: config.audit.retentionDays,
  });
  const metric = (name: Parameters<typeof recordMetric>[1], value?: number) =>
    recordMetric(metrics, name, value);
  const deps = { ecr: clients.ecr, audit, config, now: () => new Date(), log, metric };
  return {
    metrics,
    recordHandler: sqsEventRecordHandler({
      events: IMAGE_EVENTS,
      accepts: (event: NormalizedEvent): event is ImageEvent | ReplicationEvent =>
        event.kind !== 'scan.completed' && event.kind !== 'finding.updated',
      process: (event) => onImageEvent(event, deps),
      log,
      metric,
    }),
  };
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  runtime ??= init();
  try {
    // Every failed record is reported as an item failure, even when all of them failed.
    return await processSqsBatch(event, runtime.recordHandler, context);
  } finally {
    runtime.metrics.publishStoredMetrics();
  }
};
