import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { AuditRecorder } from '../../shared/audit/store';
import { automationLog, type EventOutcome } from '../../shared/automation/execute-plan';
import { onScanEvent } from '../../shared/automation/on-scan-event';
import { sqsEventRecordHandler } from '../../shared/automation/sqs-record-handler';
import type { FindingEvent, NormalizedEvent, ScanEvent } from '../../shared/domain/types';
import { SCAN_EVENTS } from '../../shared/events/scan-events';
import { createMetrics, recordMetric } from '../../shared/observability/metrics';
import { bundledConfig } from '../../shared/runtime/bundled-config';
import { requiredEnv } from '../../shared/runtime/env';
import { ENV } from '../../shared/runtime/env-names';
import { processSqsBatch } from '../../shared/runtime/sqs-batch';

/**
 * ECR Image Scan, Inspector2 Scan and Inspector2 Finding events, via SQS: verdict, audit, alert (SNS;
 * Slack subscribes to the topic), promotion or quarantine, gated replication. Thin: the work is in
 * shared/automation/on-scan-event.ts.
 */

const logger = new Logger();
const log = automationLog(logger);
// Created once per container; only the clients this function needs.
const clients = {
  ecr: new ECRClient({}),
  dynamodb: new DynamoDBClient({}),
  sns: new SNSClient({}),
  sqs: new SQSClient({}),
};

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
  // The replication queue exists only when the config has gated replication rules.
  const replicationQueueUrl =
    config.gatedReplication.length > 0 ? requiredEnv(ENV.REPLICATION_QUEUE) : undefined;
  const metric = (name: Parameters<typeof recordMetric>[1], value?: number) =>
    recordMetric(metrics, name, value);
  const deps = {
    ...clients,
    audit,
    config,
    now: () => new Date(),
    log,
    metric,
    topicArn: requiredEnv(ENV.FINDINGS_TOPIC),
    ...(replicationQueueUrl ? { replicationQueueUrl } : {}),
  };
  return {
    metrics,
    recordHandler: sqsEventRecordHandler({
      events: SCAN_EVENTS,
      accepts: (event: NormalizedEvent): event is ScanEvent | FindingEvent =>
        event.kind === 'scan.completed' || event.kind === 'finding.updated',
      process: (event) => onScanEvent(event, deps),
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
