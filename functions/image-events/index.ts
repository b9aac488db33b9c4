import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { eventQueueHandler } from '../../shared/automation/event-queue-handler';
import { accepts, deps, events } from '../../shared/automation/image-function';
import { onImageEvent } from '../../shared/automation/on-image-event';
import { AWS_CLIENT_CONFIG } from '../../shared/runtime/aws-client-config';
import { requiredEnv } from '../../shared/runtime/env';
import { ImageStateStore } from '../../shared/state/image-state-store';

/**
 * ECR Image Action (push, delete, archive/restore) and ECR Replication Action events, via SQS:
 * audit trail, auto-tags, and an alert (SNS) for a FAILED native replication. Thin: the routing and deps
 * are in shared/automation/image-function.ts (simulate uses them too), the work in on-image-event.ts.
 */

// Created once per container; only the clients this function needs.
const dynamodb = new DynamoDBClient(AWS_CLIENT_CONFIG);
const clients = {
  ecr: new ECRClient(AWS_CLIENT_CONFIG),
  sns: new SNSClient(AWS_CLIENT_CONFIG),
  state: (table: string) => new ImageStateStore(dynamodb, table),
};

export const handler = eventQueueHandler({
  events,
  accepts,
  dynamodb,
  init: (base) => {
    const wired = deps(base, clients, requiredEnv);
    return (event) => onImageEvent(event, wired);
  },
});
