import { Metrics } from '@aws-lambda-powertools/metrics';
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../../shared/config/load';
import { CopyError, type CopyOptions, type CopyResult } from '../../../shared/oci/copy';
import { toCredentialProvider } from '../../../shared/oci/credentials';
import { resetBundledConfig } from '../../../shared/runtime/bundled-config';

const ROOT = path.join(__dirname, '..', '..', '..');
const FIXTURE: SQSEvent = JSON.parse(
  readFileSync(path.join(ROOT, 'test/fixtures/replication/sqs-event.json'), 'utf8'),
);
const DIGEST = 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234abcd';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:HarbormasterFindings';
const TABLE = 'HarbormasterAudit';

const ecr = mockClient(ECRClient);
const dynamodb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);

process.env.HARBORMASTER_CONFIG_JSON = JSON.stringify(
  loadConfig(path.join(ROOT, 'harbormaster.config.yaml')),
);
process.env.AUDIT_TABLE_NAME = TABLE;
process.env.FINDINGS_TOPIC_ARN = TOPIC;
process.env.POWERTOOLS_SERVICE_NAME = 'replicator';
process.env.AWS_REGION = 'eu-west-1';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

// Imported after the environment is set, as Lambda would.
const { createHandler } =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../../functions/replicator') as typeof import('../../../functions/replicator');

const context = { getRemainingTimeInMillis: () => 900_000 } as unknown as Context;

function record(overrides: Partial<SQSRecord> = {}): SQSRecord {
  return { ...FIXTURE.Records[0], ...overrides };
}

/** A copy engine stand-in that asks for credentials the way the real one does, then answers per destination host. */
function fakeCopy(answer: (options: CopyOptions) => CopyResult | Error) {
  const calls: CopyOptions[] = [];
  const copy = async (options: CopyOptions): Promise<CopyResult> => {
    calls.push(options);
    await toCredentialProvider(options.sourceCredentials)(options.source.registry);
    await toCredentialProvider(options.destinationCredentials)(options.destination.registry);
    const result = answer(options);
    if (result instanceof Error) throw result;
    return result;
  };
  return { copy, calls };
}

const ok: CopyResult = {
  digest: DIGEST,
  bytesCopied: 52_428_800,
  blobsCopied: 4,
  blobsSkipped: 1,
  seconds: 3,
};
const token = Buffer.from('AWS:ecr-token-value').toString('base64');

describe('replicator handler', () => {
  let addMetric: jest.SpyInstance;

  beforeEach(() => {
    ecr.reset();
    dynamodb.reset();
    sns.reset();
    secrets.reset();
    resetBundledConfig();
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: token, expiresAt: new Date(Date.now() + 12 * 3600_000) }],
    });
    dynamodb.on(PutItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: '{"username":"harbormaster-bot","password":"ghcr-pat"}' });
    addMetric = jest.spyOn(Metrics.prototype, 'addMetric');
    jest.spyOn(Metrics.prototype, 'publishStoredMetrics').mockImplementation(function (this: Metrics) {
      return this;
    });
  });

  afterEach(() => jest.restoreAllMocks());

  it('copies to every destination, audits each, and reports only the bad record as a batch item failure', async () => {
    // Prepare
    const { copy, calls } = fakeCopy(() => ok);
    const handler = createHandler(copy);
    const event: SQSEvent = {
      Records: [record(), record({ messageId: 'bad-1', body: '{"version":1,"rule":"x"}' })],
    };

    // Act
    const response = await handler(event, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad-1' }] });
    expect(
      calls.map((c) => `${c.destination.registry}/${c.destination.repository}:${c.destination.tag}`),
    ).toEqual([
      '111122223333.dkr.ecr.us-east-1.amazonaws.com/payments/api:v1.4.2',
      'ghcr.io/example-org/payments/api:v1.4.2',
    ]);
    expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 2);
    expect(ecr).toHaveReceivedCommandWith(GetAuthorizationTokenCommand, { registryIds: ['111122223333'] });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'harbormaster/ghcr' });
    expect(dynamodb).toHaveReceivedCommandTimes(PutItemCommand, 2);
    expect(dynamodb).toHaveReceivedNthCommandWith(1, PutItemCommand, {
      TableName: TABLE,
      ConditionExpression: 'attribute_not_exists(#pk)',
      Item: expect.objectContaining({
        pk: { S: `IMAGE#payments/api@${DIGEST}` },
        sk: {
          S: `2026-11-23T01:00:00.000Z#replicated#8f5b9b5c-6a0b-4e6b-9d0c-2f2f6f2f6f2f#payments-releases-dr#111122223333.dkr.ecr.us-east-1.amazonaws.com/payments/api`,
        },
        action: { S: 'replicated' },
        detail: {
          M: expect.objectContaining({
            result: { S: 'succeeded' },
            bytesCopied: { N: '52428800' },
            blobsSkipped: { N: '1' },
          }),
        },
      }),
    });
    expect(JSON.stringify(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input))).not.toMatch(
      /ghcr-pat|ecr-token-value/,
    );
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(addMetric).toHaveBeenCalledWith('ReplicationsSucceeded', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('ReplicationBytes', 'Bytes', 52_428_800);
    expect(addMetric).toHaveBeenCalledWith('ReplicationDuration', 'Milliseconds', expect.any(Number));
  });

  it('alerts on a failed destination with verdict=replication-failed and fails the record', async () => {
    // Prepare
    const { copy } = fakeCopy((o) =>
      o.destination.registry === 'ghcr.io' ? new CopyError('auth', 'ghcr.io: 401 Unauthorized') : ok,
    );
    const handler = createHandler(copy);

    // Act
    const response = await handler({ Records: [record()] }, context);

    // Assess
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: '059f36b4-87a3-44ab-83d2-661975830a7d' }],
    });
    expect(dynamodb).toHaveReceivedCommandTimes(PutItemCommand, 2);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      Subject: expect.stringContaining('[Harbormaster] REPLICATION FAILED payments/api'),
      Message: expect.stringContaining('ghcr.io/example-org/payments/api: ghcr.io: 401 Unauthorized [auth]'),
      MessageAttributes: {
        verdict: { DataType: 'String', StringValue: 'replication-failed' },
        repository: { DataType: 'String', StringValue: 'payments/api' },
        team: { DataType: 'String', StringValue: 'payments' },
        rule: { DataType: 'String', StringValue: 'payments-releases-dr' },
      },
    });
    const published = JSON.stringify(sns.commandCalls(PublishCommand)[0].args[0].input);
    expect(published).not.toMatch(/ghcr-pat|ecr-token-value/);
    expect(addMetric).toHaveBeenCalledWith('ReplicationsFailed', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('ReplicationsSucceeded', 'Count', 1);
  });

  it('does not alert again when a redelivered failure is already recorded', async () => {
    // Prepare: both rows exist from the first delivery.
    dynamodb
      .on(PutItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    const { copy } = fakeCopy((o) =>
      o.destination.registry === 'ghcr.io' ? new CopyError('auth', 'ghcr.io: 401 Unauthorized') : ok,
    );
    const handler = createHandler(copy);

    // Act
    const response = await handler(
      {
        Records: [record({ attributes: { ...FIXTURE.Records[0].attributes, ApproximateReceiveCount: '2' } })],
      },
      context,
    );

    // Assess
    expect(response.batchItemFailures).toHaveLength(1);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('fails the record (and retries it) when the audit write fails', async () => {
    dynamodb
      .on(PutItemCommand)
      .rejects(
        Object.assign(new Error('throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }),
      );
    const { copy } = fakeCopy(() => ok);
    const handler = createHandler(copy);

    const response = await handler({ Records: [record()] }, context);

    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: '059f36b4-87a3-44ab-83d2-661975830a7d' }],
    });
  });

  it('fails every record, copying nothing, when the environment is incomplete', async () => {
    // Prepare
    const saved = process.env.FINDINGS_TOPIC_ARN;
    delete process.env.FINDINGS_TOPIC_ARN;
    const { copy, calls } = fakeCopy(() => ok);
    const handler = createHandler(copy);

    try {
      // Act
      const response = await handler({ Records: [record()] }, context);

      // Assess
      expect(response).toEqual({
        batchItemFailures: [{ itemIdentifier: '059f36b4-87a3-44ab-83d2-661975830a7d' }],
      });
      expect(calls).toEqual([]);
    } finally {
      process.env.FINDINGS_TOPIC_ARN = saved;
    }
  });

  it('passes an abort signal that fires before the Lambda timeout', async () => {
    const { copy, calls } = fakeCopy(() => ok);
    const handler = createHandler(copy);

    await handler({ Records: [record()] }, context);

    expect(calls[0].signal).toBeInstanceOf(AbortSignal);
    expect(calls[0].signal?.aborted).toBe(false);
  });
});
