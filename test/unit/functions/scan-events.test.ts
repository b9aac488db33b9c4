import { DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { rawEvent } from '../automation/support';
import { CONTEXT, captureLogs, setFunctionEnv, sqsEvent, sqsRecord } from './support';

setFunctionEnv('scan-events');
const { handler } =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../../functions/scan-events') as typeof import('../../../functions/scan-events');

const ecr = mockClient(ECRClient);
const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);

describe('scan-events handler', () => {
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    ecr.reset();
    ddb.reset();
    sns.reset();
    sqs.reset();
    logs = captureLogs();
    ddb.on(PutItemCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    ddb.on(DeleteItemCommand).resolves({});
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
    const body = JSON.stringify(rawEvent('ecr-image-scan-basic'));
    ddb
      .on(PutItemCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' }));

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
    const unknownSeverity = rawEvent('ecr-image-scan-basic', (e) => {
      e.detail['finding-severity-counts'] = { SEVERE: 1 };
    });
    const manyTags = rawEvent('ecr-image-scan-basic', (e) => {
      e.detail['image-tags'] = Array.from({ length: 5000 }, (_, i) => `t${i}`);
    });
    const wrongType = rawEvent('ecr-image-scan-basic', (e) => {
      e.detail['finding-severity-counts'] = { HIGH: 'two' };
    });
    const event = sqsEvent(
      sqsRecord('bad-severity', JSON.stringify(unknownSeverity)),
      sqsRecord('good', JSON.stringify(rawEvent('ecr-image-scan-basic-clean'))),
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

  it('reports a record whose alert cannot be published, after withdrawing its audit row', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(Object.assign(new Error('Topic is gone'), { name: 'NotFoundException' }));

    // Act
    const response = await handler(
      sqsEvent(sqsRecord('m-1', JSON.stringify(rawEvent('ecr-image-scan-basic')))),
      CONTEXT,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(ddb).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0].reason).toBe('NotFoundException: Topic is gone');
  });
});
