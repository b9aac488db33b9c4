import { BatchGetImageCommand, DescribeImagesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../../../shared/audit/timeline-store';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';
import { ImageStateStore } from '../../../shared/state/image-state-store';
import type { ImageStateData } from '../../../shared/state/image-state';
import {
  createAuditTable,
  createStateTable,
  startDynalite,
  type DynaliteHandle,
} from '../../support/dynalite';
import { indexManifest, OCI_INDEX_MEDIA_TYPE, recorded, seedState } from '../../support/image-state';

const ecr = mockClient(ECRClient);
const sts = mockClient(STSClient);
const DIGEST = `sha256:${'f'.repeat(64)}`;
const INDEX = `sha256:${'a'.repeat(64)}`;
const AMD = `sha256:${'b'.repeat(64)}`;
const ARM = `sha256:${'c'.repeat(64)}`;
const ATTESTATION = `sha256:${'d'.repeat(64)}`;
const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}';
const MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const CALLER = 'arn:aws:sts::111122223333:assumed-role/platform-admin/jane';
const NOW = new Date('2026-11-20T12:00:00.000Z');

const CONFIG = `
env: { region: eu-west-1 }
teams: { payments: {} }
repositories:
  - { name: payments/api, team: payments }
audit: { retentionDays: 30 }
`;

describe('harbormaster promote (audit and image-state tables on dynalite)', () => {
  let db: DynaliteHandle;
  let store: AuditStore;
  let states: ImageStateStore;
  let tableName: string;
  let stateTable: string;
  let tableCounter = 0;
  let configPath: string;
  let out: string;
  let err: string;

  beforeAll(async () => {
    db = await startDynalite();
    const dir = mkdtempSync(join(tmpdir(), 'hm-promote-'));
    configPath = join(dir, 'harbormaster.config.yaml');
    writeFileSync(configPath, CONFIG);
  });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(async () => {
    ecr.reset();
    sts.reset();
    tableCounter += 1;
    tableName = `cli-promote-${tableCounter}`;
    stateTable = `cli-promote-state-${tableCounter}`;
    await createAuditTable(db.client, tableName);
    await createStateTable(db.client, stateTable);
    store = new AuditStore(db.client, { tableName, retentionDays: 30 });
    states = new ImageStateStore(db.client, stateTable);
    out = '';
    err = '';
    configureCliDeps({
      dynamodb: () => db.client,
      now: () => NOW,
      env: { HARBORMASTER_AUDIT_TABLE: tableName, HARBORMASTER_STATE_TABLE: stateTable },
      out: (text) => {
        out += text;
      },
      err: (text) => {
        err += text;
      },
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
      err += String(text);
      return true;
    });
    ecr
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.4.2'] }] });
    ecr.on(BatchGetImageCommand).resolves({
      images: [
        { imageId: { imageDigest: DIGEST }, imageManifest: MANIFEST, imageManifestMediaType: MEDIA_TYPE },
      ],
    });
    ecr.on(PutImageCommand).resolves({});
    sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER, Account: '111122223333', UserId: 'AROA:jane' });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    configureCliDeps();
  });

  /** The verdict the automation recorded for the image (the one promote reads). */
  const verdict = (result: 'pass' | 'fail', reason: string, extra: Partial<ImageStateData> = {}) =>
    seedState(states, {
      repository: 'payments/api',
      digest: DIGEST,
      verdict: recorded(result, reason, result === 'fail' ? { CRITICAL: 1 } : {}),
      ...extra,
    });
  /** An audit verdict row, as an older event may have left it. */
  const auditVerdict = (result: 'pass' | 'fail', reason: string) =>
    store.record({
      repository: 'payments/api',
      digest: DIGEST,
      action: 'verdict',
      time: '2026-11-20T11:30:00Z',
      eventId: 'evt-finding',
      detail: { result, reason },
    });
  const promote = (...args: string[]) =>
    run(['promote', 'payments/api:v1.4.2', '--config', configPath, '--region', 'eu-west-1', ...args]);

  it('tags a passing image with the same manifest (no data transfer) and records who promoted it', async () => {
    // Prepare
    await verdict('pass', 'pass: no finding above threshold MEDIUM');

    // Act
    const code = await promote('--to', 'staging,stable');

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandWith(BatchGetImageCommand, {
      repositoryName: 'payments/api',
      imageIds: [{ imageDigest: DIGEST }],
    });
    for (const tag of ['staging', 'stable']) {
      expect(ecr).toHaveReceivedCommandWith(PutImageCommand, {
        repositoryName: 'payments/api',
        imageManifest: MANIFEST,
        imageManifestMediaType: MEDIA_TYPE,
        imageDigest: DIGEST,
        imageTag: tag,
      });
    }
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 2);
    const { entries } = await store.imageTimeline('payments/api', DIGEST);
    const promoted = entries.find((e) => e.action === 'promoted');
    expect(promoted).toMatchObject({
      tags: ['staging', 'stable'],
      time: NOW.toISOString(),
      detail: { by: CALLER, source: 'cli' },
    });
    expect(entries.some((e) => e.action === 'forced-promotion')).toBe(false);
    expect(out).toMatch(/^payments\/api:staging\s+added$/m);
  });

  it('refuses (exit 1) an image whose recorded verdict fails, even when a newer audit row says pass', async () => {
    // Prepare: a LOW finding event once wrote "pass" to the audit trail; the image state holds the real verdict.
    await verdict('fail', 'fail: 1 CRITICAL above threshold MEDIUM');
    await auditVerdict('pass', 'pass: 1 LOW');

    // Act
    const code = await promote('--to', 'prod');

    // Assess
    expect(code).toBe(1);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 0);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
    const { entries } = await store.imageTimeline('payments/api', DIGEST);
    expect(entries.map((e) => e.action)).toEqual(['verdict']);
    expect(err).toContain(
      'refusing to promote payments/api:v1.4.2: its verdict fails: fail: 1 CRITICAL above threshold MEDIUM (2026-11-20T09:00:00Z)',
    );
  });

  it('refuses (exit 1) an image with no recorded verdict, even when the audit trail says pass', async () => {
    // Prepare
    await auditVerdict('pass', 'pass: 1 LOW');

    // Act
    const code = await promote('--to', 'prod');

    // Assess
    expect(code).toBe(1);
    expect(err).toContain(
      'refusing to promote payments/api:v1.4.2: it has no verdict yet: no verdict recorded: the automation has not seen a scan of this image',
    );
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
  });

  it('refuses (exit 1) a quarantined image even with --force, naming harbormaster release', async () => {
    // Prepare: it passes now (allowlisted since), but its quarantine was never released.
    await verdict('pass', 'pass: allowlisted: CVE-2024-9999', {
      quarantine: {
        eventId: 'evt-q',
        time: '2026-11-19T08:00:00Z',
        removedTags: ['v1.4', 'v1', 'latest'],
        keeperTag: 'v1.4.2',
      },
    });

    // Act
    const codes = [
      await promote('--to', 'prod'),
      await promote('--to', 'prod', '--force', '--reason', 'hotfix'),
    ];

    // Assess
    expect(codes).toEqual([1, 1]);
    expect(err).toContain(
      `refusing to promote payments/api:v1.4.2: it is quarantined (since 2026-11-19T08:00:00Z, 3 tag(s) removed). Once it passes or is allowlisted, restore it with: harbormaster release payments/api@${DIGEST} --reason TEXT`,
    );
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
  });

  it('promotes a multi-arch index as one image: the tags go on the index digest with its own manifest', async () => {
    // Prepare
    const manifest = indexManifest([
      { digest: AMD, platform: 'linux/amd64' },
      { digest: ARM, platform: 'linux/arm64' },
      { digest: ATTESTATION, platform: 'unknown/unknown' },
    ]);
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        { imageDigest: INDEX, imageTags: ['v2.0.0'], imageManifestMediaType: OCI_INDEX_MEDIA_TYPE },
      ],
    });
    ecr.on(BatchGetImageCommand).resolves({
      images: [
        {
          imageId: { imageDigest: INDEX },
          imageManifest: manifest,
          imageManifestMediaType: OCI_INDEX_MEDIA_TYPE,
        },
      ],
    });
    await seedState(states, {
      repository: 'payments/api',
      digest: INDEX,
      mediaType: OCI_INDEX_MEDIA_TYPE,
      children: {
        [AMD]: { platform: 'linux/amd64', scannable: true, verdict: recorded('pass', 'pass: clean') },
        [ARM]: { platform: 'linux/arm64', scannable: true, verdict: recorded('pass', 'pass: clean') },
        [ATTESTATION]: { platform: 'unknown/unknown', scannable: false },
      },
      verdict: recorded('pass', 'pass: all 2 platform images pass (none found in all)'),
    });

    // Act
    const code = await run([
      'promote',
      'payments/api:v2.0.0',
      '--config',
      configPath,
      '--to',
      'staging',
      '--json',
    ]);

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(BatchGetImageCommand, { imageIds: [{ imageDigest: INDEX }] });
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, {
      repositoryName: 'payments/api',
      imageManifest: manifest,
      imageManifestMediaType: OCI_INDEX_MEDIA_TYPE,
      imageDigest: INDEX,
      imageTag: 'staging',
    });
    const result = JSON.parse(out);
    expect(result).toMatchObject({ digest: INDEX, mediaType: OCI_INDEX_MEDIA_TYPE, forced: false });
    expect(result.platforms).toEqual([
      { platform: 'linux/amd64', digest: AMD, result: 'pass' },
      { platform: 'linux/arm64', digest: ARM, result: 'pass' },
      { platform: 'unknown/unknown', digest: ATTESTATION, result: 'not-scanned' },
    ]);
    const { entries } = await store.imageTimeline('payments/api', INDEX);
    expect(entries.find((e) => e.action === 'promoted')?.tags).toEqual(['staging']);
  });

  it('refuses an index whose platform images are not all judged yet, saying which it waits for', async () => {
    // Prepare
    await seedState(states, {
      repository: 'payments/api',
      digest: INDEX,
      children: {
        [AMD]: { platform: 'linux/amd64', scannable: true, verdict: recorded('pass', 'pass: clean') },
        [ARM]: { platform: 'linux/arm64', scannable: true },
        [ATTESTATION]: { platform: 'unknown/unknown', scannable: false },
      },
    });

    // Act
    const code = await run(['promote', `payments/api@${INDEX}`, '--config', configPath, '--to', 'staging']);

    // Assess
    expect(code).toBe(1);
    expect(err).toContain('it has no verdict yet: multi-arch index: waiting for the scan of linux/arm64');
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
  });

  it('never puts promotion tags on a platform image of an index, even with --force', async () => {
    // Prepare: the child passed on its own, and its index is recorded as its parent.
    await seedState(
      states,
      { repository: 'payments/api', digest: ARM, verdict: recorded('pass', 'pass: clean') },
      [INDEX],
    );

    // Act
    const code = await run([
      'promote',
      `payments/api@${ARM}`,
      '--config',
      configPath,
      '--to',
      'prod',
      '--force',
      '--reason',
      'x',
    ]);

    // Assess
    expect(code).toBe(1);
    expect(err).toContain(
      `refusing to promote payments/api@${ARM}: it is a platform image of the multi-arch index ${INDEX}; promote the index (payments/api@${INDEX}) instead`,
    );
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
  });

  it('exits 2 naming --state-table and HARBORMASTER_STATE_TABLE when no image-state table is given', async () => {
    // Prepare
    configureCliDeps({
      dynamodb: () => db.client,
      now: () => NOW,
      env: { HARBORMASTER_AUDIT_TABLE: tableName },
      out: () => undefined,
      err: () => undefined,
    });

    // Act
    const code = await promote('--to', 'prod');

    // Assess
    expect(code).toBe(2);
    expect(err).toContain('no image-state table: pass --state-table NAME or set HARBORMASTER_STATE_TABLE');
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
  });

  it('--force --reason promotes a failing image and records forced-promotion with the caller and the reason', async () => {
    // Prepare
    await verdict('fail', 'fail: 1 CRITICAL above threshold MEDIUM');

    // Act
    const code = await promote(
      '--to',
      'prod',
      '--force',
      '--reason',
      'INC-2231 hotfix; CVE not reachable',
      '--json',
    );

    // Assess
    expect(code).toBe(0);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, { imageTag: 'prod', imageDigest: DIGEST });
    const { entries } = await store.imageTimeline('payments/api', DIGEST);
    const forced = entries.find((e) => e.action === 'forced-promotion');
    expect(forced).toMatchObject({
      tags: ['prod'],
      detail: {
        by: CALLER,
        reason: 'INC-2231 hotfix; CVE not reachable',
        verdict: 'fail',
        verdictReason: 'fail: 1 CRITICAL above threshold MEDIUM',
      },
    });
    expect(entries.find((e) => e.action === 'promoted')).toMatchObject({
      tags: ['prod'],
      detail: { by: CALLER },
    });
    const result = JSON.parse(out);
    expect(result).toMatchObject({ forced: true, by: CALLER, digest: DIGEST, outcomes: { prod: 'added' } });
  });

  it('exits 2 without touching AWS for --force without --reason, --reason without --force, and a bad --to', async () => {
    // Act
    const codes = [
      await promote('--to', 'prod', '--force'),
      await promote('--to', 'prod', '--reason', 'why'),
      await promote('--to', '-bad'),
      await promote('--to', ' , '),
    ];

    // Assess
    expect(codes).toEqual([2, 2, 2, 2]);
    expect(err).toContain('--force needs --reason TEXT: the audit trail records why');
    expect(err).toContain('--reason is only used with --force');
    expect(err).toContain('--to: "-bad" is not an image tag');
    expect(err).toContain('--to: expected one or more tags');
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
  });

  it('exits 1 when an immutable tag already points at another image, recording the tags that were written', async () => {
    // Prepare
    await verdict('pass', 'pass: clean');
    ecr
      .on(PutImageCommand, { imageTag: 'v1' })
      .rejects(Object.assign(new Error('tag exists'), { name: 'ImageTagAlreadyExistsException' }));

    // Act
    const code = await promote('--to', 'staging,v1');

    // Assess
    expect(code).toBe(1);
    expect(err).toContain('v1 not promoted: immutable tag(s) already on another image');
    expect(out).toMatch(/^payments\/api:v1\s+REFUSED: immutable tag on another image$/m);
    const { entries } = await store.imageTimeline('payments/api', DIGEST);
    expect(entries.find((e) => e.action === 'promoted')?.tags).toEqual(['staging']);
  });
});
