import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  PutImageCommand,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AuditStore } from '../../../shared/audit/timeline-store';
import { quarantineKeeperTag } from '../../../shared/automation/execute-plan';
import { onScanEvent, type ScanDeps } from '../../../shared/automation/on-scan-event';
import {
  foreignAccountReason,
  type FindingEvent,
  type ImageEvent,
  type ScanEvent,
} from '../../../shared/domain/types';
import { runtimeConfig } from '../../../shared/runtime/runtime-config';
import { ImageBusyError, ImageStateStore } from '../../../shared/state/image-state-store';
import {
  createAuditTable,
  createStateTable,
  startDynalite,
  type DynaliteHandle,
} from '../../support/dynalite';
import { NOW, normalized, recordingLog, testConfig } from './support';

/**
 * The scan path with real tables (dynalite: the image state and the audit trail) and mocked ECR, SNS and
 * SQS, asserting the exact calls made and the state left: duplicates, bursts of concurrent events for one
 * image, a function that dies mid-effect, multi-arch indexes and quarantine of many tags.
 */

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:findings';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/replication';
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const LEASE_MS = 90_000;
const API_DIGEST = 'sha256:4c1d8e2f9a7b6c5d3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d';
const hex = (c: string) => `sha256:${c.repeat(64)}`;

const BASIC_FINDINGS: ImageScanFinding[] = [
  { name: 'CVE-2024-0001', severity: 'HIGH' },
  { name: 'CVE-2024-0002', severity: 'HIGH' },
  { name: 'CVE-2024-0101', severity: 'MEDIUM' },
];

let db: DynaliteHandle;
let n = 0;
let clock: number;
let deps: ScanDeps;
let state: ImageStateStore;
let audit: AuditStore;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.close());

beforeEach(async () => {
  // Prepare: fresh tables, mocks reset, a clock the test moves.
  ecr.reset();
  sns.reset();
  sqs.reset();
  n += 1;
  await createStateTable(db.client, `state-${n}`);
  await createAuditTable(db.client, `audit-${n}`);
  clock = NOW.getTime();
  state = new ImageStateStore(db.client, `state-${n}`);
  audit = new AuditStore(db.client, { tableName: `audit-${n}`, retentionDays: 30, now: () => NOW });
  deps = {
    ecr: new ECRClient({ region: 'eu-west-1' }),
    sns: new SNSClient({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
    topicArn: TOPIC,
    replicationQueueUrl: QUEUE,
    audit,
    state,
    leaseMs: LEASE_MS,
    config: runtimeConfig(testConfig()),
    now: () => new Date(clock),
    log: recordingLog(),
  };
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'q' });
  ecr.on(BatchGetImageCommand).resolves({
    images: [{ imageManifest: '{"schemaVersion":2}', imageManifestMediaType: OCI }],
  });
  ecr.on(PutImageCommand).resolves({});
  ecr.on(BatchDeleteImageCommand).resolves({ failures: [] });
});

/** Runs events the way SQS does: a record that failed as busy is delivered again until it is done. */
async function deliverUntilDone(events: readonly (ScanEvent | FindingEvent | ImageEvent)[]) {
  let pending = [...events];
  const outcomes: Awaited<ReturnType<typeof onScanEvent>>[] = [];
  for (let round = 0; pending.length > 0 && round < 20; round += 1) {
    const settled = await Promise.allSettled(pending.map((e) => onScanEvent(e, deps)));
    const retry: typeof pending = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') outcomes.push(s.value);
      else if (s.reason instanceof ImageBusyError) retry.push(pending[i]);
      else throw s.reason;
    });
    pending = retry;
  }
  expect(pending).toHaveLength(0);
  return outcomes;
}

function findingEvent(i: number): FindingEvent {
  return normalized<FindingEvent>('inspector2-finding', (raw) => {
    raw.id = `finding-event-${i}`;
    const details = raw.detail.packageVulnerabilityDetails as { vulnerabilityId: string };
    details.vulnerabilityId = `CVE-2026-000${i}`;
  });
}

function enhanced(i: number): EnhancedImageScanFinding {
  return {
    severity: 'CRITICAL',
    status: 'ACTIVE',
    packageVulnerabilityDetails: { vulnerabilityId: `CVE-2026-000${i}`, source: 'NVD' },
  };
}

describe('onScanEvent: a single-platform image', () => {
  it('quarantines 150 tags in batches of 100 digest+tag pairs, keeps a keeper tag, alerts once and records it', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic');
    const tags = Array.from(
      { length: 150 },
      (_, i) => `build-${String(i).padStart(3, '0')}-${'x'.repeat(100)}`,
    );
    ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanFindings: { findings: BASIC_FINDINGS } });
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: tags }] });

    // Act
    const outcome = await onScanEvent(event, deps);
    const again = await onScanEvent(event, deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: event.id,
      actions: ['scanned', 'verdict', 'quarantined', 'notified'],
    });
    expect(again).toEqual({ status: 'duplicate', eventId: event.id });
    const keeper = quarantineKeeperTag(API_DIGEST);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, { imageTag: keeper, imageDigest: API_DIGEST });
    const deletes = ecr.commandCalls(BatchDeleteImageCommand).map((c) => c.args[0].input.imageIds ?? []);
    expect(deletes.map((ids) => ids.length)).toEqual([100, 50]);
    expect(deletes.flat()).toEqual(tags.sort().map((imageTag) => ({ imageDigest: API_DIGEST, imageTag })));
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const image = await state.get({ repository: 'payments/api', digest: API_DIGEST });
    expect(image.data.verdict?.result).toBe('fail');
    expect(image.data.quarantine?.removedTags).toHaveLength(150);
    expect(image.data.quarantine?.keeperTag).toBe(keeper);
    expect(image.data.alert?.eventId).toBe(event.id);
    const timeline = await audit.imageTimeline('payments/api', API_DIGEST);
    expect(timeline.entries.map((e) => e.action)).toEqual(['scanned', 'verdict', 'quarantined', 'notified']);
    // The row lists at most 100 tags (the state keeps all), so it stays far below DynamoDB's 400 KB.
    expect(timeline.entries[2].tags).toHaveLength(100);
    expect(timeline.entries[2].detail).toEqual({ removedCount: 150, keeperTag: keeper });
  });

  it('a burst of 5 finding events for one image, handled at once, alerts and quarantines exactly once', async () => {
    // Prepare: ECR lists all five findings (the image's whole state); each event names one.
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanFindings: { enhancedFindings: [1, 2, 3, 4, 5].map(enhanced) },
    });
    ecr
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageTags: ['v1.4.2', 'v1.4', 'v1', 'latest'] }] });

    // Act
    const outcomes = await deliverUntilDone([1, 2, 3, 4, 5].map(findingEvent));

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(ecr).toHaveReceivedCommandTimes(BatchDeleteImageCommand, 1);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 1);
    const image = await state.get({ repository: 'payments/api', digest: API_DIGEST });
    expect(image.done).toHaveLength(5);
    expect(image.data.verdict?.findingIds).toEqual([1, 2, 3, 4, 5].map((i) => `CVE-2026-000${i}`));
  });

  it('a finding event about a CLOSED finding never passes an image whose list still fails', async () => {
    // Prepare
    const closed = normalized<FindingEvent>('inspector2-finding', (raw) => {
      raw.detail.status = 'CLOSED';
    });
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanFindings: { enhancedFindings: [enhanced(7), { ...enhanced(8), status: 'CLOSED' }] },
    });
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ['v1.4.2'] }] });

    // Act
    await onScanEvent(closed, deps);

    // Assess: CVE-2026-0007 is still ACTIVE; CVE-2026-0008 and the event's own finding are not.
    const image = await state.get({ repository: 'payments/api', digest: API_DIGEST });
    expect(image.data.verdict?.result).toBe('fail');
    expect(image.data.verdict?.findingIds).toEqual(['CVE-2026-0007']);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 1); // the keeper only: no promotion
  });

  it('a passing scan promotes and enqueues replication with no finding read', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic-clean');

    // Act
    const outcome = await onScanEvent(event, deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: event.id,
      actions: ['scanned', 'verdict', 'promoted', 'replicate:payments-releases-dr'],
    });
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, {
      imageTag: 'approved',
      imageDigest: event.digest,
    });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('an alert that failed is sent by the redelivery, and the image is recorded once', async () => {
    // Prepare
    const event = normalized<ScanEvent>('ecr-image-scan-basic');
    ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanFindings: { findings: BASIC_FINDINGS } });
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ['v1.4.2'] }] });
    sns.on(PublishCommand).rejectsOnce(new Error('socket hang up')).resolves({ MessageId: 'm' });

    // Act
    await expect(onScanEvent(event, deps)).rejects.toThrow('socket hang up');
    const retry = await onScanEvent(event, deps);

    // Assess
    expect(retry.status).toBe('done');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    const image = await state.get({ repository: 'payments/api', digest: API_DIGEST });
    expect(image.data.alert?.eventId).toBe(event.id);
    expect(image.done).toEqual([event.id]);
  });

  it('a function that dies mid-effect holds the lease until it expires; the redelivery then completes the work', async () => {
    // Prepare: the first attempt hangs in the alert (a hung call the process never returns from).
    const event = normalized<ScanEvent>('ecr-image-scan-basic');
    ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanFindings: { findings: BASIC_FINDINGS } });
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ['v1.4.2', 'v1'] }] });
    let hung = false;
    sns.on(PublishCommand).callsFakeOnce(() => {
      hung = true;
      return new Promise(() => undefined);
    });
    void onScanEvent(event, deps);
    await waitFor(() => hung);

    // Act: a redelivery during the lease is retried later; after it, it finishes.
    await expect(onScanEvent(event, deps)).rejects.toBeInstanceOf(ImageBusyError);
    clock += LEASE_MS + 1;
    ecr
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageTags: [quarantineKeeperTag(API_DIGEST)] }] });
    const outcome = await onScanEvent(event, deps);

    // Assess: the tags went in the first attempt; the redelivery sends the alert and records everything once,
    // the quarantine included: what it removed was recorded before the removal, since ECR no longer shows it.
    expect(outcome.status).toBe('done');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(ecr).toHaveReceivedCommandTimes(BatchDeleteImageCommand, 1);
    const image = await state.get({ repository: 'payments/api', digest: API_DIGEST });
    expect(image.data.alert?.eventId).toBe(event.id);
    expect(image.data.quarantine).toEqual({
      eventId: event.id,
      time: event.time,
      removedTags: ['v1', 'v1.4.2'],
      keeperTag: quarantineKeeperTag(API_DIGEST),
    });
    expect(image.data).not.toHaveProperty('quarantining');
    expect((await audit.imageTimeline('payments/api', API_DIGEST)).entries.map((e) => e.action)).toEqual([
      'scanned',
      'verdict',
      'quarantined',
      'notified',
    ]);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}

describe('onScanEvent: a multi-arch index', () => {
  const INDEX = hex('1');
  const AMD = hex('a');
  const ARM = hex('b');
  const ATTESTATION = hex('c');

  beforeEach(() => {
    ecr.on(BatchGetImageCommand, { imageIds: [{ imageDigest: INDEX }] }).resolves({
      images: [
        {
          imageManifestMediaType: OCI_INDEX,
          imageManifest: JSON.stringify({
            schemaVersion: 2,
            manifests: [
              { digest: AMD, platform: { os: 'linux', architecture: 'amd64' } },
              { digest: ARM, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
              {
                digest: ATTESTATION,
                platform: { os: 'unknown', architecture: 'unknown' },
                annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
              },
            ],
          }),
        },
      ],
    });
    ecr.on(DescribeImagesCommand, { imageIds: [{ imageDigest: INDEX }] }).resolves({
      imageDetails: [{ imageTags: ['v2.0.1'] }],
    });
  });

  const indexPush = () =>
    normalized<ImageEvent>('ecr-image-push', (raw) => {
      raw.id = 'index-push';
      raw.detail['repository-name'] = 'payments/worker';
      raw.detail['image-digest'] = INDEX;
      raw.detail['image-tag'] = 'v2.0.1';
      raw.detail['manifest-media-type'] = OCI_INDEX;
    });
  const childScan = (digest: string, id: string) =>
    normalized<ScanEvent>('ecr-image-scan-basic-clean', (raw) => {
      raw.id = id;
      raw.detail['image-digest'] = digest;
      raw.detail['image-tags'] = [];
    });

  it('is decided once both platform images pass; promotion and replication act on the index only', async () => {
    // Act: buildx order: the index push, then the children's scans.
    const pushed = await onScanEvent(indexPush(), deps);
    const first = await onScanEvent(childScan(AMD, 'scan-amd'), deps);
    const second = await onScanEvent(childScan(ARM, 'scan-arm'), deps);

    // Assess
    expect(pushed).toEqual({ status: 'done', eventId: 'index-push', actions: [] });
    expect(first).toEqual({ status: 'done', eventId: 'scan-amd', actions: ['scanned', 'verdict'] });
    expect(second).toEqual({
      status: 'done',
      eventId: 'scan-arm',
      actions: [
        'scanned',
        'verdict',
        'index:verdict',
        'index:promoted',
        'index:replicate:payments-releases-dr',
      ],
    });
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, { imageDigest: INDEX, imageTag: 'approved' });
    const message = JSON.parse(sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody ?? '{}');
    expect(message).toMatchObject({ digest: INDEX, tags: ['v2.0.1'] });
    const index = await state.get({ repository: 'payments/worker', digest: INDEX });
    expect(index.data.verdict?.result).toBe('pass');
    expect(Object.values(index.data.children ?? {}).map((c) => [c.platform, c.scannable])).toEqual([
      ['linux/amd64', true],
      ['linux/arm64/v8', true],
      ['unknown/unknown', false],
    ]);
  });

  it('reversed order (children scanned before the index push arrives) decides the index at its push', async () => {
    // Act
    await onScanEvent(childScan(AMD, 'scan-amd'), deps);
    await onScanEvent(childScan(ARM, 'scan-arm'), deps);
    const pushed = await onScanEvent(indexPush(), deps);

    // Assess: the untagged children got nothing; the index got the promotion.
    expect(pushed).toEqual({
      status: 'done',
      eventId: 'index-push',
      actions: ['verdict', 'promoted', 'replicate:payments-releases-dr'],
    });
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, { imageDigest: INDEX, imageTag: 'approved' });
  });

  it('concurrent child scans and the index push still decide the index exactly once', async () => {
    // Act
    await deliverUntilDone([indexPush(), childScan(AMD, 'scan-amd'), childScan(ARM, 'scan-arm')]);

    // Assess
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, { imageDigest: INDEX, imageTag: 'approved' });
    expect((await state.get({ repository: 'payments/worker', digest: INDEX })).data.verdict?.result).toBe(
      'pass',
    );
  });
});

describe('foreignAccountReason', () => {
  it('names an event of another account, or an ARN of another account inside it', () => {
    expect(foreignAccountReason({ account: '111122223333' }, '111122223333')).toBeUndefined();
    expect(foreignAccountReason({ account: '999999999999' }, '111122223333')).toBe(
      "event of account 999999999999, not this deployment's account 111122223333",
    );
    expect(
      foreignAccountReason({ account: '111122223333', resourceAccounts: ['444455556666'] }, '111122223333'),
    ).toBe("event of account 444455556666, not this deployment's account 111122223333");
    expect(foreignAccountReason({ account: '999999999999' }, undefined)).toBeUndefined();
  });
});
