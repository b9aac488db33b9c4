import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { eventQueueHandler } from '../../shared/automation/event-queue-handler';
import { onScanEvent } from '../../shared/automation/on-scan-event';
import type { FindingEvent, NormalizedEvent, ScanEvent } from '../../shared/domain/types';
import { SCAN_EVENTS } from '../../shared/events/scan-events';
import { requiredEnv } from '../../shared/runtime/env';
import { ENV } from '../../shared/runtime/env-names';

/**
 * ECR Image Scan, Inspector2 Scan and Inspector2 Finding events, via SQS: verdict, audit, alert (SNS;
 * Slack subscribes to the topic), promotion or quarantine, gated replication. Thin: the work is in
 * shared/automation/on-scan-event.ts.
 */

// Created once per container; only the clients this function needs.
const clients = {
  ecr: new ECRClient({}),
  dynamodb: new DynamoDBClient({}),
  sns: new SNSClient({}),
  sqs: new SQSClient({}),
};

export const handler = eventQueueHandler({
  events: SCAN_EVENTS,
  accepts: (event: NormalizedEvent): event is ScanEvent | FindingEvent =>
    event.kind === 'scan.completed' || event.kind === 'finding.updated',
  dynamodb: clients.dynamodb,
  init: (base) => {
    const topicArn = requiredEnv(ENV.FINDINGS_TOPIC);
    // The replication queue exists only when the config has gated replication rules.
    const replicationQueueUrl =
      base.config.gatedReplication.length > 0 ? requiredEnv(ENV.REPLICATION_QUEUE) : undefined;
    const deps = { ...base, ...clients, topicArn, ...(replicationQueueUrl ? { replicationQueueUrl } : {}) };
    return (event) => onScanEvent(event, deps);
  },
});
