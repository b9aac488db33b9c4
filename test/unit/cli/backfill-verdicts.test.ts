import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandInput,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { configureBackfillDeps } from '../../../shared/cli/commands/backfill';
import { run } from '../../../shared/cli/main';
import type { CopyOptions, CopyResult } from '../../../shared/oci/copy';
import { ImageStateStore } from '../../../shared/state/image-state-store';
import { createStateTable, startDynalite, type DynaliteHandle } from '../../support/dynalite';
import {
  indexManifest,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  recorded,
  seedState,
} from '../../support/image-state';

const ecr = mockClient(ECRClient);

const d = (c: string) => `sha256:${c.repeat(64)}`;
const INDEX = d('a'); // v4.0.0: linux/amd64 + linux/arm64 + an attestation manifest
const AMD = d('b');
const ARM = d('c');
const ATTESTATION = d('d');
const SINGLE = d('e'); // v5.0.0, a single-platform image

const CONFIG = `
env: { region: eu-west-1, account: "111122223333" }
teams: { payments: {} }
repositories:
  - { name: payments/api, team: payments, scan: { maxSeverity: MEDIUM } }
gatedReplication:
  - name: dr
    repositories: ["payments/*"]
    tagPatterns: ["v*"]
    maxSeverity: MEDIUM
    destinations: [{ type: ecr, region: us-east-1 }]
`;

const complete = (counts: Record<string, number>) => ({
  imageScanStatus: { status: 'COMPLETE' as const },
  imageScanFindings: { findingSeverityCounts: counts },
});

let db: DynaliteHandle;
let tables = 0;
let tableName: string;
let store: ImageStateStore;
let configPath: string;
let out: string;
let err: string;
let copies: CopyOptions[];
let scans: Record<string, ReturnType<typeof complete> | { imageScanStatus: { status: 'IN_PROGRESS' } }>;

async function fakeCopy(options: CopyOptions): Promise<CopyResult> {
  copies.push(options);
  return {
    digest: options.source.digest as string,
    bytesCopied: 1,
    blobsCopied: 1,
    blobsSkipped: 0,
    seconds: 1,
  };
}

beforeAll(async () => {
  db = await startDynalite();
});

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  ecr.reset();
  tables += 1;
  tableName = `backfill-state-${tables}`;
  await createStateTable(db.client, tableName);
  store = new ImageStateStore(db.client, tableName);
  const dir = mkdtempSync(join(tmpdir(), 'hm-backfill-verdicts-'));
  configPath = join(dir, 'harbormaster.config.yaml');
  writeFileSync(configPath, CONFIG);
  out = '';
  err = '';
  copies = [];
  scans = {
    [AMD]: complete({}),
    [ARM]: complete({ CRITICAL: 1 }),
    [SINGLE]: complete({}),
  };
  configureCliDeps({
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    now: () => new Date('2026-11-20T10:00:00Z'),
    dynamodb: () => db.client,
    env: {},
  });
  configureBackfillDeps({ copy: fakeCopy, stderrIsTTY: false, listenForInterrupt: () => () => undefined });
  jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
    err += String(text);
    return true;
  });
  ecr.on(DescribeImagesCommand).resolves({
    imageDetails: [
      { imageDigest: INDEX, imageTags: ['v4.0.0'], imageManifestMediaType: OCI_INDEX_MEDIA_TYPE },
      { imageDigest: SINGLE, imageTags: ['v5.0.0'], imageManifestMediaType: OCI_MANIFEST_MEDIA_TYPE },
    ],
  });
  ecr.on(BatchGetImageCommand).resolves({
    images: [
      {
        imageId: { imageDigest: INDEX },
        imageManifest: indexManifest([
          { digest: AMD, platform: 'linux/amd64' },
          { digest: ARM, platform: 'linux/arm64' },
          { digest: ATTESTATION, platform: 'unknown/unknown' },
        ]),
        imageManifestMediaType: OCI_INDEX_MEDIA_TYPE,
      },
    ],
  });
  ecr.on(DescribeImageScanFindingsCommand).callsFake(async (input: DescribeImageScanFindingsCommandInput) => {
    const scan = scans[input.imageId?.imageDigest ?? ''];
    if (!scan) throw Object.assign(new Error('no scan'), { name: 'ScanNotFoundException' });
    return scan;
  });
  ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [
      {
        authorizationToken: Buffer.from('AWS:token').toString('base64'),
        expiresAt: new Date('2026-11-20T22:00:00Z'),
      },
    ],
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  configureCliDeps();
  configureBackfillDeps();
});

const backfill = (...args: string[]) => run(['backfill', '--config', configPath, '--no-state', ...args]);
const scannedDigests = () =>
  ecr.commandCalls(DescribeImageScanFindingsCommand).map((c) => c.args[0].input.imageId?.imageDigest);

describe('harbormaster backfill: verdicts of multi-arch indexes and from the image-state table', () => {
  it('without a state table, judges an index by its platform images (never the index, never the attestation) and gates it when one fails', async () => {
    // Act
    const code = await backfill('--dry-run');

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(BatchGetImageCommand, {
      repositoryName: 'payments/api',
      imageIds: [{ imageDigest: INDEX }],
    });
    expect(scannedDigests()).toEqual([AMD, ARM, SINGLE]);
    expect(out).toMatch(
      /payments\/api@sha256:aaaaaaaaaaaa\s+v4\.0\.0\s+skip\s+gated: fail: linux\/arm64 fail: 1 CRITICAL above threshold MEDIUM/,
    );
    expect(out).toMatch(/payments\/api@sha256:eeeeeeeeeeee\s+v5\.0\.0\s+would-copy/);
    expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 0);
  });

  it('without a state table, copies an index whose platform images all pass, by the index digest', async () => {
    // Prepare
    scans[ARM] = complete({ LOW: 2 });

    // Act
    const code = await backfill();

    // Assess
    expect(code).toBe(0);
    expect(copies.map((c) => `${c.source.digest} ${c.destination.tag}`)).toEqual([
      `${INDEX} v4.0.0`,
      `${SINGLE} v5.0.0`,
    ]);
  });

  it('without a state table, an index with a platform image still scanning has no verdict yet', async () => {
    // Prepare
    scans[AMD] = { imageScanStatus: { status: 'IN_PROGRESS' } };

    // Act
    await backfill('--dry-run');

    // Assess: the first undecided child ends the reading.
    expect(scannedDigests()).toEqual([AMD, SINGLE]);
    expect(out).toMatch(
      /v4\.0\.0\s+skip\s+no verdict: multi-arch index: linux\/amd64 scan status IN_PROGRESS/,
    );
  });

  it('with --state-table, takes the recorded verdicts (a pass whose ECR scan is gone, a failing index) and reads no scan', async () => {
    // Prepare: ECR holds no scan at all; the automation recorded these.
    scans = {};
    await seedState(store, {
      repository: 'payments/api',
      digest: INDEX,
      mediaType: OCI_INDEX_MEDIA_TYPE,
      children: {
        [AMD]: { platform: 'linux/amd64', scannable: true, verdict: recorded('pass', 'pass: clean') },
        [ARM]: {
          platform: 'linux/arm64',
          scannable: true,
          verdict: recorded('fail', 'fail: 1 CRITICAL above threshold MEDIUM', { CRITICAL: 1 }),
        },
        [ATTESTATION]: { platform: 'unknown/unknown', scannable: false },
      },
      verdict: recorded('fail', 'fail: linux/arm64 fail: 1 CRITICAL above threshold MEDIUM', { CRITICAL: 1 }),
    });
    await seedState(store, {
      repository: 'payments/api',
      digest: SINGLE,
      verdict: recorded('pass', 'pass: no finding above threshold MEDIUM'),
    });

    // Act
    const code = await backfill('--state-table', tableName);

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 0);
    expect(copies.map((c) => `${c.source.digest} ${c.destination.tag}`)).toEqual([`${SINGLE} v5.0.0`]);
    expect(out).toMatch(
      /v4\.0\.0\s+skip\s+gated: fail: linux\/arm64 fail: 1 CRITICAL above threshold MEDIUM/,
    );
  });

  it('with HARBORMASTER_STATE_TABLE, skips a quarantined image and one the automation has not judged', async () => {
    // Prepare
    configureCliDeps({
      out: (text) => void (out += text),
      err: (text) => void (err += text),
      now: () => new Date('2026-11-20T10:00:00Z'),
      dynamodb: () => db.client,
      env: { HARBORMASTER_STATE_TABLE: tableName },
    });
    await seedState(store, {
      repository: 'payments/api',
      digest: SINGLE,
      verdict: recorded('pass', 'pass: CVE-2024-9999 allowlisted since'),
      quarantine: {
        eventId: 'evt-q',
        time: '2026-11-19T00:00:00Z',
        removedTags: ['v5'],
        keeperTag: 'v5.0.0',
      },
    });

    // Act
    const code = await backfill('--dry-run');

    // Assess
    expect(code).toBe(0);
    expect(out).toMatch(/v5\.0\.0\s+skip\s+quarantined: pass: CVE-2024-9999 allowlisted since/);
    expect(out).toMatch(
      /v4\.0\.0\s+skip\s+no verdict: no verdict recorded: the automation has not seen a scan of this image/,
    );
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
  });

  it('with --state-table, an unreadable state is an error for that image (exit 1), naming the table read', async () => {
    // Act: a table that does not exist.
    const code = await backfill('--dry-run', '--state-table', 'no-such-table');

    // Assess
    expect(code).toBe(1);
    expect(out).toMatch(
      /ERROR\s+image state read of payments\/api@sha256:a+ failed \(table no-such-table\): ResourceNotFoundException/,
    );
  });
});
