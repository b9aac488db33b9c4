import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { eventQueueHandler } from '../../shared/automation/event-queue-handler';
import { onImageEvent } from '../../shared/automation/on-image-event';
import type { ImageEvent, NormalizedEvent, ReplicationEvent } from '../../shared/domain/types';
import { IMAGE_EVENTS } from '../../shared/events/image-events';
import { AWS_CLIENT_CONFIG } from '../../shared/runtime/aws-client-config';
import { requiredEnv } from '../../shared/runtime/env';
import { ENV } from '../../shared/runtime/env-names';
import { ImageStateStore } from '../../shared/state/image-state-store';

/**
 * ECR Image Action (push, delete, archive/restore) and ECR Replication Action events, via SQS:
 * audit trail, auto-tags, and an alert (SNS) for a FAILED native replication. Thin: shared/automation/on-image-event.ts does the work.
 */

// Created once per container; only the clients this function needs.
const ecr = new ECRClient(AWS_CLIENT_CONFIG);
const dynamodb = new DynamoDBClient(AWS_CLIENT_CONFIG);
const sns = new SNSClient(AWS_CLIENT_CONFIG);

export const handler = eventQueueHandler({
  events: IMAGE_EVENTS,
  accepts: (event: NormalizedEvent): event is ImageEvent | ReplicationEvent =>
    event.kind !== 'scan.completed' && event.kind !== 'finding.updated',
  dynamodb,
  init: (base) => {
    const topicArn = requiredEnv(ENV.FINDINGS_TOPIC);
    const state = new ImageStateStore(dynamodb, requiredEnv(ENV.STATE_TABLE));
    const leaseMs = Number(requiredEnv(ENV.LEASE_SECONDS)) * 1000;
    return (event) => onImageEvent(event, { ...base, ecr, sns, topicArn, state, leaseMs });
  },
});
