/**
 * One invocation of the scan function in a process of its own, so a test can SIGKILL it mid-effect the way a
 * Lambda timeout or OOM ends a container. It is the function's own composition (record handler, onScanEvent
 * with the real ImageStateStore and audit recorder) with the clock injected: HM_NOW (epoch ms) is the
 * function's `now`, so a test moves past a lease without waiting for it.
 *
 * Input (environment): HM_FAKE_AWS (ECR/SNS/SQS endpoint), HM_DYNAMODB (dynalite endpoint), HM_NOW,
 * HM_LEASE_MS, HM_RECORDS (a JSON array of { messageId, body }). Output: the batch response as JSON on stdout.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { AuditWriter } from '../../../shared/audit/writer';
import { onScanEvent } from '../../../shared/automation/on-scan-event';
import { sqsEventRecordHandler } from '../../../shared/automation/sqs-record-handler';
import type { FindingEvent, ImageEvent, NormalizedEvent, ScanEvent } from '../../../shared/domain/types';
import { EVENT_TYPE } from '../../../shared/events/dispatch';
import { ecrImageAction } from '../../../shared/events/image-action';
import { SCAN_EVENTS } from '../../../shared/events/scan-events';
import { AWS_CLIENT_CONFIG } from '../../../shared/runtime/aws-client-config';
import { runtimeConfig } from '../../../shared/runtime/runtime-config';
import { processSqsBatch } from '../../../shared/runtime/sqs-batch';
import { ImageStateStore } from '../../../shared/state/image-state-store';
import { testConfig } from '../../unit/automation/support';

const WORKER_TOPIC = 'arn:aws:sns:eu-west-1:111122223333:findings';
const WORKER_ACCOUNT = '111122223333';
const STATE_TABLE = 'state';
const AUDIT_TABLE = 'audit';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`scan-worker: ${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const now = new Date(Number(env('HM_NOW')));
  const common = {
    ...AWS_CLIENT_CONFIG,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const fake = env('HM_FAKE_AWS');
  const dynamodb = new DynamoDBClient({ ...common, endpoint: env('HM_DYNAMODB') });
  const config = runtimeConfig(testConfig());
  const log = {
    info: (message: string, extra?: Record<string, unknown>) =>
      console.error(JSON.stringify({ level: 'INFO', message, ...extra })),
    warn: (message: string, extra?: Record<string, unknown>) =>
      console.error(JSON.stringify({ level: 'WARN', message, ...extra })),
    error: (message: string, extra?: Record<string, unknown>) =>
      console.error(JSON.stringify({ level: 'ERROR', message, ...extra })),
  };
  const metric = () => undefined;
  const deps = {
    config,
    log,
    metric,
    now: () => now,
    account: WORKER_ACCOUNT,
    audit: new AuditWriter(dynamodb, {
      tableName: AUDIT_TABLE,
      retentionDays: config.audit.retentionDays,
      now: () => now,
    }),
    state: new ImageStateStore(dynamodb, STATE_TABLE),
    leaseMs: Number(env('HM_LEASE_MS')),
    ecr: new ECRClient({ ...common, endpoint: fake }),
    sns: new SNSClient({ ...common, endpoint: fake }),
    sqs: new SQSClient({ ...common, endpoint: fake }),
    topicArn: WORKER_TOPIC,
    replicationQueueUrl: `${fake}/111122223333/replication`,
  };
  const handle = sqsEventRecordHandler({
    events: { ...SCAN_EVENTS, [EVENT_TYPE.ecrImageAction]: ecrImageAction },
    accepts: (event: NormalizedEvent): event is ScanEvent | FindingEvent | ImageEvent =>
      event.kind === 'scan.completed' || event.kind === 'finding.updated' || event.kind === 'image.pushed',
    process: (event) => onScanEvent(event, deps),
    log,
    metric,
    account: WORKER_ACCOUNT,
  });
  const records = (JSON.parse(env('HM_RECORDS')) as { messageId: string; body: string }[]).map(
    ({ messageId, body }) => ({ messageId, body }) as SQSRecord,
  );
  const response = await processSqsBatch({ Records: records }, handle);
  process.stdout.write(JSON.stringify(response));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
