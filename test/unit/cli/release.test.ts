import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  ImageAlreadyExistsException,
  PutImageCommand,
  type BatchDeleteImageCommandInput,
  type BatchGetImageCommandInput,
  type DescribeImageScanFindingsCommandOutput,
  type PutImageCommandInput,
} from '@aws-sdk/client-ecr';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditStore } from '../../../shared/audit/timeline-store';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { RELEASE_LEASE_MS } from '../../../shared/cli/commands/release';
import { run } from '../../../shared/cli/main';
import { emptyCounts } from '../../../shared/domain/types';
import type { ImageStateData, QuarantineRecord, StoredVerdict } from '../../../shared/state/image-state';
import { ImageStateStore } from '../../../shared/state/image-state-store';
import {
  createAuditTable,
  createStateTable,
  startDynalite,
  type DynaliteHandle,
} from '../../support/dynalite';

const ecr = mockClient(ECRClient);
const sts = mockClient(STSClient);
const REPO = 'payments/api';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;
const IMAGE = { repository: REPO, digest: DIGEST };
const KEEPER = 'quarantined-aaaaaaaaaaaa';
const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}';
const MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
];
const CALLER = 'arn:aws:sts::111122223333:assumed-role/platform-admin/jane';
const NOW = new Date('2026-12-03T10:00:00.000Z');
const QUARANTINED_AT = '2026-12-01T08:00:00.000Z';
const CVE = 'CVE-2026-0001';

const config = (allowlist: string) => `
env: { region: eu-west-1 }
teams: { payments: {} }
repositories:
  - name: payments/api
    team: payments
    scan: { maxSeverity: HIGH, quarantine: true${allowlist} }
audit: { retentionDays: 30 }
`;

function verdict(result: 'pass' | 'fail', reason: string): StoredVerdict {
  return {
    result,
    reason,
    counts: { ...emptyCounts(), ...(result === 'fail' ? { CRITICAL: 1 } : {}) },
    findingSetHash: 'hash',
    topFindings: [],
    scanner: 'basic',
    eventId: 'scan-2',
    time: '2026-12-02T08:00:00.000Z',
  };
}
const FAILING = verdict('fail', `fail: 1 CRITICAL above threshold HIGH`);
const PASSING = verdict('pass', 'pass: no finding above threshold HIGH (rescanned)');

function quarantine(removedTags: readonly string[]): QuarantineRecord {
  return { eventId: 'scan-1', time: QUARANTINED_AT, removedTags, keeperTag: KEEPER };
}

/** A CRITICAL finding on the image, as DescribeImageScanFindings reports it (basic scanning). */
const CRITICAL_SCAN: DescribeImageScanFindingsCommandOutput = {
  $metadata: {},
  imageScanStatus: { status: 'COMPLETE' },
  imageScanFindings: {
    findingSeverityCounts: { CRITICAL: 1 },
    findings: [{ name: CVE, severity: 'CRITICAL' }],
  },
};

describe('harbormaster release (state and audit tables on dynalite, ECR faked with its tags)', () => {
  let db: DynaliteHandle;
  let state: ImageStateStore;
  let audit: AuditStore;
  let table = 0;
  let dir: string;
  /** The repository's tags as ECR holds them: tag -> digest. */
  let tags: Map<string, string>;
  /** BatchDeleteImage calls that fail before reaching ECR (a timeout). */
  let deleteTimeouts: number;
  let out: string;
  let err: string;

  beforeAll(async () => {
    db = await startDynalite();
    dir = mkdtempSync(join(tmpdir(), 'hm-release-'));
    writeFileSync(join(dir, 'strict.yaml'), config(''));
    writeFileSync(
      join(dir, 'allowlisted.yaml'),
      config(`, allowlist: [{ id: ${CVE}, reason: 'not reachable (SEC-112)', expires: '2027-01-31' }]`),
    );
  });
  afterAll(async () => db.close());

  beforeEach(async () => {
    // Prepare: fresh tables, a stateful ECR fake, the caller's identity, captured output.
    ecr.reset();
    sts.reset();
    table += 1;
    await createStateTable(db.client, `state-${table}`);
    await createAuditTable(db.client, `audit-${table}`);
    state = new ImageStateStore(db.client, `state-${table}`);
    audit = new AuditStore(db.client, { tableName: `audit-${table}`, retentionDays: 30 });
    tags = new Map();
    deleteTimeouts = 0;
    out = '';
    err = '';
    configureCliDeps({
      dynamodb: () => db.client,
      now: () => NOW,
      env: {},
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
    ecr.on(BatchGetImageCommand).callsFake(async (input: BatchGetImageCommandInput) => {
      const ids = input.imageIds ?? [];
      if (ids.length === 1 && ids[0].imageDigest === DIGEST && !ids[0].imageTag) {
        return {
          images: [
            { imageId: { imageDigest: DIGEST }, imageManifest: MANIFEST, imageManifestMediaType: MEDIA_TYPE },
          ],
        };
      }
      const found = ids.filter((id) => tags.has(id.imageTag ?? ''));
      return {
        images: found.map((id) => ({
          imageId: { imageTag: id.imageTag, imageDigest: tags.get(id.imageTag ?? '') },
          imageManifest: MANIFEST,
          imageManifestMediaType: MEDIA_TYPE,
        })),
        failures: ids
          .filter((id) => !tags.has(id.imageTag ?? ''))
          .map((id) => ({
            imageId: id,
            failureCode: 'ImageNotFound' as const,
            failureReason: 'Requested image not found',
          })),
      };
    });
    ecr.on(PutImageCommand).callsFake(async (input: PutImageCommandInput) => {
      const tag = input.imageTag ?? '';
      if (tags.get(tag) === input.imageDigest) {
        throw new ImageAlreadyExistsException({ message: 'already tagged', $metadata: {} });
      }
      tags.set(tag, input.imageDigest ?? '');
      return {};
    });
    ecr.on(BatchDeleteImageCommand).callsFake(async (input: BatchDeleteImageCommandInput) => {
      if (deleteTimeouts > 0) {
        deleteTimeouts -= 1;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      }
      const ids = input.imageIds ?? [];
      const gone = ids.filter((id) => tags.get(id.imageTag ?? '') === id.imageDigest);
      for (const id of gone) tags.delete(id.imageTag ?? '');
      return {
        imageIds: gone,
        failures: ids
          .filter((id) => !gone.includes(id))
          .map((id) => ({ imageId: id, failureCode: 'ImageNotFound' as const })),
      };
    });
    sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER, Account: '111122223333', UserId: 'AROA:jane' });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    configureCliDeps();
  });

  /** Records the image's state as the scan path left it, and its tags in ECR (the keeper and `onImage`). */
  async function seed(data: Omit<ImageStateData, 'repository' | 'digest'>, onImage: readonly string[] = []) {
    const claim = await state.claim(IMAGE, 'scan-1', { now: NOW.getTime() - 3_600_000, leaseMs: 60_000 });
    if (claim.status !== 'claimed') throw new Error('expected a claim');
    await state.commit(claim.lease, claim.state, { ...IMAGE, ...data });
    if (data.quarantine) tags.set(KEEPER, DIGEST);
    for (const tag of onImage) tags.set(tag, DIGEST);
  }

  const release = (...args: string[]) =>
    run([
      'release',
      `${REPO}@${DIGEST}`,
      '--state-table',
      `state-${table}`,
      '--table',
      `audit-${table}`,
      '--region',
      'eu-west-1',
      // Never the checkout's own config: the strict one unless the test names another.
      ...(args.includes('--config') ? [] : ['--config', join(dir, 'strict.yaml')]),
      ...args,
    ]);

  const inputs = <T>(command: abstract new (input: T) => unknown): T[] =>
    ecr.commandCalls(command as never).map((call) => call.args[0].input as T);
  const tagLookups = () =>
    inputs<BatchGetImageCommandInput>(BatchGetImageCommand).filter((i) => i.imageIds?.[0].imageTag);
  const putTags = () => inputs<PutImageCommandInput>(PutImageCommand).map((i) => i.imageTag);
  const releasedRows = async () =>
    (await audit.imageTimeline(REPO, DIGEST)).entries.filter((e) => e.action === 'released');

  it('refuses (exit 1) an image that is not quarantined, calling ECR and STS not at all', async () => {
    // Prepare
    await seed({ verdict: PASSING }, ['v1.4.2']);

    // Act
    const code = await release('--reason', 'looks fine');

    // Assess
    expect(code).toBe(1);
    expect(err).toBe(
      `harbormaster: refusing to release ${REPO}@${DIGEST}: it is not quarantined (table state-${table} records no quarantine of it)\n`,
    );
    expect(ecr.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
    expect(await releasedRows()).toEqual([]);
  });

  it('refuses (exit 1) an image that still fails under the current policy, writing nothing', async () => {
    // Prepare
    await seed({ verdict: FAILING, quarantine: quarantine(['v1.4.2', 'latest']) });
    ecr.on(DescribeImageScanFindingsCommand).resolves(CRITICAL_SCAN);
    const before = await state.get(IMAGE);

    // Act
    const code = await release('--reason', 'please');

    // Assess: one scan read (counts decide: no allowlist entry could excuse), nothing else.
    expect(code).toBe(1);
    expect(err).toMatch(
      /^harbormaster: refusing to release payments\/api@sha256:a+: it still fails under the policy of .*strict\.yaml \(fail: 1 CRITICAL above threshold HIGH\); fix the image, or allowlist the findings with an expiry and run again\n$/,
    );
    expect(ecr.calls().map((c) => c.args[0].constructor.name)).toEqual(['DescribeImageScanFindingsCommand']);
    expect(ecr).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, {
      repositoryName: REPO,
      imageId: { imageDigest: DIGEST },
      maxResults: 1,
    });
    expect(sts.calls()).toHaveLength(0);
    expect(await state.get(IMAGE)).toEqual(before);
    expect(await releasedRows()).toEqual([]);
  });

  it('releases an image its findings now pass with a new allowlist entry: tags back with the same manifest, keeper removed last, who and why recorded', async () => {
    // Prepare
    const removed = ['v1.4.2', 'v1.4', 'v1', 'latest'];
    await seed({ verdict: FAILING, quarantine: quarantine(removed) });
    ecr.on(DescribeImageScanFindingsCommand).resolves(CRITICAL_SCAN);

    // Act
    const code = await release(
      '--reason',
      '  CVE-2026-0001 allowlisted (SEC-112)  ',
      '--config',
      join(dir, 'allowlisted.yaml'),
    );

    // Assess: the exact ECR calls, in order.
    expect(code).toBe(0);
    expect(ecr.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'DescribeImageScanFindingsCommand', // the scan's status and counts
      'DescribeImageScanFindingsCommand', // the findings, for the allowlist
      'BatchGetImageCommand', // which image each removed tag names now
      'BatchGetImageCommand', // the manifest to write them with
      'PutImageCommand',
      'PutImageCommand',
      'PutImageCommand',
      'PutImageCommand',
      'BatchDeleteImageCommand', // the keeper, once the tags are back
    ]);
    expect(tagLookups()).toEqual([
      {
        repositoryName: REPO,
        imageIds: removed.map((imageTag) => ({ imageTag })),
        acceptedMediaTypes: MEDIA_TYPES,
      },
    ]);
    for (const tag of removed) {
      expect(ecr).toHaveReceivedCommandWith(PutImageCommand, {
        repositoryName: REPO,
        imageManifest: MANIFEST,
        imageManifestMediaType: MEDIA_TYPE,
        imageDigest: DIGEST,
        imageTag: tag,
      });
    }
    expect(inputs<BatchDeleteImageCommandInput>(BatchDeleteImageCommand)).toEqual([
      { repositoryName: REPO, imageIds: [{ imageDigest: DIGEST, imageTag: KEEPER }] },
    ]);
    expect([...tags.keys()].sort()).toEqual(['latest', 'v1', 'v1.4', 'v1.4.2']);

    const after = await state.get(IMAGE);
    expect(after.data.quarantine).toEqual({
      ...quarantine(removed),
      released: {
        time: NOW.toISOString(),
        by: CALLER,
        reason: 'CVE-2026-0001 allowlisted (SEC-112)',
        restoredTags: ['latest', 'v1', 'v1.4', 'v1.4.2'],
        skippedTags: [],
      },
    });
    // The pass it earned becomes the recorded verdict (gate, promote and the replicator read it); same finding set.
    expect(after.data.verdict).not.toHaveProperty('highestSeverity');
    expect(after.data.verdict).toEqual({
      ...FAILING,
      highestSeverity: undefined,
      result: 'pass',
      reason: expect.stringMatching(new RegExp(`^pass: .*allowlisted: ${CVE} \\(released by ${CALLER}\\)$`)),
      topFindings: [],
      allowlisted: [CVE],
      eventId: `release:${DIGEST}:scan-1`,
      time: NOW.toISOString(),
    });
    expect(after.done).toEqual(['scan-1', `release:${DIGEST}:scan-1`]);
    expect(await releasedRows()).toEqual([
      {
        repository: REPO,
        digest: DIGEST,
        action: 'released',
        time: NOW.toISOString(),
        eventId: `release:${DIGEST}:scan-1`,
        tags: ['latest', 'v1', 'v1.4', 'v1.4.2'],
        detail: {
          by: CALLER,
          reason: 'CVE-2026-0001 allowlisted (SEC-112)',
          restoredCount: 4,
          skippedTags: [],
          keeperTag: KEEPER,
          quarantineEventId: 'scan-1',
          basis: 'current-policy',
          verdict: expect.stringMatching(/^pass/),
          allowlisted: [CVE],
          keeperRemoved: true,
        },
      },
    ]);
    expect(out).toContain(`${REPO}@${DIGEST} released by ${CALLER}: CVE-2026-0001 allowlisted (SEC-112)\n`);
    expect(out).toMatch(
      /^verdict: passes the current policy of .*allowlisted\.yaml: pass: .*allowlisted: CVE-2026-0001$/m,
    );
    expect(out).toContain('restored 4 tag(s): latest, v1, v1.4, v1.4.2\n');
    expect(out).toContain(`keeper tag ${KEEPER} removed\n`);
  });

  it('passes on a recorded passing verdict without reading the scan, and skips a tag that now names another image', async () => {
    // Prepare: `latest` moved to a newer image while this one was quarantined.
    await seed({ verdict: PASSING, quarantine: quarantine(['v1.4.2', 'v1.4', 'latest']) });
    tags.set('latest', OTHER);

    // Act
    const code = await release('--reason', 'rebuilt base image; rescan passed', '--json');

    // Assess
    expect(code).toBe(0);
    expect(ecr).not.toHaveReceivedCommand(DescribeImageScanFindingsCommand);
    expect(putTags()).toEqual(['v1.4', 'v1.4.2']);
    expect(inputs<BatchDeleteImageCommandInput>(BatchDeleteImageCommand)).toEqual([
      { repositoryName: REPO, imageIds: [{ imageDigest: DIGEST, imageTag: KEEPER }] },
    ]);
    expect(tags.get('latest')).toBe(OTHER);
    expect((await state.get(IMAGE)).data.quarantine?.released).toMatchObject({
      restoredTags: ['v1.4', 'v1.4.2'],
      skippedTags: ['latest'],
    });
    expect(JSON.parse(out)).toMatchObject({
      status: 'released',
      basis: { source: 'recorded', reason: PASSING.reason },
      restoredTags: ['v1.4', 'v1.4.2'],
      skippedTags: [{ tag: 'latest', digest: OTHER }],
      keeperRemoved: true,
    });
  });

  it('keeps the keeper tag when every removed tag now names another image (ECR would delete the image)', async () => {
    // Prepare
    await seed({ verdict: PASSING, quarantine: quarantine(['latest']) });
    tags.set('latest', OTHER);

    // Act
    const code = await release('--reason', 'rescan passed');

    // Assess
    expect(code).toBe(0);
    expect(ecr).not.toHaveReceivedCommand(PutImageCommand);
    expect(ecr).not.toHaveReceivedCommand(BatchDeleteImageCommand);
    expect(tags.get(KEEPER)).toBe(DIGEST);
    expect(out).toContain(`keeper tag ${KEEPER} kept: no other tag could be put back`);
    expect((await state.get(IMAGE)).data.quarantine?.released?.skippedTags).toEqual(['latest']);
  });

  it('restores 150 tags: the lookups in batches of 100, one PutImage each, then the keeper', async () => {
    // Prepare
    const removed = Array.from({ length: 150 }, (_, i) => `build-${String(i).padStart(3, '0')}`);
    await seed({ verdict: PASSING, quarantine: quarantine(removed) });

    // Act
    const code = await release('--reason', 'rescan passed');

    // Assess
    expect(code).toBe(0);
    expect(tagLookups().map((i) => i.imageIds?.map((id) => id.imageTag))).toEqual([
      removed.slice(0, 100),
      removed.slice(100),
    ]);
    expect(putTags()).toEqual(removed);
    expect(inputs<BatchDeleteImageCommandInput>(BatchDeleteImageCommand)).toEqual([
      { repositoryName: REPO, imageIds: [{ imageDigest: DIGEST, imageTag: KEEPER }] },
    ]);
    expect(tags.size).toBe(150);
    expect((await state.get(IMAGE)).data.quarantine?.released?.restoredTags).toEqual(removed);
    const [row] = await releasedRows();
    expect(row.tags).toEqual(removed.slice(0, 100));
    expect(row.detail).toMatchObject({ restoredCount: 150 });
    expect(out).toContain('restored 150 tag(s): build-000, build-001');
    expect(out).toContain('and 130 more\n');
  });

  it('run again after success: "already released", exit 0, no ECR, STS or state write', async () => {
    // Prepare
    await seed({ verdict: PASSING, quarantine: quarantine(['v1.4.2']) });
    expect(await release('--reason', 'rescan passed')).toBe(0);
    const after = await state.get(IMAGE);
    ecr.resetHistory();
    sts.resetHistory();
    out = '';

    // Act
    const code = await release('--reason', 'again');

    // Assess
    expect(code).toBe(0);
    expect(out).toBe(
      `${REPO}@${DIGEST} is already released (${NOW.toISOString()} by ${CALLER}: rescan passed); nothing to do\n`,
    );
    expect(ecr.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
    expect(await state.get(IMAGE)).toEqual(after);
    expect(await releasedRows()).toHaveLength(1);
  });

  it('a run that died after restoring the tags (its lease expired) is completed by the next run, writing no tag twice', async () => {
    // Prepare: the tags are back and the keeper is still there; the dead run's lease ran out 5 minutes ago.
    await seed({ verdict: PASSING, quarantine: quarantine(['v1.4.2', 'latest']) }, ['v1.4.2', 'latest']);
    await state.claim(IMAGE, `release:${DIGEST}:scan-1`, {
      now: NOW.getTime() - RELEASE_LEASE_MS - 300_000,
      leaseMs: RELEASE_LEASE_MS,
    });

    // Act
    const code = await release('--reason', 'rescan passed');

    // Assess
    expect(code).toBe(0);
    expect(ecr.calls().map((c) => c.args[0].constructor.name)).toEqual([
      'BatchGetImageCommand',
      'BatchDeleteImageCommand',
    ]);
    expect([...tags.keys()].sort()).toEqual(['latest', 'v1.4.2']);
    expect((await state.get(IMAGE)).data.quarantine?.released?.restoredTags).toEqual(['latest', 'v1.4.2']);
    expect(await releasedRows()).toHaveLength(1);
  });

  it('waits (exit 2) while another event holds the image, changing nothing', async () => {
    // Prepare: a scan event of the image is being processed now.
    await seed({ verdict: PASSING, quarantine: quarantine(['v1.4.2']) });
    await state.claim(IMAGE, 'scan-3', { now: NOW.getTime() - 1_000, leaseMs: 60_000 });

    // Act
    const code = await release('--reason', 'rescan passed');

    // Assess
    expect(code).toBe(2);
    expect(err).toBe(
      `harbormaster: cannot release ${REPO}@${DIGEST} now: ${REPO}@${DIGEST} is being processed by event scan-3; run again once it is done (a stopped release run holds it for 5 minutes)\n`,
    );
    expect(ecr.calls()).toHaveLength(0);
    expect(tags.get(KEEPER)).toBe(DIGEST);
  });

  it('a failure after the tags are written drops the lease; the re-run finishes without writing them again', async () => {
    // Prepare
    await seed({ verdict: PASSING, quarantine: quarantine(['v1.4.2', 'v1.4']) });
    deleteTimeouts = 1;

    // Act
    const first = await release('--reason', 'rescan passed');
    const firstErr = err;
    const second = await release('--reason', 'rescan passed');

    // Assess
    expect(first).toBe(2);
    expect(firstErr).toContain(
      `harbormaster: releasing ${REPO}@${DIGEST}: BatchDeleteImage failed for ${REPO}@${DIGEST}: TimeoutError: socket hang up\n`,
    );
    expect(second).toBe(0);
    expect(putTags()).toEqual(['v1.4', 'v1.4.2']);
    expect(ecr).toHaveReceivedCommandTimes(BatchDeleteImageCommand, 2);
    expect(tags.has(KEEPER)).toBe(false);
    expect(await releasedRows()).toHaveLength(1);
  });

  it.each([
    [
      ['--reason', '   '],
      'harbormaster: --reason: expected a non-empty text saying why the image may be deployed again\n',
    ],
    [[], "error: required option '--reason <text>' not specified\n"],
  ])('refuses %j (exit 2) before any AWS call', async (args, message) => {
    // Prepare
    await seed({ verdict: PASSING, quarantine: quarantine(['v1.4.2']) });

    // Act
    const code = await release(...args);

    // Assess
    expect(code).toBe(2);
    expect(err).toContain(message);
    expect(ecr.calls()).toHaveLength(0);
    expect(sts.calls()).toHaveLength(0);
  });
});
