import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { eventQueueHandler } from '../../shared/automation/event-queue-handler';
import { onScanEvent } from '../../shared/automation/on-scan-event';
import { ecrScanSignatures } from '../../shared/automation/scan-signature';
import type { FindingEvent, ImageEvent, NormalizedEvent, ScanEvent } from '../../shared/domain/types';
import { EVENT_TYPE } from '../../shared/events/dispatch';
import { ecrImageAction } from '../../shared/events/image-action';
import { SCAN_EVENTS } from '../../shared/events/scan-events';
import { AWS_CLIENT_CONFIG } from '../../shared/runtime/aws-client-config';
import { requiredEnv } from '../../shared/runtime/env';
import { ENV } from '../../shared/runtime/env-names';
import { ImageStateStore } from '../../shared/state/image-state-store';

/**
 * ECR Image Scan, Inspector2 Scan and Inspector2 Finding events, and pushes of multi-arch indexes, via SQS:
 * verdict (with the signature policy), audit, alert (SNS; Slack subscribes to the topic), promotion or
 * quarantine, gated replication. Pushes of signatures re-decide the image they sign.
 * Thin: the work is in shared/automation/on-scan-event.ts.
 */

// Created once per container; only the clients this function needs.
const clients = {
  ecr: new ECRClient(AWS_CLIENT_CONFIG),
  dynamodb: new DynamoDBClient(AWS_CLIENT_CONFIG),
  sns: new SNSClient(AWS_CLIENT_CONFIG),
  sqs: new SQSClient(AWS_CLIENT_CONFIG),
};

export const handler = eventQueueHandler({
  // Index pushes come here too (their EventBridge rule matches the index media types): an index is decided here.
  events: { ...SCAN_EVENTS, [EVENT_TYPE.ecrImageAction]: ecrImageAction },
  accepts: (event: NormalizedEvent): event is ScanEvent | FindingEvent | ImageEvent =>
    event.kind === 'scan.completed' || event.kind === 'finding.updated' || event.kind === 'image.pushed',
  dynamodb: clients.dynamodb,
  init: (base) => {
    const topicArn = requiredEnv(ENV.FINDINGS_TOPIC);
    const state = new ImageStateStore(clients.dynamodb, requiredEnv(ENV.STATE_TABLE));
    const leaseMs = Number(requiredEnv(ENV.LEASE_SECONDS)) * 1000;
    // The replication queue exists only when the config has gated replication rules.
    const replicationQueueUrl =
      base.config.gatedReplication.length > 0 ? requiredEnv(ENV.REPLICATION_QUEUE) : undefined;
    // Trusted signers are parsed once per container, and only when a repository requires a signature.
    const signatures = base.config.repositories.some((r) => r.scan.requireSignature)
      ? ecrScanSignatures(base.config, clients.ecr)
      : undefined;
    const deps = {
      ...base,
      ...clients,
      state,
      leaseMs,
      topicArn,
      ...(replicationQueueUrl ? { replicationQueueUrl } : {}),
      ...(signatures ? { signatures } : {}),
    };
    return (event) => onScanEvent(event, deps);
  },
});
