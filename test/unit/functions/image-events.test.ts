import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetImageCommand, ECRClient, ListImagesCommand, PutImageCommand } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { rawEvent } from '../automation/support';
import { CONTEXT, captureLogs, setFunctionEnv, sqsEvent, sqsRecord } from './support';

setFunctionEnv('image-events');
// The image's lease for a FAILED native replication's alert (the stack sets both).
process.env.IMAGE_STATE_TABLE_NAME = 'state';
process.env.IMAGE_LEASE_SECONDS = '60';
const { handler } =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../../functions/image-events') as typeof import('../../../functions/image-events');

const ecr = mockClient(ECRClient);
const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);

describe('image-events handler', () => {
  let logs: ReturnType<typeof captureLogs>;

  beforeEach(() => {
    ecr.reset();
    ddb.reset();
    sns.reset();
    logs = captureLogs();
    ddb.on(PutItemCommand).resolves({});
    ecr.on(ListImagesCommand).resolves({ imageIds: [] });
    ecr.on(BatchGetImageCommand).resolves({
      images: [{ imageManifest: '{}', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }],
    });
    ecr.on(PutImageCommand).resolves({});
  });

  afterEach(() => {
    logs.restore();
  });

  it('reports exactly the bad record of a batch of 3 and processes the other two', async () => {
    // Prepare
    const push = JSON.stringify(rawEvent('ecr-image-push'));
    const event = sqsEvent(
      sqsRecord('m-1', push),
      sqsRecord('m-2', push.slice(0, 120)),
      sqsRecord('m-3', JSON.stringify(rawEvent('ecr-image-delete'))),
    );

    // Act
    const response = await handler(event, CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(ddb).toHaveReceivedCommandTimes(PutItemCommand, 2);
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'record failed; it will be retried, then dead-lettered',
      messageId: 'm-2',
    });
    expect(String(errors[0].reason)).toMatch(/^EventParseError: \(event\): expected JSON text/);
  });

  it('names the missing field of an event without a digest', async () => {
    // Prepare
    const bad = rawEvent('ecr-image-push', (e) => delete e.detail['image-digest']);

    // Act
    const response = await handler(sqsEvent(sqsRecord('m-1', JSON.stringify(bad))), CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(String(errors[0].reason)).toContain('detail.image-digest');
    expect(ddb.calls()).toHaveLength(0);
  });

  it('tags once across a duplicated delivery: the second delivery writes nothing', async () => {
    // Prepare
    const raw = rawEvent('ecr-image-push');
    const body = JSON.stringify(raw);
    const digest = (raw.detail as Record<string, string>)['image-digest'];
    // ECR as it is after the first delivery: the derived tags name this digest.
    ecr
      .on(ListImagesCommand)
      .resolvesOnce({ imageIds: [] })
      .resolves({
        imageIds: ['v1.4', 'v1', 'latest'].map((imageTag) => ({ imageTag, imageDigest: digest })),
      });
    ddb
      .on(PutItemCommand)
      .resolvesOnce({})
      .rejects(Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' }));

    // Act
    const first = await handler(sqsEvent(sqsRecord('m-1', body)), CONTEXT);
    const second = await handler(sqsEvent(sqsRecord('m-1-again', body)), CONTEXT);

    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(second).toEqual({ batchItemFailures: [] });
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 3);
    expect(
      logs.lines().some((l) => l.message === 'event already processed' && l.messageId === 'm-1-again'),
    ).toBe(true);
  });

  it('acknowledges an ignored event (unmanaged repository) without failing it', async () => {
    // Act
    const response = await handler(
      sqsEvent(sqsRecord('m-1', JSON.stringify(rawEvent('ecr-image-push-unmanaged')))),
      CONTEXT,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('fails a scan event that was routed to this queue by mistake', async () => {
    // Act
    const response = await handler(
      sqsEvent(sqsRecord('m-1', JSON.stringify(rawEvent('ecr-image-scan-basic')))),
      CONTEXT,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(String(logs.lines().find((l) => l.level === 'ERROR')?.reason)).toContain(
      'does not belong on this function',
    );
  });

  it('alerts a FAILED native replication forwarded from eu-central-1 on the findings topic, under the image lease', async () => {
    // Prepare
    ddb.on(UpdateItemCommand).resolves({ Attributes: { version: { N: '1' } } });
    sns.on(PublishCommand).resolves({ MessageId: 'm' });

    // Act
    const response = await handler(
      sqsEvent(sqsRecord('m-1', JSON.stringify(rawEvent('ecr-replication-failed')))),
      CONTEXT,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(ddb.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'UpdateItemCommand',
      'PutItemCommand',
      'UpdateItemCommand',
    ]);
    expect(ddb.commandCalls(UpdateItemCommand)[0].args[0].input.TableName).toBe('state');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: 'arn:aws:sns:eu-west-1:111122223333:findings',
      Subject: '[Harbormaster] REPLICATION FAILED payments/worker@sha256:9f86d081884c to eu-central-1',
    });
  });
});
