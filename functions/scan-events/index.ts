import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { eventQueueHandler } from '../../shared/automation/event-queue-handler';
import { onScanEvent } from '../../shared/automation/on-scan-event';
import { accepts, deps, events } from '../../shared/automation/scan-function';
import { AWS_CLIENT_CONFIG } from '../../shared/runtime/aws-client-config';
import { requiredEnv } from '../../shared/runtime/env';
import { ImageStateStore } from '../../shared/state/image-state-store';

/**
 * ECR Image Scan, Inspector2 Scan and Inspector2 Finding events, and pushes of multi-arch indexes, via SQS:
 * verdict (with the signature policy), audit, alert (SNS; Slack subscribes to the topic), promotion or
 * quarantine, gated replication. Pushes of signatures re-decide the image they sign.
 * Thin: the routing and deps are in shared/automation/scan-function.ts (simulate uses them too), the work
 * in on-scan-event.ts.
 */

// Created once per container; only the clients this function needs.
const dynamodb = new DynamoDBClient(AWS_CLIENT_CONFIG);
const clients = {
  ecr: new ECRClient(AWS_CLIENT_CONFIG),
  sns: new SNSClient(AWS_CLIENT_CONFIG),
  sqs: new SQSClient(AWS_CLIENT_CONFIG),
  state: (table: string) => new ImageStateStore(dynamodb, table),
};

export const handler = eventQueueHandler({
  events,
  accepts,
  dynamodb,
  init: (base) => {
    const wired = deps(base, clients, requiredEnv);
    return (event) => onScanEvent(event, wired);
  },
});
