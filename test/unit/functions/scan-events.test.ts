import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { rawEvent, type RawEvent } from '../automation/support';
import {
  createAuditTable,
  createStateTable,
  startDynalite,
  type DynaliteHandle,
} from '../../support/dynalite';
import { CONTEXT, captureLogs, setFunctionEnv, sqsEvent, sqsRecord } from './support';

// The function as deployed, with its tables in dynalite (the state's leases and the audit rows are real).
setFunctionEnv('scan-events');
process.env.IMAGE_STATE_TABLE_NAME = 'state';
process.env.IMAGE_LEASE_SECONDS = '90';
process.env.HARBORMASTER_ACCOUNT_ID = '111122223333';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
let handler: typeof import('../../../functions/scan-events').handler;
let db: DynaliteHandle;

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
let run = 0;
/** A fixture with an id of its own, so each test's events are new to the shared tables. */
const fresh = (name: string, change?: (e: RawEvent) => void) =>
  rawEvent(name, (e) => {
    e.id = `${name}-${run}`;
    change?.(e);
  });

beforeAll(async () => {
  db = await startDynalite();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = db.endpoint;
  await createAuditTable(db.client, 'audit');
  await createStateTable(db.client, 'state');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = (require('../../../functions/scan-events') as typeof import('../../../functions/scan-events'))
    .handler;
});
afterAll(async () => db.close());

describe('scan-events handler', () => {
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    run += 1;
    ecr.reset();
    sns.reset();
    sqs.reset();
    logs = captureLogs();
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ['v1.4.2'] }] });
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanFindings: {
        findings: [
          { name: 'CVE-2024-0001', severity: 'HIGH' },
          { name: 'CVE-2024-0002', severity: 'HIGH' },
        ],
      },
    });
    ecr.on(BatchGetImageCommand).resolves({
      images: [{ imageManifest: '{}', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }],
    });
    ecr.on(PutImageCommand).resolves({});
    ecr.on(BatchDeleteImageCommand).resolves({ failures: [] });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'q' });
  });

  afterEach(() => {
    logs.restore();
  });

  it('publishes one alert for a failing scan delivered twice', async () => {
    // Prepare
    const body = JSON.stringify(fresh('ecr-image-scan-basic'));

    // Act
    const first = await handler(sqsEvent(sqsRecord('m-1', body)), CONTEXT);
    const second = await handler(sqsEvent(sqsRecord('m-2', body)), CONTEXT);

    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(ecr).toHaveReceivedCommandTimes(BatchDeleteImageCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: 'arn:aws:sns:eu-west-1:111122223333:findings',
    });
  });

  it('reports only the bad records (unknown severity, thousands of tags, wrong type) and processes the good one', async () => {
    // Prepare
    const unknownSeverity = fresh('ecr-image-scan-basic', (e) => {
      e.detail['finding-severity-counts'] = { SEVERE: 1 };
    });
    const manyTags = fresh('ecr-image-scan-basic', (e) => {
      e.detail['image-tags'] = Array.from({ length: 5000 }, (_, i) => `t${i}`);
    });
    const wrongType = fresh('ecr-image-scan-basic', (e) => {
      e.detail['finding-severity-counts'] = { HIGH: 'two' };
    });
    const event = sqsEvent(
      sqsRecord('bad-severity', JSON.stringify(unknownSeverity)),
      sqsRecord('good', JSON.stringify(fresh('ecr-image-scan-basic-clean'))),
      sqsRecord('bad-tags', JSON.stringify(manyTags)),
      sqsRecord('bad-type', JSON.stringify(wrongType)),
    );

    // Act
    const response = await handler(event, CONTEXT);

    // Assess
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([
      'bad-severity',
      'bad-tags',
      'bad-type',
    ]);
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors.map((e) => e.messageId).sort()).toEqual(['bad-severity', 'bad-tags', 'bad-type']);
    for (const e of errors) expect(String(e.reason)).toMatch(/^EventParseError: detail\./);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, {
      repositoryName: 'payments/worker',
      imageTag: 'approved',
    });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(sqs).toHaveReceivedCommandWith(SendMessageCommand, {
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/replication',
    });
  });

  it('reports a record whose alert cannot be published; its redelivery alerts', async () => {
    // Prepare
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('Topic is gone'), { name: 'NotFoundException' }))
      .resolves({ MessageId: 'm' });
    const body = JSON.stringify(
      fresh('ecr-image-scan-basic', (e) => {
        e.detail['image-digest'] = `sha256:${'d'.repeat(64)}`;
      }),
    );

    // Act
    const response = await handler(sqsEvent(sqsRecord('m-1', body)), CONTEXT);
    const redelivered = await handler(sqsEvent(sqsRecord('m-1', body)), CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0].reason).toBe('NotFoundException: Topic is gone');
  });
});
