import { Metrics } from '@aws-lambda-powertools/metrics';
import { QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { loadConfig } from '../../../shared/config/load';
import { CopyError, type CopyOptions, type CopyResult } from '../../../shared/oci/copy';
import { toCredentialProvider } from '../../../shared/oci/credentials';
import { resetBundledConfig } from '../../../shared/runtime/bundled-config';
import type { StoredVerdict } from '../../../shared/state/image-state';
import { ImageStateStore } from '../../../shared/state/image-state-store';
import {
  createAuditTable,
  createStateTable,
  startDynalite,
  type DynaliteHandle,
} from '../../support/dynalite';
import { captureLogs, CONTEXT, sqsRecord } from './support';

// The function as deployed: the example config compiled in, its audit and image-state tables in dynalite
// (conditional writes and the ledger behave as in AWS); ECR tokens, secrets and SNS mocked; the copy engine
// replaced by a recorder that asks for credentials as the real one does (every registry request goes through it).
const ROOT = path.join(__dirname, '..', '..', '..');
const ACCOUNT = '111122223333';
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:HarbormasterFindings';
const SENT = '1795395600000';
const GHCR_PASSWORD = 'ghcr-pat-value';

process.env.HARBORMASTER_CONFIG_JSON = JSON.stringify(
  loadConfig(path.join(ROOT, 'harbormaster.config.yaml')),
);
process.env.AUDIT_TABLE_NAME = 'audit';
process.env.IMAGE_STATE_TABLE_NAME = 'state';
process.env.FINDINGS_TOPIC_ARN = TOPIC;
process.env.HARBORMASTER_ACCOUNT_ID = ACCOUNT;
process.env.POWERTOOLS_SERVICE_NAME = 'replicator';
process.env.POWERTOOLS_DEV = 'true';
process.env.AWS_REGION = 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const secrets = mockClient(SecretsManagerClient);
let db: DynaliteHandle;
let createHandler: typeof import('../../../functions/replicator').createHandler;
let state: ImageStateStore;

beforeAll(async () => {
  db = await startDynalite();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = db.endpoint;
  await createAuditTable(db.client, 'audit');
  await createStateTable(db.client, 'state');
  state = new ImageStateStore(db.client, 'state');
  // Loaded after the environment is set, as Lambda would.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  createHandler = (require('../../../functions/replicator') as typeof import('../../../functions/replicator'))
    .createHandler;
});
afterAll(async () => db.close());

let run = 0;
/** A digest of this test's own, so the shared tables hold nothing of another test's. */
const digestOf = (name: string) => `sha256:${createHash('sha256').update(`${name}-${run}`).digest('hex')}`;

const DR_HOST = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const RULE_DESTINATIONS = [
  { type: 'ecr', region: 'us-east-1', repositoryPrefix: '' },
  {
    type: 'registry',
    host: 'ghcr.io',
    repositoryPrefix: 'example-org/',
    credentialsSecret: 'harbormaster/ghcr',
  },
];

/** A message as the scan path sends it (source and destinations included, as older senders do). */
function body(digest: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: 1,
    eventId: 'evt-1',
    rule: 'payments-releases-dr',
    source: { account: ACCOUNT, region: 'eu-west-1' },
    repository: 'payments/api',
    digest,
    tags: ['v1.4.2'],
    destinations: RULE_DESTINATIONS,
    ...fields,
  });
}

function record(messageId: string, text: string): SQSRecord {
  const r = sqsRecord(messageId, text);
  return { ...r, attributes: { ...r.attributes, SentTimestamp: SENT } };
}

function verdict(result: 'pass' | 'fail', eventId = 'evt-1'): StoredVerdict {
  return {
    result,
    reason: result === 'pass' ? 'no finding above MEDIUM' : '1 CRITICAL finding above MEDIUM',
    ...(result === 'fail' ? { highestSeverity: 'CRITICAL' as const } : {}),
    counts: {
      CRITICAL: result === 'fail' ? 1 : 0,
      HIGH: 0,
      MEDIUM: 0,
      LOW: 0,
      INFORMATIONAL: 0,
      UNDEFINED: 0,
    },
    findingSetHash: 'h',
    topFindings: [],
    scanner: 'basic',
    eventId,
    time: '2026-11-23T00:59:00.000Z',
  };
}

/** Records a verdict as the scan path does: claim the image for the event, commit the state. */
async function recordVerdict(
  digest: string,
  v: StoredVerdict,
  extra: { quarantined?: boolean } = {},
): Promise<void> {
  const key = { repository: 'payments/api', digest };
  const claim = await state.claim(key, v.eventId, { now: 1, leaseMs: 60_000 });
  if (claim.status !== 'claimed') throw new Error('claim failed');
  await state.commit(claim.lease, claim.state, {
    ...key,
    verdict: v,
    ...(extra.quarantined
      ? {
          quarantine: {
            eventId: v.eventId,
            time: v.time,
            removedTags: ['v1.4.2'],
            keeperTag: 'quarantined-x',
          },
        }
      : {}),
  });
}

async function auditRows(digest: string): Promise<Record<string, AttributeValue>[]> {
  const out = await db.client.send(
    new QueryCommand({
      TableName: 'audit',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: `IMAGE#payments/api@${digest}` } },
    }),
  );
  return out.Items ?? [];
}

async function ledger(digest: string): Promise<string[] | undefined> {
  const out = await db.client.send(new ScanCommand({ TableName: 'state' }));
  const item = (out.Items ?? []).find(
    (i) => i.pk.S === `REPLICATION#payments-releases-dr#payments/api@${digest}`,
  );
  return item?.done.SS?.sort();
}

/** A copy engine stand-in that asks for credentials the way the real one does, then answers per destination host. */
function fakeCopy(digest: string, answer: (options: CopyOptions) => CopyResult | Error = () => ok(digest)) {
  const calls: CopyOptions[] = [];
  const copy = async (options: CopyOptions): Promise<CopyResult> => {
    calls.push(options);
    await toCredentialProvider(options.sourceCredentials)(options.source.registry);
    await toCredentialProvider(options.destinationCredentials)(options.destination.registry);
    const result = answer(options);
    if (result instanceof Error) throw result;
    return result;
  };
  const targets = () =>
    calls.map(
      (c) =>
        `${c.source.registry}/${c.source.repository}@${c.source.digest?.slice(0, 13)} -> ${c.destination.registry}/${c.destination.repository}:${c.destination.tag}`,
    );
  return { copy, calls, targets };
}

const ok = (digest: string): CopyResult => ({
  digest,
  bytesCopied: 52_428_800,
  blobsCopied: 4,
  blobsSkipped: 1,
  seconds: 3,
});
const token = Buffer.from('AWS:ecr-token-value').toString('base64');
const noWait = async () => {};

describe('replicator handler', () => {
  let logs: ReturnType<typeof captureLogs>;
  let addMetric: jest.SpyInstance;

  beforeEach(() => {
    run += 1;
    ecr.reset();
    sns.reset();
    secrets.reset();
    resetBundledConfig();
    logs = captureLogs();
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: token, expiresAt: new Date(Date.UTC(2100, 0, 1)) }],
    });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: 'harbormaster-bot', password: GHCR_PASSWORD }) });
    addMetric = jest.spyOn(Metrics.prototype, 'addMetric');
    jest.spyOn(Metrics.prototype, 'publishStoredMetrics').mockImplementation(function (this: Metrics) {
      return this;
    });
  });

  afterEach(() => {
    logs.restore();
    jest.restoreAllMocks();
  });

  const logText = () => JSON.stringify(logs.lines());

  it('copies a passing image to the rule destinations, audits each, records them and logs one line', async () => {
    // Prepare
    const digest = digestOf('pass');
    await recordVerdict(digest, verdict('pass'));
    const { copy, targets } = fakeCopy(digest);
    const handler = createHandler(copy, { sleep: noWait });

    // Act
    const response = await handler({ Records: [record('m-1', body(digest))] }, CONTEXT);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(targets()).toEqual([
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/payments/api@${digest.slice(0, 13)} -> ${DR_HOST}/payments/api:v1.4.2`,
      `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/payments/api@${digest.slice(0, 13)} -> ghcr.io/example-org/payments/api:v1.4.2`,
    ]);
    expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 2);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'harbormaster/ghcr' });
    const rows = await auditRows(digest);
    expect(rows.map((r) => [r.sk.S, r.detail.M?.result.S])).toEqual([
      [`2026-11-23T01:00:00.000Z#replicated#evt-1#payments-releases-dr#${DR_HOST}/payments/api`, 'succeeded'],
      [
        '2026-11-23T01:00:00.000Z#replicated#evt-1#payments-releases-dr#ghcr.io/example-org/payments/api',
        'succeeded',
      ],
    ]);
    expect(await ledger(digest)).toEqual([
      `${DR_HOST}/payments/api`,
      `${DR_HOST}/payments/api:v1.4.2`,
      'ghcr.io/example-org/payments/api',
      'ghcr.io/example-org/payments/api:v1.4.2',
    ]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(logs.lines()).toEqual([expect.objectContaining({ message: 'replicated', digest })]);
    expect(JSON.stringify(rows) + logText()).not.toMatch(/ghcr-pat|ecr-token-value/);
    expect(addMetric).toHaveBeenCalledWith('ReplicationsSucceeded', 'Count', 1);
    expect(addMetric).toHaveBeenCalledWith('ReplicationBytes', 'Bytes', 52_428_800);
  });

  it('takes the destinations from the config for a message that carries only the identity', async () => {
    // Prepare
    const digest = digestOf('identity');
    await recordVerdict(digest, verdict('pass'));
    const { copy, targets } = fakeCopy(digest);
    const identityOnly = JSON.stringify({
      version: 1,
      eventId: 'evt-1',
      rule: 'payments-releases-dr',
      repository: 'payments/api',
      digest,
      tags: ['v1.4.2'],
      sentBy: 'a newer sender',
    });

    // Act
    const response = await createHandler(copy, { sleep: noWait })(
      { Records: [record('m-1', identityOnly)] },
      CONTEXT,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(targets().map((t) => t.split(' -> ')[1])).toEqual([
      `${DR_HOST}/payments/api:v1.4.2`,
      'ghcr.io/example-org/payments/api:v1.4.2',
    ]);
  });

  it('copies once for a duplicate delivery and for a second message about the same digest', async () => {
    // Prepare
    const digest = digestOf('dup');
    await recordVerdict(digest, verdict('pass'));
    const { copy, calls } = fakeCopy(digest);
    const handler = createHandler(copy, { sleep: noWait });
    await handler({ Records: [record('m-1', body(digest))] }, CONTEXT);
    const rowsAfterFirst = await auditRows(digest);
    secrets.resetHistory();
    ecr.resetHistory();
    logs.restore();
    logs = captureLogs();

    // Act: the same message again, then another event's message for the digest.
    const again = await handler({ Records: [record('m-1', body(digest))] }, CONTEXT);
    const other = await handler({ Records: [record('m-2', body(digest, { eventId: 'evt-2' }))] }, CONTEXT);

    // Assess
    expect([again, other]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    expect(calls).toHaveLength(2); // the first delivery's two destinations, nothing since
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 0);
    expect(await auditRows(digest)).toEqual(rowsAfterFirst);
    expect(rowsAfterFirst).toHaveLength(2);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(logs.lines().map((l) => l.message)).toEqual([
      'already replicated: every destination holds the image and its tags',
      'already replicated: every destination holds the image and its tags',
    ]);
  });

  it('copies once when two deliveries run at the same time: the second waits for a later retry', async () => {
    // Prepare: two containers get the same message at once; the first copy holds until the other has answered.
    const digest = digestOf('concurrent');
    await recordVerdict(digest, verdict('pass'));
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const { copy, calls } = fakeCopy(digest);
    const gated = async (options: CopyOptions) => {
      await gate;
      return copy(options);
    };
    const first = createHandler(gated, { sleep: noWait })(
      { Records: [record('m-1', body(digest))] },
      CONTEXT,
    );
    const second = createHandler(gated, { sleep: noWait })(
      { Records: [record('m-1', body(digest))] },
      CONTEXT,
    );

    // Act
    const loser = await Promise.race([first, second]);
    open();
    const responses = await Promise.all([first, second]);

    // Assess
    expect(loser).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(responses).toContainEqual({ batchItemFailures: [] });
    expect(calls).toHaveLength(2);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(await auditRows(digest)).toHaveLength(2);
    expect(logs.lines().map((l) => [l.message, l.reason])).toEqual(
      expect.arrayContaining([
        [
          'replication deferred; the message will be retried after the visibility timeout',
          expect.stringMatching(/^ReplicationBusyError: payments\/api@sha256:\w+ is being replicated/),
        ],
        ['replicated', undefined],
      ]),
    );
    expect(logs.lines()).toHaveLength(2);

    // The retry, after the visibility timeout, finds the work done.
    await expect(
      createHandler(gated, { sleep: noWait })({ Records: [record('m-1', body(digest))] }, CONTEXT),
    ).resolves.toEqual({ batchItemFailures: [] });
    expect(calls).toHaveLength(2);
  });

  it('copies only the new tag when a later message names one more', async () => {
    // Prepare
    const digest = digestOf('new-tag');
    await recordVerdict(digest, verdict('pass'));
    const { copy, calls } = fakeCopy(digest);
    const handler = createHandler(copy, { sleep: noWait });
    await handler({ Records: [record('m-1', body(digest))] }, CONTEXT);
    await recordVerdict(digest, verdict('pass', 'evt-2'));

    // Act
    await handler(
      { Records: [record('m-2', body(digest, { eventId: 'evt-2', tags: ['v1.4.2', 'v1.4'] }))] },
      CONTEXT,
    );

    // Assess: both destinations again (each gets v1.4 and v1.4.2 written; the engine finds the blobs there).
    expect(calls.slice(2).map((c) => `${c.destination.registry}:${c.destination.tag}`)).toEqual([
      `${DR_HOST}:v1.4`,
      `${DR_HOST}:v1.4.2`,
      'ghcr.io:v1.4',
      'ghcr.io:v1.4.2',
    ]);
    expect((await ledger(digest))?.filter((e) => e.endsWith(':v1.4'))).toEqual([
      `${DR_HOST}/payments/api:v1.4`,
      'ghcr.io/example-org/payments/api:v1.4',
    ]);
  });

  const forged: [string, (digest: string) => string, RegExp][] = [
    [
      'a destination host the rule does not name',
      (d) =>
        body(d, {
          destinations: [
            {
              type: 'registry',
              host: 'attacker.example:5000',
              repositoryPrefix: '',
              credentialsSecret: 'harbormaster/ghcr',
            },
          ],
        }),
      /destinations\.0: not a destination of rule payments-releases-dr/,
    ],
    [
      'a credentials secret the rule does not name',
      (d) =>
        body(d, {
          destinations: [
            {
              type: 'registry',
              host: 'ghcr.io',
              repositoryPrefix: 'example-org/',
              credentialsSecret: 'harbormaster/slack-webhook',
            },
          ],
        }),
      /destinations\.0: not a destination of rule/,
    ],
    [
      'a repository the rule does not replicate',
      (d) => body(d, { repository: 'platform/tools' }),
      /repository: rule payments-releases-dr does not replicate "platform\/tools"/,
    ],
    [
      'an unknown rule',
      (d) => body(d, { rule: 'exfiltrate' }),
      /rule: no gated replication rule named "exfiltrate"/,
    ],
    [
      'another account as the source',
      (d) => body(d, { source: { account: '999999999999', region: 'eu-west-1' } }),
      /source: expected this deployment's account 111122223333 and region eu-west-1/,
    ],
    [
      'a tag outside the rule tagPatterns',
      (d) => body(d, { tags: ['latest'] }),
      /tags: "latest" does not match/,
    ],
    ['a malformed digest', () => body('sha256:1234'), /digest: expected an image digest/],
  ];

  it.each(forged)(
    'rejects a message naming %s: one log line, no secret read, no registry request, no row',
    async (_name, forge, reason) => {
      // Prepare: the image passes, so only the message can stop the copy.
      const digest = digestOf('forged');
      await recordVerdict(digest, verdict('pass'));
      const { copy, calls } = fakeCopy(digest);

      // Act
      const response = await createHandler(copy, { sleep: noWait })(
        { Records: [record('forged-1', forge(digest))] },
        CONTEXT,
      );

      // Assess
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'forged-1' }] });
      expect(calls).toEqual([]);
      expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
      expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 0);
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
      expect(await auditRows(digest)).toEqual([]);
      expect(await ledger(digest)).toBeUndefined();
      expect(logs.lines()).toEqual([
        expect.objectContaining({
          level: 'ERROR',
          message: 'replication message rejected: nothing read or copied; it will be dead-lettered',
          messageId: 'forged-1',
          reason: expect.stringMatching(reason),
        }),
      ]);
      expect(logText()).not.toContain(GHCR_PASSWORD);
    },
  );

  it.each([
    [
      'a failing verdict',
      verdict('fail'),
      {},
      /its verdict does not allow rule payments-releases-dr \(maxSeverity MEDIUM\): fail/,
    ],
    ['a quarantined image', verdict('pass'), { quarantined: true }, /the image is quarantined/],
  ])(
    'does not copy %s: the record succeeds with an audit row and one log line',
    async (_name, v, extra, reason) => {
      // Prepare
      const digest = digestOf('skip');
      await recordVerdict(digest, v, extra);
      const { copy, calls } = fakeCopy(digest);

      // Act
      const response = await createHandler(copy, { sleep: noWait })(
        { Records: [record('m-1', body(digest))] },
        CONTEXT,
      );

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(calls).toEqual([]);
      expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
      const rows = await auditRows(digest);
      expect(rows.map((r) => [r.sk.S, r.detail.M?.result.S, r.detail.M?.reason.S])).toEqual([
        [
          '2026-11-23T01:00:00.000Z#replicated#evt-1#payments-releases-dr#skipped',
          'skipped',
          expect.stringMatching(reason),
        ],
      ]);
      expect(logs.lines()).toEqual([
        expect.objectContaining({
          message: 'replication skipped: nothing copied',
          reason: expect.stringMatching(reason),
        }),
      ]);
    },
  );

  it('waits for the scan path to commit the verdict it sent the message for, then copies', async () => {
    // Prepare: the message arrives before the scan function has committed (it sends, then commits).
    const digest = digestOf('race');
    await recordVerdict(digest, verdict('fail', 'evt-0'));
    const { copy, calls } = fakeCopy(digest);
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      if (waits.length === 2) await recordVerdict(digest, verdict('pass', 'evt-1'));
    };

    // Act
    const response = await createHandler(copy, { sleep })(
      { Records: [record('m-1', body(digest))] },
      CONTEXT,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(waits).toEqual([1_000, 2_000]);
    expect(calls).toHaveLength(2);
  });

  it('gives the record back when the verdict is never recorded', async () => {
    // Prepare
    const digest = digestOf('none');
    const { copy, calls } = fakeCopy(digest);
    const waits: number[] = [];

    // Act
    const response = await createHandler(copy, { sleep: async (ms) => void waits.push(ms) })(
      { Records: [record('m-1', body(digest))] },
      CONTEXT,
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(calls).toEqual([]);
    expect(await auditRows(digest)).toEqual([]);
    expect(logs.lines()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'replication deferred; the message will be retried after the visibility timeout',
        reason: expect.stringContaining(
          'ReplicationVerdictPendingError: the scan event evt-1 is not recorded',
        ),
      }),
    ]);
  });

  it('alerts once on a failed destination, fails the record, and records only the copied one', async () => {
    // Prepare
    const digest = digestOf('fail');
    await recordVerdict(digest, verdict('pass'));
    const { copy } = fakeCopy(digest, (o) =>
      o.destination.registry === 'ghcr.io' ? new CopyError('auth', 'ghcr.io: 401 Unauthorized') : ok(digest),
    );
    const handler = createHandler(copy, { sleep: noWait });

    // Act
    const first = await handler({ Records: [record('m-1', body(digest))] }, CONTEXT);
    const again = await handler({ Records: [record('m-1', body(digest))] }, CONTEXT);

    // Assess
    expect([first, again]).toEqual([
      { batchItemFailures: [{ itemIdentifier: 'm-1' }] },
      { batchItemFailures: [{ itemIdentifier: 'm-1' }] },
    ]);
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
    expect(JSON.stringify(sns.commandCalls(PublishCommand)[0].args[0].input)).not.toMatch(
      /ghcr-pat|ecr-token-value/,
    );
    expect(await ledger(digest)).toEqual([`${DR_HOST}/payments/api`, `${DR_HOST}/payments/api:v1.4.2`]);
    expect((await auditRows(digest)).map((r) => r.detail.M?.result.S)).toEqual(['succeeded', 'failed']);
    expect(addMetric).toHaveBeenCalledWith('ReplicationsFailed', 'Count', 1);
  });

  it('fails the invocation, copying nothing, when the environment is incomplete', async () => {
    // Prepare
    const saved = process.env.IMAGE_STATE_TABLE_NAME;
    delete process.env.IMAGE_STATE_TABLE_NAME;
    const { copy, calls } = fakeCopy(digestOf('env'));
    const event: SQSEvent = { Records: [record('m-1', body(digestOf('env')))] };

    try {
      // Act / Assess
      await expect(createHandler(copy)(event, CONTEXT)).rejects.toThrow('IMAGE_STATE_TABLE_NAME');
      expect(calls).toEqual([]);
    } finally {
      process.env.IMAGE_STATE_TABLE_NAME = saved;
    }
  });

  it('passes an abort signal that fires before the Lambda timeout', async () => {
    const digest = digestOf('abort');
    await recordVerdict(digest, verdict('pass'));
    const { copy, calls } = fakeCopy(digest);

    await createHandler(copy, { sleep: noWait })(
      { Records: [record('m-1', body(digest))] },
      {
        ...CONTEXT,
        getRemainingTimeInMillis: () => 900_000,
      },
    );

    expect(calls[0].signal).toBeInstanceOf(AbortSignal);
    expect(calls[0].signal?.aborted).toBe(false);
  });

  it('copies when the host reports far more time left than Lambda allows (no timer overflow)', async () => {
    // Prepare: 180 days, as a host whose clock runs ahead once reported (setTimeout caps at about 24.8 days).
    const digest = digestOf('clock');
    await recordVerdict(digest, verdict('pass'));
    const { copy, calls } = fakeCopy(digest);

    // Act
    const response = await createHandler(copy, { sleep: noWait })(
      { Records: [record('m-1', body(digest))] },
      { ...CONTEXT, getRemainingTimeInMillis: () => 180 * 24 * 3_600_000 },
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(calls).toHaveLength(2);
    expect(calls[0].signal?.aborted).toBe(false);
  });
});
