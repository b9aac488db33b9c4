import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fromAttributeMap } from '../../../shared/audit/attribute-values';
import { quarantineKeeperTag } from '../../../shared/automation/execute-plan';
import { imageStateKey, ImageStateStore } from '../../../shared/state/image-state-store';
import {
  createAuditTable,
  createStateTable,
  startDynalite,
  type DynaliteHandle,
} from '../../support/dynalite';
import { rawEvent } from '../../unit/automation/support';
import { FakeAws } from './fake-aws';

/**
 * The scan function killed while an effect hangs (a Lambda timeout or OOM does the same), then the record
 * redelivered in a new process: every effect must happen exactly once in the end. Each invocation runs in
 * its own process (scan-worker.ts) against dynalite (state and audit tables) and a stateful fake of ECR and
 * SNS; the function's clock is injected, so moving past the lease needs no waiting.
 */

const WORKER = path.join(__dirname, 'scan-worker.ts');
const TSX = require.resolve('tsx');
const NOW = Date.parse('2026-11-20T10:00:00.000Z');
const LEASE_MS = 90_000;
const REPOSITORY = 'payments/api';
const DIGEST = `sha256:4c1d8e2f9a7b6c5d3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d`;
const TAGS = ['latest', 'v1', 'v1.4', 'v1.4.2'];
const KEEPER = quarantineKeeperTag(DIGEST);
const FINDINGS = [
  { name: 'CVE-2024-0001', severity: 'HIGH' },
  { name: 'CVE-2024-0002', severity: 'HIGH' },
];
/** The failing scan (2 HIGH against maxSeverity MEDIUM, quarantine on) as SQS delivers it. */
const EVENT = rawEvent('ecr-image-scan-basic', (e) => {
  e.id = 'crash-scan-1';
});
const RECORD = { messageId: 'm-1', body: JSON.stringify(EVENT) };

let db: DynaliteHandle;
let aws: FakeAws;

interface Run {
  readonly child: ReturnType<typeof spawn>;
  readonly exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>;
}

/** Starts one invocation of the function (one batch) as its own process, its clock at `now`. */
function invoke(now: number, records = [RECORD]): Run {
  const child = spawn(process.execPath, ['--import', TSX, WORKER], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HM_FAKE_AWS: aws.endpoint,
      HM_DYNAMODB: db.endpoint,
      HM_NOW: String(now),
      HM_LEASE_MS: String(LEASE_MS),
      HM_RECORDS: JSON.stringify(records),
      AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: '1',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
  }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited };
}

/** The log lines of the last completed invocation (the worker writes them as JSON to stderr). */
let lastLog: Record<string, unknown>[] = [];

/** Runs one invocation to its end and returns its batch response. */
async function complete(now: number): Promise<unknown> {
  const { code, stdout, stderr } = await invoke(now).exited;
  if (code !== 0) throw new Error(`scan worker exited ${code}: ${stderr}`);
  lastLog = stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return JSON.parse(stdout);
}

/** Starts an invocation, waits until it hangs on `operation`, and SIGKILLs it there. */
async function crashOn(operation: string, now: number): Promise<void> {
  const hung = aws.hangOn(operation);
  const run = invoke(now);
  await Promise.race([
    hung,
    run.exited.then(({ code, stderr }) => {
      throw new Error(`scan worker exited ${code} before hanging on ${operation}: ${stderr}`);
    }),
  ]);
  run.child.kill('SIGKILL');
  expect((await run.exited).signal).toBe('SIGKILL');
}

/** The operations the fake saw since `from`, in order, each marked when it never took effect. */
const seen = (from = 0) =>
  aws.calls.slice(from).map((c) => (c.applied ? c.operation : `${c.operation} (hung)`));

async function auditRows(): Promise<Record<string, unknown>[]> {
  const out = await db.client.send(new ScanCommand({ TableName: 'audit' }));
  return (out.Items ?? []).map((item) => {
    const row = fromAttributeMap(item);
    return {
      action: row.action,
      actions: row.actions,
      eventId: row.eventId,
      followUps: row.followUps,
    };
  });
}

async function rawStateItem(): Promise<Record<string, unknown> | undefined> {
  const out = await db.client.send(
    new GetItemCommand({
      TableName: 'state',
      Key: { pk: { S: imageStateKey({ repository: REPOSITORY, digest: DIGEST }) } },
    }),
  );
  return out.Item ? fromAttributeMap(out.Item) : undefined;
}

/** The effects of one processing of the failing scan, however many deliveries it took. */
async function expectEffectsOnce(): Promise<void> {
  // ECR: the keeper written once, the four tags removed as digest+tag pairs once; one alert, no replication.
  expect(aws.applied('ecr:PutImage')).toEqual([
    expect.objectContaining({ repositoryName: REPOSITORY, imageDigest: DIGEST, imageTag: KEEPER }),
  ]);
  expect(aws.applied('ecr:BatchDeleteImage')).toEqual([
    { repositoryName: REPOSITORY, imageIds: TAGS.map((imageTag) => ({ imageDigest: DIGEST, imageTag })) },
  ]);
  expect(aws.applied('sns:Publish')).toEqual([
    expect.objectContaining({ TopicArn: 'arn:aws:sns:eu-west-1:111122223333:findings' }),
  ]);
  expect(aws.applied('sqs:SendMessage')).toEqual([]);
  expect(aws.tagsOf(REPOSITORY, DIGEST)).toEqual([KEEPER]);

  // The image's state: the verdict and the alert's finding set; the event is done and nothing holds the lease.
  const state = await new ImageStateStore(db.client, 'state').get({ repository: REPOSITORY, digest: DIGEST });
  expect(state.done).toEqual([EVENT.id]);
  expect(state.data.verdict).toMatchObject({ result: 'fail', highestSeverity: 'HIGH' });
  expect(state.data.alert).toMatchObject({
    eventId: EVENT.id,
    findingIds: ['CVE-2024-0001', 'CVE-2024-0002'],
    findingSetHash: state.data.verdict?.findingSetHash,
  });
  expect(Object.keys((await rawStateItem()) ?? {})).not.toContain('lock');
}

/** What quarantine removed is on record (audit row, state for `harbormaster release`, the alert's subject). */
async function expectQuarantineRecorded(): Promise<void> {
  expect(await auditRows()).toEqual([
    {
      action: 'scanned',
      actions: ['scanned', 'verdict', 'quarantined', 'notified'],
      eventId: EVENT.id,
      followUps: [
        expect.objectContaining({ action: 'verdict', detail: expect.objectContaining({ result: 'fail' }) }),
        { action: 'quarantined', tags: TAGS, detail: { removedCount: 4, keeperTag: KEEPER } },
        expect.objectContaining({ action: 'notified' }),
      ],
    },
  ]);
  const state = await new ImageStateStore(db.client, 'state').get({ repository: REPOSITORY, digest: DIGEST });
  expect(state.data.quarantine).toEqual({
    eventId: EVENT.id,
    time: '2026-11-20T09:16:45Z',
    removedTags: TAGS,
    keeperTag: KEEPER,
  });
  expect(String(aws.applied('sns:Publish')[0]?.Subject)).toMatch(/\(quarantined\)$/);
}

beforeEach(async () => {
  db = await startDynalite();
  await createAuditTable(db.client, 'audit');
  await createStateTable(db.client, 'state');
  aws = new FakeAws();
  await aws.start();
  aws.addImage(REPOSITORY, DIGEST, TAGS, FINDINGS);
});

afterEach(async () => {
  await aws.stop();
  await db.close();
});

describe('the scan function killed while an effect hangs, then redelivered', () => {
  it('killed on BatchDeleteImage: a redelivery during the lease is retried, one after it completes the quarantine and alert once', async () => {
    // Act
    await crashOn('ecr:BatchDeleteImage', NOW);
    const crashed = seen();
    const during = await complete(NOW + LEASE_MS - 1);
    const duringLog = lastLog;
    const afterBusy = aws.calls.length;
    const after = await complete(NOW + LEASE_MS + 1);
    const afterRedelivery = aws.calls.length;
    const again = await complete(NOW + 2 * LEASE_MS);

    // Assess
    expect(crashed).toEqual([
      'ecr:DescribeImageScanFindings',
      'ecr:DescribeImages',
      'ecr:BatchGetImage',
      'ecr:PutImage',
      'ecr:BatchDeleteImage (hung)',
    ]);
    // During the lease: ImageBusyError, so the record is a batch item failure and nothing is called.
    expect(during).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(afterBusy).toBe(crashed.length);
    expect(duringLog.filter((l) => l.reason).map((l) => [l.messageId, l.reason])).toEqual([
      [
        'm-1',
        expect.stringMatching(
          /^ImageBusyError: payments\/api@sha256:4c1d\w+ is being processed by event crash-scan-1;/,
        ),
      ],
    ]);
    // After it: the keeper is there already, so only the removal and the alert remain.
    expect(after).toEqual({ batchItemFailures: [] });
    expect(seen(afterBusy)).toEqual([
      'ecr:DescribeImageScanFindings',
      'ecr:DescribeImages',
      'ecr:BatchDeleteImage',
      'sns:Publish',
    ]);
    // A further delivery is a duplicate: no call at all.
    expect(again).toEqual({ batchItemFailures: [] });
    expect(aws.calls.length).toBe(afterRedelivery);
    await expectEffectsOnce();
    await expectQuarantineRecorded();
  }, 60_000);

  it('killed on the alert (SNS Publish): the redelivery sends the alert once and removes nothing again', async () => {
    // Act
    await crashOn('sns:Publish', NOW);
    const crashed = seen();
    const after = await complete(NOW + LEASE_MS + 1);

    // Assess
    expect(crashed).toEqual([
      'ecr:DescribeImageScanFindings',
      'ecr:DescribeImages',
      'ecr:BatchGetImage',
      'ecr:PutImage',
      'ecr:BatchDeleteImage',
      'sns:Publish (hung)',
    ]);
    expect(after).toEqual({ batchItemFailures: [] });
    expect(seen(crashed.length)).toEqual([
      'ecr:DescribeImageScanFindings',
      'ecr:DescribeImages',
      'sns:Publish',
    ]);
    await expectEffectsOnce();
  }, 60_000);

  // The removal is recorded (checkpoint under the lease) before it is made, so the redelivery, which finds
  // only the keeper in ECR, still records what quarantine removed.
  it('killed after the tags were removed: the redelivery still records what quarantine removed', async () => {
    // Act
    await crashOn('sns:Publish', NOW);
    const after = await complete(NOW + LEASE_MS + 1);

    // Assess
    expect(after).toEqual({ batchItemFailures: [] });
    await expectQuarantineRecorded();
  }, 60_000);
});
