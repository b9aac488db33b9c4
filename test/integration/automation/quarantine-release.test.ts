import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  ImageAlreadyExistsException,
  PutImageCommand,
  type BatchDeleteImageCommandInput,
  type BatchGetImageCommandInput,
  type DescribeImagesCommandInput,
  type ImageScanFinding,
  type PutImageCommandInput,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../../../shared/audit/timeline-store';
import { quarantineKeeperTag } from '../../../shared/automation/execute-plan';
import { onScanEvent, type ScanDeps } from '../../../shared/automation/on-scan-event';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';
import { parseConfigText } from '../../../shared/config/load';
import type { ScanEvent } from '../../../shared/domain/types';
import { runtimeConfig } from '../../../shared/runtime/runtime-config';
import { ImageBusyError, ImageStateStore } from '../../../shared/state/image-state-store';
import {
  createAuditTable,
  createStateTable,
  startDynalite,
  type DynaliteHandle,
} from '../../support/dynalite';
import { FIXTURES, NOW, normalized, recordingLog } from '../../unit/automation/support';

/**
 * Quarantine by the scan path, then `harbormaster release`, on the same tables (dynalite) and one stateful
 * ECR fake: the release reads what the scan path recorded, puts back exactly what it removed, and
 * serializes with a scan event of the image that arrives while it runs.
 */

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const sts = mockClient(STSClient);
const REPO = 'payments/api';
const DIGEST = 'sha256:4c1d8e2f9a7b6c5d3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d';
const NEWER = `sha256:${'e'.repeat(64)}`;
const KEEPER = quarantineKeeperTag(DIGEST);
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const CALLER = 'arn:aws:sts::111122223333:assumed-role/platform-admin/jane';
/** What the scan reports (the fixture's counts: 2 HIGH above the MEDIUM threshold, 3 MEDIUM, 5 LOW). */
const FINDINGS: ImageScanFinding[] = [
  { name: 'CVE-2024-0001', severity: 'HIGH' },
  { name: 'CVE-2024-0002', severity: 'HIGH' },
  ...[1, 2, 3].map((i) => ({ name: `CVE-2024-010${i}`, severity: 'MEDIUM' as const })),
  ...[1, 2, 3, 4, 5].map((i) => ({ name: `CVE-2024-020${i}`, severity: 'LOW' as const })),
];
const COUNTS = { HIGH: 2, MEDIUM: 3, LOW: 5 };
/** The fixture config plus allowlist entries for both HIGH findings. */
const ALLOWLISTED = readFileSync(join(FIXTURES, 'simulate-config.yaml'), 'utf8').replace(
  "          expires: '2027-03-31'\n",
  "          expires: '2027-03-31'\n" +
    ['CVE-2024-0001', 'CVE-2024-0002']
      .map((id) => `        - { id: ${id}, reason: 'not reachable (SEC-112)', expires: '2027-01-31' }\n`)
      .join(''),
);

let db: DynaliteHandle;
let n = 0;
let dir: string;
/** ECR's tags in the repository: tag -> digest. */
let tags: Map<string, string>;
/** Holds the next PutImage until `open` is called. */
let holdPut: { reached: () => void; gate: Promise<void> } | undefined;
let state: ImageStateStore;
let audit: AuditStore;

beforeAll(async () => {
  db = await startDynalite();
  dir = mkdtempSync(join(tmpdir(), 'hm-quarantine-release-'));
  writeFileSync(join(dir, 'allowlisted.yaml'), ALLOWLISTED);
});
afterAll(async () => db.close());

beforeEach(async () => {
  // Prepare: fresh tables, a stateful ECR, the caller, quiet output.
  ecr.reset();
  sns.reset();
  sqs.reset();
  sts.reset();
  n += 1;
  await createStateTable(db.client, `state-${n}`);
  await createAuditTable(db.client, `audit-${n}`);
  state = new ImageStateStore(db.client, `state-${n}`);
  audit = new AuditStore(db.client, { tableName: `audit-${n}`, retentionDays: 30, now: () => NOW });
  tags = new Map(['v1.4.2', 'v1.4', 'v1', 'latest'].map((t) => [t, DIGEST]));
  holdPut = undefined;
  configureCliDeps({ dynamodb: () => db.client, now: () => NOW, env: {}, out: () => {}, err: () => {} });
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);

  const tagsOf = (digest: string) => [...tags].filter(([, d]) => d === digest).map(([t]) => t);
  ecr.on(DescribeImagesCommand).callsFake(async (input: DescribeImagesCommandInput) => ({
    imageDetails: (input.imageIds ?? []).map((id) => ({
      imageDigest: id.imageDigest,
      imageTags: tagsOf(id.imageDigest ?? ''),
    })),
  }));
  ecr.on(DescribeImageScanFindingsCommand).resolves({
    imageScanStatus: { status: 'COMPLETE' },
    imageScanFindings: { findingSeverityCounts: COUNTS, findings: FINDINGS },
  });
  ecr.on(BatchGetImageCommand).callsFake(async (input: BatchGetImageCommandInput) => {
    const ids = input.imageIds ?? [];
    const digestOf = (id: (typeof ids)[number]) => (id.imageTag ? tags.get(id.imageTag) : id.imageDigest);
    return {
      images: ids
        .filter((id) => digestOf(id))
        .map((id) => ({
          imageId: { ...id, imageDigest: digestOf(id) },
          imageManifest: '{"schemaVersion":2}',
          imageManifestMediaType: OCI,
        })),
      failures: ids
        .filter((id) => !digestOf(id))
        .map((id) => ({ imageId: id, failureCode: 'ImageNotFound' as const })),
    };
  });
  ecr.on(PutImageCommand).callsFake(async (input: PutImageCommandInput) => {
    const held = holdPut;
    if (held) {
      holdPut = undefined;
      held.reached();
      await held.gate;
    }
    if (tags.get(input.imageTag ?? '') === input.imageDigest) {
      throw new ImageAlreadyExistsException({ message: 'already tagged', $metadata: {} });
    }
    tags.set(input.imageTag ?? '', input.imageDigest ?? '');
    return {};
  });
  ecr.on(BatchDeleteImageCommand).callsFake(async (input: BatchDeleteImageCommandInput) => {
    const ids = input.imageIds ?? [];
    const gone = ids.filter((id) => tags.get(id.imageTag ?? '') === id.imageDigest);
    for (const id of gone) tags.delete(id.imageTag ?? '');
    return { imageIds: gone, failures: [] };
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'q' });
  sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER });
});

afterEach(() => {
  jest.restoreAllMocks();
  configureCliDeps();
});

/** The scan function's dependencies, with `configText` as the deployed config. */
function scanDeps(configText: string): ScanDeps {
  return {
    ecr: new ECRClient({ region: 'eu-west-1' }),
    sns: new SNSClient({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
    topicArn: 'arn:aws:sns:eu-west-1:111122223333:findings',
    replicationQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/replication',
    audit,
    state,
    leaseMs: 90_000,
    config: runtimeConfig(parseConfigText(configText, 'harbormaster.config.yaml')),
    now: () => NOW,
    log: recordingLog(),
  };
}

const scan = (id: string) =>
  normalized<ScanEvent>('ecr-image-scan-basic', (raw) => {
    raw.id = id;
  });

const release = (reason: string) =>
  run([
    'release',
    `${REPO}@${DIGEST}`,
    '--reason',
    reason,
    '--config',
    join(dir, 'allowlisted.yaml'),
    '--state-table',
    `state-${n}`,
    '--table',
    `audit-${n}`,
    '--region',
    'eu-west-1',
  ]);

const tagsOnImage = () =>
  [...tags]
    .filter(([, d]) => d === DIGEST)
    .map(([t]) => t)
    .sort();

describe('quarantine by the scan function, then harbormaster release', () => {
  it('puts back what quarantine removed (not a tag moved since), while a scan event of the image waits for it', async () => {
    // Prepare: the failing scan quarantines the image; then `latest` moves to a newer image.
    const original = readFileSync(join(FIXTURES, 'simulate-config.yaml'), 'utf8');
    const quarantined = await onScanEvent(scan('scan-1'), scanDeps(original));
    expect(quarantined).toMatchObject({ actions: ['scanned', 'verdict', 'quarantined', 'notified'] });
    expect(tagsOnImage()).toEqual([KEEPER]);
    tags.set('latest', NEWER);
    let reached!: () => void;
    let open!: () => void;
    const putReached = new Promise<void>((resolve) => (reached = resolve));
    holdPut = { reached, gate: new Promise<void>((resolve) => (open = resolve)) };
    const deployed = scanDeps(ALLOWLISTED);

    // Act: the release runs; a rescan arrives while it writes the first tag.
    const releasing = release('CVE-2024-0001/0002 allowlisted (SEC-112)');
    await putReached;
    const during = onScanEvent(scan('rescan-1'), deployed);
    await expect(during).rejects.toBeInstanceOf(ImageBusyError);
    open();
    const code = await releasing;
    const redelivered = await onScanEvent(scan('rescan-1'), deployed);

    // Assess: the release restored v1, v1.4 and v1.4.2, left latest on the newer image, removed the keeper.
    expect(code).toBe(0);
    expect(tags.get('latest')).toBe(NEWER);
    const image = await state.get({ repository: REPO, digest: DIGEST });
    expect(image.data.quarantine).toEqual({
      eventId: 'scan-1',
      time: '2026-11-20T09:16:45Z',
      removedTags: ['latest', 'v1', 'v1.4', 'v1.4.2'],
      keeperTag: KEEPER,
      released: {
        time: NOW.toISOString(),
        by: CALLER,
        reason: 'CVE-2024-0001/0002 allowlisted (SEC-112)',
        restoredTags: ['v1', 'v1.4', 'v1.4.2'],
        skippedTags: ['latest'],
      },
    });
    // The redelivered rescan, with the allowlist deployed, passes a released image: it is promoted again.
    expect(redelivered).toMatchObject({ status: 'done', actions: expect.arrayContaining(['promoted']) });
    expect(image.data.verdict).toMatchObject({ result: 'pass', eventId: 'rescan-1' });
    expect(tagsOnImage()).toEqual(['scanned', 'v1', 'v1.4', 'v1.4.2']);
    const actions = (await audit.imageTimeline(REPO, DIGEST)).entries.map((e) => e.action);
    expect(actions.filter((a) => a === 'released')).toHaveLength(1);
    expect(actions.filter((a) => a === 'quarantined')).toHaveLength(1);
  });

  it('a failing scan after the release (allowlist not deployed) quarantines again, and that quarantine is released on its own', async () => {
    // Prepare
    const original = readFileSync(join(FIXTURES, 'simulate-config.yaml'), 'utf8');
    await onScanEvent(scan('scan-1'), scanDeps(original));
    expect(await release('first')).toBe(0);

    // Act
    const again = await onScanEvent(scan('rescan-1'), scanDeps(original));
    const second = await release('second');

    // Assess
    expect(again).toMatchObject({ actions: expect.arrayContaining(['quarantined']) });
    expect(second).toBe(0);
    expect(tagsOnImage()).toEqual(['latest', 'v1', 'v1.4', 'v1.4.2']);
    const image = await state.get({ repository: REPO, digest: DIGEST });
    expect(image.data.quarantine).toMatchObject({ eventId: 'rescan-1', released: { reason: 'second' } });
    expect(image.done).toEqual(
      expect.arrayContaining([`release:${DIGEST}:scan-1`, `release:${DIGEST}:rescan-1`]),
    );
  });
});
