import { BatchGetImageCommand, DescribeImagesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../../../shared/audit/store';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';
import { createAuditTable, startDynalite, type DynaliteHandle } from '../../support/dynalite';

const ecr = mockClient(ECRClient);
const sts = mockClient(STSClient);
const DIGEST = `sha256:${'f'.repeat(64)}`;
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

describe('harbormaster promote (audit store on dynalite)', () => {
  let db: DynaliteHandle;
  let store: AuditStore;
  let tableName: string;
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
    await createAuditTable(db.client, tableName);
    store = new AuditStore(db.client, { tableName, retentionDays: 30 });
    out = '';
    err = '';
    configureCliDeps({
      dynamodb: () => db.client,
      now: () => NOW,
      env: { HARBORMASTER_AUDIT_TABLE: tableName },
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

  const verdict = (result: 'pass' | 'fail', reason: string) =>
    store.record({
      repository: 'payments/api',
      digest: DIGEST,
      action: 'verdict',
      time: '2026-11-20T11:00:00Z',
      eventId: 'evt-scan',
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

  it('refuses (exit 1) an image whose latest verdict fails, tagging nothing and writing nothing', async () => {
    // Prepare
    await verdict('fail', 'fail: 1 CRITICAL above threshold MEDIUM');

    // Act
    const code = await promote('--to', 'prod');

    // Assess
    expect(code).toBe(1);
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 0);
    const { entries } = await store.imageTimeline('payments/api', DIGEST);
    expect(entries.map((e) => e.action)).toEqual(['verdict']);
    expect(err).toContain(
      'refusing to promote payments/api:v1.4.2: its latest verdict fails: fail: 1 CRITICAL above threshold MEDIUM',
    );
  });

  it('refuses (exit 1) an image with no verdict yet', async () => {
    // Act
    const code = await promote('--to', 'prod');

    // Assess
    expect(code).toBe(1);
    expect(err).toContain('it has no verdict yet');
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
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
    await verdict('pass', 'pass');
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
