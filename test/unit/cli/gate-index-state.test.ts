import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandInput,
  type DescribeImageScanFindingsResponse,
  DescribeImagesCommand,
  ECRClient,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';
import { ImageStateStore } from '../../../shared/state/image-state-store';
import type { ImageStateData } from '../../../shared/state/image-state';
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
const INDEX = d('a');
const AMD = d('b');
const ARM = d('c');
const ATTESTATION = d('d');
const SINGLE = d('e');

const CONFIG = `
env: { region: eu-west-1 }
teams: { payments: {} }
repositories:
  - { name: payments/api, team: payments, scan: { maxSeverity: MEDIUM } }
`;

const MANIFEST = indexManifest([
  { digest: AMD, platform: 'linux/amd64' },
  { digest: ARM, platform: 'linux/arm64' },
  { digest: ATTESTATION, platform: 'unknown/unknown' },
]);

const complete = (counts: Record<string, number>): DescribeImageScanFindingsResponse => ({
  imageScanStatus: { status: 'COMPLETE' },
  imageScanFindings: { findingSeverityCounts: counts },
});

let db: DynaliteHandle;
let tables = 0;
let stateTable: string;
let store: ImageStateStore;
let configPath: string;
let out: string;
let err: string;
let clock: number;
let sleeps: number[];
/** Runs at each poll's sleep: lets a test change what the next poll reads. */
let onSleep: (count: number) => Promise<void>;
let scans: Record<string, DescribeImageScanFindingsResponse>;

beforeAll(async () => {
  db = await startDynalite();
  const dir = mkdtempSync(join(tmpdir(), 'hm-gate-index-'));
  configPath = join(dir, 'harbormaster.config.yaml');
  writeFileSync(configPath, CONFIG);
});

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  ecr.reset();
  tables += 1;
  stateTable = `gate-state-${tables}`;
  await createStateTable(db.client, stateTable);
  store = new ImageStateStore(db.client, stateTable);
  out = '';
  err = '';
  sleeps = [];
  clock = Date.parse('2026-11-20T10:00:00Z');
  onSleep = async () => undefined;
  scans = {
    [AMD]: complete({}),
    [ARM]: complete({ CRITICAL: 1 }),
  };
  configureCliDeps({
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    now: () => new Date(clock),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
      await onSleep(sleeps.length);
    },
    dynamodb: () => db.client,
    env: {},
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
    err += String(text);
    return true;
  });
  ecr.on(DescribeImagesCommand).resolves({
    imageDetails: [
      { imageDigest: INDEX, imageTags: ['v2.0.0'], imageManifestMediaType: OCI_INDEX_MEDIA_TYPE },
    ],
  });
  ecr.on(BatchGetImageCommand).resolves({
    images: [
      {
        imageId: { imageDigest: INDEX },
        imageManifest: MANIFEST,
        imageManifestMediaType: OCI_INDEX_MEDIA_TYPE,
      },
    ],
  });
  ecr.on(DescribeImageScanFindingsCommand).callsFake(async (input: DescribeImageScanFindingsCommandInput) => {
    const digest = input.imageId?.imageDigest ?? '';
    const scan = scans[digest];
    if (!scan) throw Object.assign(new Error('no scan'), { name: 'ScanNotFoundException' });
    if (input.maxResults === 1000 && digest === ARM) {
      return {
        imageScanStatus: { status: 'COMPLETE' },
        imageScanFindings: {
          findings: [
            {
              name: 'CVE-2024-6387',
              severity: 'CRITICAL',
              attributes: [
                { key: 'package_name', value: 'openssh' },
                { key: 'package_version', value: '9.6' },
              ],
            },
          ],
        },
      };
    }
    return scan;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  configureCliDeps();
});

const gate = (image: string, ...args: string[]) =>
  run(['gate', image, '--config', configPath, '--region', 'eu-west-1', ...args]);
const scanned = () =>
  ecr
    .commandCalls(DescribeImageScanFindingsCommand)
    .map((c) => `${c.args[0].input.imageId?.imageDigest?.slice(7, 8)}/${c.args[0].input.maxResults}`);

const indexBase = { repository: 'payments/api', digest: INDEX, mediaType: OCI_INDEX_MEDIA_TYPE };
const failingIndex: ImageStateData = {
  ...indexBase,
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
};

describe('harbormaster gate on a multi-arch index, without an image-state table (ECR scans)', () => {
  it('judges each platform image (not the index, not the attestation manifest) and fails when one fails', async () => {
    // Act
    const code = await gate('payments/api:v2.0.0');

    // Assess
    expect(code).toBe(1);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: 'payments/api',
      imageIds: [{ imageTag: 'v2.0.0' }],
    });
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(BatchGetImageCommand, {
      repositoryName: 'payments/api',
      imageIds: [{ imageDigest: INDEX }],
    });
    // amd64: counts only (clean); arm64: counts, then the finding list; never the index or the attestation.
    expect(scanned()).toEqual(['b/1', 'c/1', 'c/1000']);
    expect(out).toContain('verdict: FAIL (linux/arm64 fail: 1 CRITICAL above threshold MEDIUM)');
    expect(out).toMatch(/^linux\/amd64\s+PASS\s+no finding above threshold MEDIUM$/m);
    expect(out).toMatch(/^linux\/arm64\s+FAIL\s+1 CRITICAL above threshold MEDIUM$/m);
    expect(out).toMatch(/^unknown\/unknown\s+not scanned\s+attestation manifest: ECR does not scan it$/m);
    expect(out).toMatch(/^CRITICAL\s+CVE-2024-6387\s+openssh 9\.6/m);
    expect(err).toContain('harbormaster: payments/api:v2.0.0 fails its scan policy (fail: linux/arm64 fail:');
  });

  it('passes when every platform image passes; json, junit, sarif and markdown list each platform', async () => {
    // Prepare
    scans[ARM] = complete({ LOW: 1 });

    // Act
    const json = await gate('payments/api:v2.0.0', '--format', 'json');
    const result = JSON.parse(out);
    out = '';
    const junit = await gate('payments/api:v2.0.0', '--format', 'junit');
    const junitText = out;
    out = '';
    const sarif = await gate('payments/api:v2.0.0', '--format', 'sarif');
    const sarifRun = JSON.parse(out).runs[0];
    out = '';
    const markdown = await gate('payments/api:v2.0.0', '--format', 'markdown');

    // Assess
    expect([json, junit, sarif, markdown]).toEqual([0, 0, 0, 0]);
    expect(sarifRun.properties).toMatchObject({ digest: INDEX, verdict: 'pass' });
    expect(sarifRun.properties.platforms.map((p: { platform: string }) => p.platform)).toEqual([
      'linux/amd64',
      'linux/arm64',
      'unknown/unknown',
    ]);
    expect(result).toMatchObject({
      digest: INDEX,
      source: 'scan',
      scanStatus: 'COMPLETE',
      verdict: { result: 'pass', reason: 'pass: all 2 platform images pass (1 LOW found in all)' },
      counts: { LOW: 1, CRITICAL: 0 },
    });
    expect(result.platforms).toEqual([
      expect.objectContaining({ platform: 'linux/amd64', digest: AMD, result: 'pass' }),
      expect.objectContaining({ platform: 'linux/arm64', digest: ARM, result: 'pass' }),
      expect.objectContaining({ platform: 'unknown/unknown', digest: ATTESTATION, result: 'not-scanned' }),
    ]);
    expect(junitText).toContain('<testcase classname="harbormaster.gate.platforms" name="linux/amd64"/>');
    expect(junitText).toContain('<testcase classname="harbormaster.gate.platforms" name="linux/arm64"/>');
    expect(junitText).not.toContain('unknown/unknown');
    expect(out).toContain('| linux/arm64 | PASS | pass: no finding above threshold MEDIUM (highest LOW) |');
    expect(out).toContain('| unknown/unknown | not scanned |');
  });

  it('keeps polling a platform image still scanning, then exits 3 at --timeout naming it', async () => {
    // Prepare
    scans[ARM] = { imageScanStatus: { status: 'IN_PROGRESS' } };

    // Act
    const code = await gate(`payments/api@${INDEX}`, '--timeout', '30s', '--poll', '10s');

    // Assess
    expect(code).toBe(3);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, { imageIds: [{ imageDigest: INDEX }] });
    expect(sleeps).toEqual([10_000, 10_000, 10_000]);
    expect(scanned()).toEqual(['b/1', 'c/1', 'c/1', 'c/1', 'c/1']);
    expect(err).toContain(
      `timed out after 30s waiting for the scan of payments/api@${INDEX} (linux/arm64) (last status IN_PROGRESS)`,
    );
  });
});

describe('harbormaster gate with an image-state table (the recorded verdict)', () => {
  it('passes on the recorded verdict although ECR holds no scan of the image, reading no scan', async () => {
    // Prepare: no scan in ECR (e.g. expired); the automation recorded a pass.
    scans = {};
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        { imageDigest: SINGLE, imageTags: ['v1'], imageManifestMediaType: OCI_MANIFEST_MEDIA_TYPE },
      ],
    });
    await seedState(store, {
      repository: 'payments/api',
      digest: SINGLE,
      verdict: recorded('pass', 'pass: no finding above threshold MEDIUM (highest LOW)', { LOW: 2 }),
    });

    // Act
    const code = await gate('payments/api:v1', '--state-table', stateTable);

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 0);
    expect(sleeps).toEqual([]);
    expect(out).toContain('verdict: PASS (no finding above threshold MEDIUM (highest LOW))');
    expect(out).toContain('findings: 2 LOW (threshold MEDIUM)');
    expect(out).toContain('recorded: 2026-11-20T09:00:00Z (basic scanning)');
  });

  it('fails a recorded failing index (HARBORMASTER_STATE_TABLE) and lists its platforms from the record', async () => {
    // Prepare
    configureCliDeps({
      out: (text) => void (out += text),
      err: (text) => void (err += text),
      now: () => new Date(clock),
      sleep: async () => undefined,
      dynamodb: () => db.client,
      env: { HARBORMASTER_STATE_TABLE: stateTable },
    });
    await seedState(store, failingIndex);

    // Act
    const code = await gate('payments/api:v2.0.0', '--json');

    // Assess
    expect(code).toBe(1);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 0);
    const result = JSON.parse(out);
    expect(result).toMatchObject({
      digest: INDEX,
      source: 'state',
      scanStatus: 'RECORDED',
      maxSeverity: 'MEDIUM',
      verdict: { result: 'fail', reason: 'fail: linux/arm64 fail: 1 CRITICAL above threshold MEDIUM' },
    });
    expect(
      result.platforms.map((p: { platform: string; result: string }) => `${p.platform} ${p.result}`),
    ).toEqual(['linux/amd64 pass', 'linux/arm64 fail', 'unknown/unknown not-scanned']);
    expect(result.topFindings).toEqual([
      { id: 'CVE-2024-9999', severity: 'CRITICAL', packageName: 'openssl' },
    ]);
  });

  it('keeps polling while no verdict is recorded (an index waiting for a platform), and passes once it is', async () => {
    // Prepare: the index waits for arm64; the verdict lands during the second wait.
    const waiting = { ...indexBase, children: failingIndex.children };
    await seedState(store, {
      ...waiting,
      children: { ...waiting.children, [ARM]: { platform: 'linux/arm64', scannable: true } },
    });
    onSleep = async (count) => {
      if (count === 2) {
        await seedState(store, {
          ...waiting,
          verdict: recorded('pass', 'pass: all 2 platform images pass (none found in all)'),
        });
      }
    };

    // Act
    const code = await gate('payments/api:v2.0.0', '--state-table', stateTable, '--poll', '5s');

    // Assess
    expect(code).toBe(0);
    expect(sleeps).toEqual([5_000, 5_000]);
    expect(err).toContain(
      'waiting for the verdict of payments/api:v2.0.0 (multi-arch index: waiting for the scan of linux/arm64)...',
    );
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
  });

  it('exits 3 at --timeout when no verdict is ever recorded', async () => {
    // Act
    const code = await gate(
      'payments/api:v2.0.0',
      '--state-table',
      stateTable,
      '--timeout',
      '1m',
      '--poll',
      '10s',
    );

    // Assess
    expect(code).toBe(3);
    expect(sleeps).toHaveLength(6);
    expect(err).toContain(
      'timed out after 60s waiting for the verdict of payments/api:v2.0.0 (no verdict recorded: the automation has not seen a scan of this image)',
    );
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
  });

  it('fails a quarantined image whatever its verdict now', async () => {
    // Prepare
    await seedState(store, {
      repository: 'payments/api',
      digest: INDEX,
      verdict: recorded('pass', 'pass: allowlisted since'),
      quarantine: {
        eventId: 'evt-q',
        time: '2026-11-19T08:00:00Z',
        removedTags: ['v2'],
        keeperTag: 'v2.0.0',
      },
    });

    // Act
    const code = await gate('payments/api:v2.0.0', '--state-table', stateTable);

    // Assess
    expect(code).toBe(1);
    expect(out).toContain(
      'verdict: FAIL (quarantined since 2026-11-19T08:00:00Z (recorded verdict: pass: allowlisted since); harbormaster release restores it)',
    );
  });

  it("exits 2 at once when the state table cannot be read, naming it and AWS's error", async () => {
    // Act
    const code = await gate('payments/api:v2.0.0', '--state-table', 'no-such-table');

    // Assess
    expect(code).toBe(2);
    expect(sleeps).toEqual([]);
    expect(err).toMatch(/harbormaster: reading image-state table no-such-table: ResourceNotFoundException/);
  });

  it('refuses --max-severity with a state table (exit 2): a recorded verdict is not re-decided', async () => {
    // Act
    const code = await gate('payments/api:v2.0.0', '--state-table', stateTable, '--max-severity', 'HIGH');

    // Assess
    expect(code).toBe(2);
    expect(err).toContain('--max-severity: a recorded verdict was decided with the deployed scan policy');
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
  });
});
