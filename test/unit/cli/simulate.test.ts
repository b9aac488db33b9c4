import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, createPublicKey } from 'node:crypto';
import { parse, stringify } from 'yaml';
import { run } from '../../../shared/cli/main';
import { keyFingerprint } from '../../../shared/signing/trust';
import { cosignKeys, cosignSign, simpleSigningPayload } from '../signing/signing-fixtures';

const ROOT = join(__dirname, '..', '..', '..');
const EVENTS = join(ROOT, 'test', 'fixtures', 'events');
const CONFIG = join(EVENTS, 'simulate-config.yaml');
const NOW = '2026-11-23T12:00:00Z';
const ev = (name: string): string => join(EVENTS, `${name}.json`);

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function simulate(...args: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await run(['simulate', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hm-simulate-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => {
  process.exitCode = undefined;
});

function writeTmp(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

const BASE_KEYS = ['kind', 'account', 'region', 'repository', 'digest', 'tags', 'time'];

const API = 'payments/api';
const API_DIGEST = 'sha256:4c1d8e2f9a7b6c5d3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d';
const WORKER = 'payments/worker';
const WORKER_DIGEST = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const SCAN_ID = '85fc3613-e913-7fc4-a80c-a3753e4aa9ae';
const SCAN_TIME = '2026-11-20T09:16:45Z';
const KEEPER = 'quarantined-4c1d8e2f9a7b';
const COUNTS = { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 5, MEDIUM: 3, HIGH: 2, CRITICAL: 0 };
const ZERO = { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
const FINDINGS = [
  {
    id: 'CVE-2024-0001',
    severity: 'HIGH',
    packageName: 'openssl',
    installedVersion: '3.0.1',
    fixedVersion: '3.0.9',
  },
  { id: 'CVE-2024-0002', severity: 'HIGH' },
  { id: 'CVE-2024-0101', severity: 'MEDIUM' },
];
const FINDING_IDS = ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0101'];

async function simulateJson(...args: string[]) {
  const result = await simulate(...args, '--config', CONFIG, '--now', NOW, '--json');
  expect(result.stderr).toBe('');
  return { code: result.code, out: JSON.parse(result.stdout) };
}

/** A copy of a fixture with changes (a new id: a new event, not a redelivery). */
function variant(
  name: string,
  change: (e: { id: string; time: string; detail: Record<string, unknown> }) => void,
): string {
  const e = JSON.parse(readFileSync(ev(name), 'utf8'));
  change(e);
  return writeTmp(`${name}-${Math.random().toString(36).slice(2)}.json`, JSON.stringify(e));
}

/** The failing scan's effects, as the scan function makes them with FINDINGS. */
function quarantineEffects(findingSetHash: string, alert: 'first' | 'none') {
  return [
    { type: 'tag', repository: API, digest: API_DIGEST, tags: [KEEPER], keeper: true },
    { type: 'untag', repository: API, digest: API_DIGEST, tags: ['latest', 'v1', 'v1.4', 'v1.4.2'] },
    ...(alert === 'first'
      ? [
          {
            type: 'alert',
            topicArn: 'arn:aws:sns:eu-west-1:111122223333:harbormaster-findings',
            subject: '[Harbormaster] FAIL payments/api:v1.4.2 - 2 HIGH, 1 MEDIUM (quarantined)',
            message: expect.stringContaining('CVE-2024-0001'),
          },
        ]
      : []),
    {
      type: 'audit',
      repository: API,
      digest: API_DIGEST,
      action: 'scanned',
      eventId: SCAN_ID,
      time: SCAN_TIME,
      tags: ['v1.4.2', 'v1.4', 'v1', 'latest'],
      detail: { scanner: 'basic', severityCounts: COUNTS },
      followUps: [
        {
          action: 'verdict',
          detail: {
            result: 'fail',
            reason: 'fail: 2 HIGH above threshold MEDIUM',
            highestSeverity: 'HIGH',
            findingSetHash,
            allowlisted: [],
          },
        },
        {
          action: 'quarantined',
          tags: ['latest', 'v1', 'v1.4', 'v1.4.2'],
          detail: { removedCount: 4, keeperTag: KEEPER },
        },
        ...(alert === 'first'
          ? [
              {
                action: 'notified',
                detail: {
                  topic: 'findings',
                  team: 'payments',
                  verdict: 'fail',
                  newFindings: [],
                  fixedFindings: [],
                  findingSetHash,
                },
              },
            ]
          : []),
      ],
    },
  ];
}

describe('harbormaster simulate runs the functions (in process)', () => {
  it('semver push: the cascade tags written, one audit row; a redelivery is a duplicate that writes nothing', async () => {
    // Act
    const { code, out } = await simulateJson(ev('ecr-image-push'), '--existing-tags', 'v1.3.0', '--repeat');
    // Assess
    expect(code).toBe(0);
    expect(out.deliveries).toHaveLength(2);
    const [first, again] = out.deliveries;
    expect(first.event).toEqual({
      kind: 'image.pushed',
      account: '111122223333',
      region: 'eu-west-1',
      repository: API,
      digest: API_DIGEST,
      tags: ['v1.4.2'],
      time: '2026-11-20T09:15:02Z',
    });
    expect(first.runs).toHaveLength(1);
    expect(first.runs[0]).toMatchObject({
      function: 'image-events',
      outcome: 'done',
      actions: ['pushed', 'tagged'],
      reads: [`ListImages ${API}`, `BatchGetImage ${API}@${API_DIGEST}`],
      metrics: { TagsWritten: 3, EventsProcessed: 1 },
    });
    expect(first.runs[0].effects).toEqual([
      { type: 'tag', repository: API, digest: API_DIGEST, tags: ['v1.4', 'v1', 'latest'] },
      {
        type: 'audit',
        repository: API,
        digest: API_DIGEST,
        action: 'pushed',
        eventId: '13cde686-328b-6117-af20-0e5566167482',
        time: '2026-11-20T09:15:02Z',
        tags: ['v1.4.2'],
        detail: { tags: ['v1.4.2'], mediaType: 'application/vnd.oci.image.manifest.v1+json' },
        followUps: [{ action: 'tagged', tags: ['v1.4', 'v1', 'latest'], detail: { reason: 'auto-tag' } }],
      },
    ]);
    // The redelivery lists the tags again, finds them in place and its audit row written: nothing more.
    expect(again.runs[0]).toMatchObject({
      function: 'image-events',
      outcome: 'duplicate',
      reads: [`ListImages ${API}`],
      effects: [],
    });
    expect(out.tags).toEqual({
      [API]: {
        latest: API_DIGEST,
        v1: API_DIGEST,
        'v1.3.0': `sha256:${'0'.repeat(64)}`,
        'v1.4': API_DIGEST,
        'v1.4.2': API_DIGEST,
      },
    });
    expect(out.state).toEqual([]);
  });

  it('--existing-tags holds latest back when a higher version exists', async () => {
    const { out } = await simulateJson(ev('ecr-image-push'), '--existing-tags', 'v2.0.0, v1.4.1');
    expect(out.deliveries[0].runs[0].effects[0]).toEqual({
      type: 'tag',
      repository: API,
      digest: API_DIGEST,
      tags: ['v1.4', 'v1'],
    });
  });

  it('failing scan: keeper tag, every tag removed, one alert, the rows and the state it leaves; a redelivery does nothing', async () => {
    // Prepare
    const findings = writeTmp('findings.json', JSON.stringify(FINDINGS));
    // Act
    const { code, out } = await simulateJson(ev('ecr-image-scan-basic'), '--findings', findings, '--repeat');
    // Assess
    expect(code).toBe(0);
    const [first, again] = out.deliveries;
    const hash = first.runs[0].effects[3].followUps[0].detail.findingSetHash;
    expect(hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first.runs[0]).toMatchObject({
      function: 'scan-events',
      outcome: 'done',
      actions: ['scanned', 'verdict', 'quarantined', 'notified'],
      reads: [
        `DescribeImageScanFindings ${API}@${API_DIGEST}`,
        `DescribeImages ${API}@${API_DIGEST}`,
        `BatchGetImage ${API}@${API_DIGEST}`,
      ],
      metrics: { ImagesQuarantined: 1, AlertsSent: 1, EventsProcessed: 1 },
    });
    expect(first.runs[0].effects).toEqual(quarantineEffects(hash, 'first'));
    expect(again.runs).toEqual([
      expect.objectContaining({
        function: 'scan-events',
        outcome: 'duplicate',
        reads: [],
        effects: [],
        leases: [`claim ${API}@${API_DIGEST}: duplicate`],
      }),
    ]);
    // Only the keeper is left, and the state says what went and which alert was sent.
    expect(out.tags).toEqual({ [API]: { [KEEPER]: API_DIGEST } });
    expect(out.state).toHaveLength(1);
    expect(out.state[0]).toMatchObject({
      repository: API,
      digest: API_DIGEST,
      verdict: { result: 'fail', findingSetHash: hash, findingIds: FINDING_IDS },
      quarantine: { eventId: SCAN_ID, removedTags: ['latest', 'v1', 'v1.4', 'v1.4.2'], keeperTag: KEEPER },
      alert: { findingSetHash: hash, findingIds: FINDING_IDS, eventId: SCAN_ID, time: SCAN_TIME },
    });
  });

  it('FAILED native replication: claim, alert, row, commit, as the image function does; a redelivery only claims', async () => {
    // Act
    const { code, out } = await simulateJson(ev('ecr-replication-failed'), '--repeat');
    // Assess
    expect(code).toBe(0);
    const [first, again] = out.deliveries;
    const eventId = 'd9c244c2-713a-ff84-f3b2-5a577c9cb0aa';
    expect(first.runs).toEqual([
      {
        function: 'image-events',
        outcome: 'done',
        actions: ['replicated'],
        reads: [],
        leases: [`claim ${WORKER}@${WORKER_DIGEST}: claimed`, `commit ${WORKER}@${WORKER_DIGEST}`],
        effects: [
          {
            type: 'alert',
            topicArn: 'arn:aws:sns:eu-west-1:111122223333:harbormaster-findings',
            subject: '[Harbormaster] REPLICATION FAILED payments/worker@sha256:9f86d081884c to eu-central-1',
            message: expect.stringContaining(`Event: ${eventId}`),
          },
          {
            type: 'audit',
            repository: WORKER,
            digest: WORKER_DIGEST,
            action: 'replicated',
            eventId,
            time: '2026-11-20T09:16:02Z',
            tags: [],
            detail: { via: 'ecr-native-replication', result: 'FAILED', region: 'eu-central-1', tags: [] },
            followUps: [],
          },
        ],
        metrics: { ReplicationsFailed: 1, AlertsSent: 1, EventsProcessed: 1 },
        log: [
          expect.objectContaining({ level: 'warn', message: 'native replication FAILED: alerted' }),
          expect.objectContaining({ level: 'info', message: 'event processed' }),
        ],
      },
    ]);
    // The lease marked the event done: the redelivery alerts nothing.
    expect(again.runs).toEqual([
      expect.objectContaining({
        function: 'image-events',
        outcome: 'duplicate',
        reads: [],
        effects: [],
        leases: [`claim ${WORKER}@${WORKER_DIGEST}: duplicate`],
      }),
    ]);
  });

  it('the same finding set in a later scan: no alert and no second quarantine, only its rows', async () => {
    // Prepare
    const findings = writeTmp('findings-same.json', JSON.stringify(FINDINGS));
    const rescan = variant('ecr-image-scan-basic', (e) => {
      e.id = 'rescan-1';
      e.time = '2026-11-21T09:00:00Z';
    });
    // Act
    const { out } = await simulateJson(ev('ecr-image-scan-basic'), rescan, '--findings', findings);
    // Assess
    const second = out.deliveries[1].runs[0];
    expect(second).toMatchObject({ outcome: 'done', actions: ['scanned', 'verdict'] });
    expect(second.effects).toEqual([
      {
        type: 'audit',
        repository: API,
        digest: API_DIGEST,
        action: 'scanned',
        eventId: 'rescan-1',
        time: '2026-11-21T09:00:00Z',
        tags: ['v1.4.2', 'v1.4', 'v1', 'latest'],
        detail: { scanner: 'basic', severityCounts: COUNTS },
        followUps: [
          {
            action: 'verdict',
            detail: expect.objectContaining({
              result: 'fail',
              findingSetHash: out.state[0].alert.findingSetHash,
            }),
          },
        ],
      },
    ]);
  });

  it('--last-alert with the same finding ids: quarantine with the keeper tag, no alert', async () => {
    const findings = writeTmp('findings-last.json', JSON.stringify(FINDINGS));
    const lastAlert = writeTmp('last-alert.json', JSON.stringify(FINDING_IDS));
    const { out } = await simulateJson(
      ev('ecr-image-scan-basic'),
      '--findings',
      findings,
      '--last-alert',
      lastAlert,
    );
    const run = out.deliveries[0].runs[0];
    expect(run.actions).toEqual(['scanned', 'verdict', 'quarantined']);
    expect(run.effects).toEqual(quarantineEffects(out.state[0].verdict.findingSetHash, 'none'));
  });

  it('--state from an earlier report: a changed finding set alerts with new and fixed ids, no second quarantine', async () => {
    // Prepare: the first run's report is the second run's state.
    const findings = writeTmp('findings-before.json', JSON.stringify(FINDINGS));
    const { out: before } = await simulateJson(ev('ecr-image-scan-basic'), '--findings', findings);
    const state = writeTmp('state.json', JSON.stringify(before));
    const changed = writeTmp(
      'findings-after.json',
      JSON.stringify([...FINDINGS.slice(1), { id: 'CVE-2024-0003', severity: 'HIGH' }]),
    );
    const rescan = variant('ecr-image-scan-basic', (e) => {
      e.id = 'rescan-2';
    });
    // Act
    const { out } = await simulateJson(rescan, '--findings', changed, '--state', state, '--tags', KEEPER);
    // Assess
    const run = out.deliveries[0].runs[0];
    expect(run.actions).toEqual(['scanned', 'verdict', 'notified']);
    expect(run.effects.map((e: { type: string }) => e.type)).toEqual(['alert', 'audit']);
    expect(run.effects[1].followUps[1]).toEqual({
      action: 'notified',
      detail: expect.objectContaining({ newFindings: ['CVE-2024-0003'], fixedFindings: ['CVE-2024-0001'] }),
    });
  });

  it('passing scan: promotion tag, then the gated replication message, then the rows', async () => {
    // Act
    const { code, out } = await simulateJson(ev('ecr-image-scan-basic-clean'));
    // Assess
    expect(code).toBe(0);
    const run = out.deliveries[0].runs[0];
    expect(run).toMatchObject({
      function: 'scan-events',
      outcome: 'done',
      actions: ['scanned', 'verdict', 'promoted', 'replicate:payments-releases-dr'],
      reads: [`BatchGetImage ${WORKER}@${WORKER_DIGEST}`],
    });
    expect(run.effects).toEqual([
      { type: 'tag', repository: WORKER, digest: WORKER_DIGEST, tags: ['approved'] },
      {
        type: 'replicate',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/harbormaster-replication',
        message: {
          version: 1,
          eventId: '2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f',
          rule: 'payments-releases-dr',
          source: { account: '111122223333', region: 'eu-west-1' },
          repository: WORKER,
          digest: WORKER_DIGEST,
          tags: ['v2', 'v2.0', 'v2.0.1'],
          destinations: [
            { type: 'ecr', region: 'us-east-1', repositoryPrefix: '' },
            { type: 'registry', host: 'ghcr.io', repositoryPrefix: 'example-org/' },
          ],
        },
      },
      {
        type: 'audit',
        repository: WORKER,
        digest: WORKER_DIGEST,
        action: 'scanned',
        eventId: '2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f',
        time: '2026-11-20T09:20:03Z',
        tags: ['v2.0.1', 'v2.0', 'v2'],
        detail: { scanner: 'basic', severityCounts: ZERO },
        followUps: [
          {
            action: 'verdict',
            detail: {
              result: 'pass',
              reason: 'pass: no finding above threshold HIGH',
              findingSetHash: expect.stringMatching(/^sha256:/),
              allowlisted: [],
            },
          },
          { action: 'promoted', tags: ['approved'], detail: { reason: 'promotion' } },
        ],
      },
    ]);
    expect(out.state[0]).toMatchObject({ verdict: { result: 'pass' } });
    expect(out.state[0].alert).toBeUndefined();
    expect(out.state[0].quarantine).toBeUndefined();
  });

  it('--findings lets the allowlist pass the failing scan: promotion and replication instead', async () => {
    const findings = writeTmp(
      'findings-allow.json',
      JSON.stringify([
        { id: 'CVE-2023-45853', severity: 'HIGH' },
        { id: 'CVE-2023-45853', severity: 'HIGH' },
      ]),
    );
    const { out } = await simulateJson(ev('ecr-image-scan-basic'), '--findings', findings);
    const run = out.deliveries[0].runs[0];
    expect(run.actions).toEqual(['scanned', 'verdict', 'promoted', 'replicate:payments-releases-dr']);
    expect(run.effects[0]).toEqual({ type: 'tag', repository: API, digest: API_DIGEST, tags: ['scanned'] });
    expect(run.effects[1].message).toMatchObject({
      rule: 'payments-releases-dr',
      tags: ['v1', 'v1.4', 'v1.4.2'],
    });
  });

  it('--now after the allowlist expiry makes the same scan fail', async () => {
    const findings = writeTmp(
      'findings-expired.json',
      JSON.stringify([{ id: 'CVE-2023-45853', severity: 'HIGH' }]),
    );
    const result = await simulate(
      ev('ecr-image-scan-basic'),
      '--config',
      CONFIG,
      '--now',
      '2027-04-01T00:00:00Z',
      '--findings',
      findings,
      '--json',
    );
    const run = JSON.parse(result.stdout).deliveries[0].runs[0];
    expect(run.effects.find((e: { type: string }) => e.type === 'audit').followUps[0].detail.result).toBe(
      'fail',
    );
  });

  it('without --findings the read is answered from the counts, and a note says so', async () => {
    const { out } = await simulateJson(ev('ecr-image-scan-basic'));
    expect(out.state[0].verdict.findingIds).toEqual([
      'HIGH-finding-1',
      'HIGH-finding-2',
      'LOW-finding-1',
      'LOW-finding-2',
      'LOW-finding-3',
      'LOW-finding-4',
      'LOW-finding-5',
      'MEDIUM-finding-1',
      'MEDIUM-finding-2',
      'MEDIUM-finding-3',
    ]);
    expect(out.notes).toEqual([
      "no --findings: DescribeImageScanFindings was answered with placeholder findings made from the scan's counts (none for a finding event)",
    ]);
  });

  it("--tags: quarantine removes every tag the image has in ECR, not only the event's", async () => {
    const { out } = await simulateJson(ev('ecr-image-scan-basic'), '--tags', 'v1.4.2,stable,prod-eu');
    expect(out.deliveries[0].runs[0].effects[1]).toEqual({
      type: 'untag',
      repository: API,
      digest: API_DIGEST,
      tags: ['prod-eu', 'stable', 'v1.4.2'],
    });
  });

  it('an index push reaches both functions; without its manifest the scan function fails the record (exit 1)', async () => {
    const index = variant('ecr-image-push', (e) => {
      e.detail['manifest-media-type'] = 'application/vnd.oci.image.index.v1+json';
    });
    const { code, out } = await simulateJson(index);
    expect(code).toBe(1);
    expect(
      out.deliveries[0].runs.map((r: { function: string; outcome: string }) => [r.function, r.outcome]),
    ).toEqual([
      ['image-events', 'done'],
      ['scan-events', 'failed'],
    ]);
    expect(out.deliveries[0].runs[1].reason).toBe(
      `RegistryOperationError: the manifest of ${API}@${API_DIGEST} is not an index (no manifests[])`,
    );
    expect(out.notes).toContain(
      'no --manifest: an index push is decided from its platform manifests; give the index manifest',
    );
  });

  it('an index push with --manifest records its platform children and waits for their scans', async () => {
    const index = variant('ecr-image-push', (e) => {
      e.detail['manifest-media-type'] = 'application/vnd.oci.image.index.v1+json';
    });
    const amd = `sha256:${'a'.repeat(64)}`;
    const attestation = `sha256:${'c'.repeat(64)}`;
    const manifest = writeTmp(
      'index.json',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { digest: amd, platform: { os: 'linux', architecture: 'amd64' } },
          {
            digest: attestation,
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
          },
        ],
      }),
    );
    const { code, out } = await simulateJson(index, '--manifest', manifest);
    expect(code).toBe(0);
    expect(out.deliveries[0].runs[1]).toMatchObject({
      function: 'scan-events',
      outcome: 'done',
      actions: [],
      effects: [],
    });
    const indexState = out.state.find((s: { digest: string }) => s.digest === API_DIGEST);
    expect(indexState.children).toEqual({
      [amd]: { platform: 'linux/amd64', scannable: true },
      [attestation]: { platform: 'unknown/unknown', scannable: false },
    });
  });

  it('a multi-arch image: the last platform scan decides the index, which gets the promotion tag and replication', async () => {
    // Prepare: an index (the pushed v1.4.2) of one platform image and an attestation, then the platform's clean scan.
    const index = variant('ecr-image-push', (e) => {
      e.detail['manifest-media-type'] = 'application/vnd.oci.image.index.v1+json';
    });
    const amd = `sha256:${'a'.repeat(64)}`;
    const manifest = writeTmp(
      'index-amd.json',
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { digest: amd, platform: { os: 'linux', architecture: 'amd64' } },
          {
            digest: `sha256:${'c'.repeat(64)}`,
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
          },
        ],
      }),
    );
    const childScan = variant('ecr-image-scan-basic-clean', (e) => {
      e.id = 'scan-amd';
      e.detail['repository-name'] = API;
      e.detail['image-digest'] = amd;
      e.detail['image-tags'] = [];
    });
    // Act
    const { code, out } = await simulateJson(index, childScan, '--manifest', manifest);
    // Assess
    expect(code).toBe(0);
    const run = out.deliveries[1].runs[0];
    expect(run.actions).toEqual([
      'scanned',
      'verdict',
      'index:verdict',
      'index:promoted',
      'index:replicate:payments-releases-dr',
    ]);
    expect(run.effects.map((e: { type: string; digest?: string }) => [e.type, e.digest])).toEqual([
      ['tag', API_DIGEST],
      ['replicate', undefined],
      ['audit', API_DIGEST],
      ['audit', amd],
    ]);
    expect(run.effects[0].tags).toEqual(['scanned']);
    expect(run.effects[1].message).toMatchObject({ digest: API_DIGEST, tags: ['v1', 'v1.4', 'v1.4.2'] });
    expect(out.tags[API].scanned).toBe(API_DIGEST);
  });

  it.each([
    ['ecr-image-push-by-digest', 'image.pushed', BASE_KEYS],
    ['ecr-image-delete', 'image.deleted', BASE_KEYS],
    ['ecr-image-archive', 'image.storage-class-changed', BASE_KEYS],
    ['ecr-image-scan-basic', 'scan.completed', [...BASE_KEYS, 'scanner', 'severityCounts']],
    ['inspector2-scan', 'scan.completed', [...BASE_KEYS, 'scanner', 'severityCounts']],
    ['inspector2-finding', 'finding.updated', [...BASE_KEYS, 'scanner', 'severityCounts']],
    ['ecr-replication-success', 'replication.completed', [...BASE_KEYS, 'result']],
  ])('%s: event has exactly the documented fields and is handled', async (name, kind, keys) => {
    const { code, out } = await simulateJson(ev(name));
    expect(code).toBe(0);
    expect(Object.keys(out)).toEqual(['deliveries', 'state', 'tags', 'notes']);
    const [delivery] = out.deliveries;
    expect(delivery.event.kind).toBe(kind);
    expect(Object.keys(delivery.event)).toEqual(keys);
    expect(delivery.runs.map((r: { outcome: string }) => r.outcome)).toEqual(['done']);
  });

  it('enhanced scan: repository is a name, counts are uppercase with zeros and without TOTAL', async () => {
    const { out } = await simulateJson(ev('inspector2-scan'));
    const { event } = out.deliveries[0];
    expect(event.repository).toBe('platform/base-images/node');
    expect(event.scanner).toBe('enhanced');
    expect(event.severityCounts).toEqual({ ...ZERO, MEDIUM: 4, HIGH: 1 });
  });

  it('unmanaged repository: exit 0, the function ignores it and says why', async () => {
    const { code, out } = await simulateJson(ev('ecr-image-push-unmanaged'));
    expect(code).toBe(0);
    expect(out.deliveries[0].event.repository).toBe('sandbox/experiment');
    expect(out.deliveries[0].runs).toEqual([
      expect.objectContaining({
        function: 'image-events',
        outcome: 'ignored',
        reason: 'repository sandbox/experiment is not managed by Harbormaster',
        effects: [],
      }),
    ]);
  });

  it.each([
    ['ecr-image-push-failed', 'ECR Image Action "PUSH" with result FAILED changed nothing'],
    ['ecr-image-scan-failed', 'ECR Image Scan with scan-status "FAILED" has no findings to judge'],
    [
      'ecr-pull-through-cache',
      'ECR Pull Through Cache Action events from aws.ecr are not handled by Harbormaster',
    ],
  ])('ignored event type %s: exit 0, event null, the reason', async (name, reason) => {
    const { code, stdout } = await simulate(ev(name), '--config', CONFIG, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      deliveries: [{ event: null, ignored: reason, runs: [] }],
      state: [],
      tags: {},
      notes: [],
    });
  });

  it('--event still names the first event', async () => {
    const { out } = await simulateJson('--event', ev('ecr-image-push'), ev('ecr-image-delete'));
    expect(out.deliveries.map((d: { event: { kind: string } }) => d.event.kind)).toEqual([
      'image.pushed',
      'image.deleted',
    ]);
  });

  it('no event file: exit 2 and one line', async () => {
    const { code, stderr } = await simulate('--config', CONFIG);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'harbormaster: simulate: expected an event file (EVENT.json, or --event FILE; "-" reads stdin)\n',
    );
  });

  describe('malformed input: exit 2 and one stderr line naming the field', () => {
    it.each<[string, () => string, RegExp]>([
      [
        'truncated JSON',
        () => writeTmp('trunc.json', readFileSync(ev('ecr-image-push'), 'utf8').slice(0, 100)),
        /: \(event\): expected JSON text \(.+\)$/,
      ],
      [
        'not an envelope',
        () => writeTmp('array.json', '[1,2]'),
        /: \(event\): expected an EventBridge event object, got an array of 2$/,
      ],
      [
        'a missing digest',
        () => {
          const e = JSON.parse(readFileSync(ev('ecr-image-push'), 'utf8'));
          delete e.detail['image-digest'];
          return writeTmp('nodigest.json', JSON.stringify(e));
        },
        /: detail\.image-digest: expected a sha256 digest \(sha256: and 64 hex characters\), but it is missing$/,
      ],
      [
        'an unknown severity',
        () => {
          const e = JSON.parse(readFileSync(ev('ecr-image-scan-basic'), 'utf8'));
          e.detail['finding-severity-counts'] = { BAD: 1 };
          return writeTmp('badsev.json', JSON.stringify(e));
        },
        /: detail\.finding-severity-counts\.BAD: expected a severity name/,
      ],
      [
        'a missing file',
        () => join(tmp, 'nope.json'),
        /^harbormaster: --event: cannot read .*nope\.json: ENOENT/,
      ],
    ])('%s', async (_name, makeFile, pattern) => {
      // Prepare
      const file = makeFile();
      // Act
      const { code, stdout, stderr } = await simulate('--event', file, '--config', CONFIG);
      // Assess
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.endsWith('\n')).toBe(true);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(stderr.trimEnd()).toMatch(pattern);
    });

    it('a bad --now', async () => {
      const { code, stderr } = await simulate(
        '--event',
        ev('ecr-image-push'),
        '--config',
        CONFIG,
        '--now',
        'yesterday',
      );
      expect(code).toBe(2);
      expect(stderr).toBe(
        'harbormaster: --now: expected an ISO-8601 time such as 2026-11-23T00:00:00Z, got "yesterday"\n',
      );
    });

    it('a bad --findings file', async () => {
      const findings = writeTmp('badfindings.json', JSON.stringify([{ id: 'CVE-1', severity: 'SEVERE' }]));
      const { code, stderr } = await simulate(
        '--event',
        ev('ecr-image-scan-basic'),
        '--config',
        CONFIG,
        '--findings',
        findings,
      );
      expect(code).toBe(2);
      expect(stderr).toMatch(
        /^harbormaster: --findings .*badfindings\.json\[0\]\.severity: expected a severity/,
      );
    });
  });

  it('--help shows an example', async () => {
    const { code, stdout } = await simulate('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('--event <file>');
    expect(stdout).toContain('Example:');
    expect(stdout).toContain(
      'npx harbormaster simulate test/fixtures/events/ecr-image-scan-basic.json --repeat',
    );
  });
});

describe('harbormaster simulate: a repository with scan.requireSignature', () => {
  const CLEAN_ID = '2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f';
  const CLEAN_TIME = '2026-11-20T09:20:03Z';
  const SIG_TAG = `${WORKER_DIGEST.replace(':', '-')}.sig`;
  const keys = cosignKeys();
  const fingerprint = keyFingerprint(createPublicKey(keys.publicPem));
  const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  let signedConfig: string;

  beforeAll(() => {
    // The test config, with payments/worker requiring a signature from the CI's cosign key.
    const config = parse(readFileSync(CONFIG, 'utf8'));
    config.repositories[1].scan = {
      ...config.repositories[1].scan,
      requireSignature: true,
      trustedSigners: ['ci'],
    };
    config.signing = { signers: { ci: { type: 'cosign', publicKeys: [keys.publicPem] } } };
    signedConfig = writeTmp('signed-config.yaml', stringify(config));
  });

  const scanned = {
    type: 'audit',
    repository: WORKER,
    digest: WORKER_DIGEST,
    action: 'scanned',
    eventId: CLEAN_ID,
    time: CLEAN_TIME,
    tags: ['v2.0.1', 'v2.0', 'v2'],
    detail: { scanner: 'basic', severityCounts: ZERO },
  };

  it('without --signatures: verified against no signatures (unsigned: fail, alert), and a one-line note says so', async () => {
    // Act
    const result = await simulate(
      ev('ecr-image-scan-basic-clean'),
      '--config',
      signedConfig,
      '--now',
      NOW,
      '--json',
    );
    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    const runOf = out.deliveries[0].runs[0];
    const reason = `fail: expected a signature from ci (cosign key ${fingerprint}); found no signature (scan: no finding above threshold HIGH)`;
    expect(runOf).toMatchObject({
      function: 'scan-events',
      outcome: 'done',
      actions: ['scanned', 'verdict', 'notified'],
      reads: [`GET ${WORKER}/referrers/${WORKER_DIGEST}`, `GET ${WORKER}/manifests/${SIG_TAG}`],
      leases: [`claim ${WORKER}@${WORKER_DIGEST}: claimed`, `commit ${WORKER}@${WORKER_DIGEST}`],
      metrics: { AlertsSent: 1, EventsProcessed: 1 },
    });
    const hash = runOf.effects[1].followUps[0].detail.findingSetHash;
    expect(runOf.effects).toEqual([
      {
        type: 'alert',
        topicArn: 'arn:aws:sns:eu-west-1:111122223333:harbormaster-findings',
        subject: '[Harbormaster] FAIL payments/worker:v2.0.1 - no findings',
        message: expect.stringContaining(`Verdict: ${reason}`),
      },
      {
        ...scanned,
        followUps: [
          {
            action: 'verdict',
            detail: {
              result: 'fail',
              reason,
              findingSetHash: hash,
              allowlisted: [],
              signature: { result: 'fail', found: 0 },
            },
          },
          {
            action: 'notified',
            detail: {
              topic: 'findings',
              team: 'payments',
              verdict: 'fail',
              newFindings: [],
              fixedFindings: [],
              findingSetHash: hash,
            },
          },
        ],
      },
    ]);
    expect(out.notes).toEqual([
      'no --signatures: payments/worker requires a signature; its signatures were read from an empty registry, so the image counts as unsigned',
    ]);
  });

  it('--signatures with a cosign signature by the trusted key: the real verification passes, promotion and replication follow', async () => {
    // Prepare: the cosign `.sig` tag as `cosign sign --key` writes it, and its payload blob.
    const payload = simpleSigningPayload(
      `111122223333.dkr.ecr.eu-west-1.amazonaws.com/${WORKER}`,
      WORKER_DIGEST,
    );
    const empty = Buffer.from('{}');
    const signatures = writeTmp(
      'signatures.json',
      JSON.stringify({
        manifests: [
          {
            tag: SIG_TAG,
            manifest: {
              schemaVersion: 2,
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(empty), size: 2 },
              layers: [
                {
                  mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
                  digest: sha(payload),
                  size: payload.length,
                  annotations: { 'dev.cosignproject.cosign/signature': cosignSign(payload, keys.privateKey) },
                },
              ],
            },
          },
        ],
        blobs: [payload.toString('utf8')],
      }),
    );
    // Act
    const result = await simulate(
      ev('ecr-image-scan-basic-clean'),
      '--config',
      signedConfig,
      '--now',
      NOW,
      '--signatures',
      signatures,
      '--json',
    );
    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    const runOf = out.deliveries[0].runs[0];
    expect(runOf).toMatchObject({
      function: 'scan-events',
      outcome: 'done',
      actions: ['scanned', 'verdict', 'promoted', 'replicate:payments-releases-dr'],
      reads: [
        `GET ${WORKER}/referrers/${WORKER_DIGEST}`,
        `GET ${WORKER}/manifests/${SIG_TAG}`,
        `GET ${WORKER}/blobs/${sha(payload)}`,
        `BatchGetImage ${WORKER}@${WORKER_DIGEST}`,
      ],
      leases: [`claim ${WORKER}@${WORKER_DIGEST}: claimed`, `commit ${WORKER}@${WORKER_DIGEST}`],
      metrics: { TagsWritten: 1, EventsProcessed: 1 },
    });
    const hash = runOf.effects[2].followUps[0].detail.findingSetHash;
    expect(runOf.effects).toEqual([
      { type: 'tag', repository: WORKER, digest: WORKER_DIGEST, tags: ['approved'] },
      {
        type: 'replicate',
        queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/harbormaster-replication',
        message: expect.objectContaining({
          rule: 'payments-releases-dr',
          digest: WORKER_DIGEST,
          tags: ['v2', 'v2.0', 'v2.0.1'],
        }),
      },
      {
        ...scanned,
        followUps: [
          {
            action: 'verdict',
            detail: {
              result: 'pass',
              reason: `pass: no finding above threshold HIGH; signed by ci (cosign, ${fingerprint})`,
              findingSetHash: hash,
              allowlisted: [],
              signature: { result: 'pass', found: 1, trustedSigner: 'ci' },
            },
          },
          { action: 'promoted', tags: ['approved'], detail: { reason: 'promotion' } },
        ],
      },
    ]);
    expect(out.notes).toEqual([]);
  });

  it('a --signatures file that is not the documented shape: exit 2 naming the field', async () => {
    const bad = writeTmp('bad-signatures.json', JSON.stringify({ manifests: [{ manifest: 42 }] }));
    const result = await simulate(
      ev('ecr-image-scan-basic-clean'),
      '--config',
      signedConfig,
      '--signatures',
      bad,
    );
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `harbormaster: --signatures ${bad}.manifests[0].manifest: expected a manifest (a JSON object, or its exact JSON text)\n`,
    );
  });
});

describe('harbormaster simulate (real subprocess)', () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, 'shared', 'cli', 'harbormaster.js'), 'simulate', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    });

  it('exit 0 and the report: keeper tag, tags removed, the alert, the rows, then the duplicate', () => {
    const findings = writeTmp('sub-findings.json', JSON.stringify(FINDINGS));
    const result = cli(
      ev('ecr-image-scan-basic'),
      '--config',
      CONFIG,
      '--now',
      NOW,
      '--findings',
      findings,
      '--repeat',
    );
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const hash = JSON.parse(
      cli(ev('ecr-image-scan-basic'), '--config', CONFIG, '--now', NOW, '--findings', findings, '--json')
        .stdout,
    ).state[0].alert.findingSetHash.slice(7, 19);
    expect(result.stdout).toBe(
      [
        `1. scan.completed payments/api@4c1d8e2f9a7b [v1.4.2, v1.4, v1, latest] (id ${SCAN_ID})`,
        '   scan-events: done (scanned, verdict, quarantined, notified)',
        '     read       DescribeImageScanFindings payments/api@4c1d8e2f9a7b; DescribeImages payments/api@4c1d8e2f9a7b; BatchGetImage payments/api@4c1d8e2f9a7b',
        '     state      claim payments/api@4c1d8e2f9a7b: claimed; checkpoint payments/api@4c1d8e2f9a7b; commit payments/api@4c1d8e2f9a7b',
        `     tag        ${KEEPER} -> 4c1d8e2f9a7b (keeper tag)`,
        '     untag      latest, v1, v1.4, v1.4.2 from 4c1d8e2f9a7b',
        '     alert      [Harbormaster] FAIL payments/api:v1.4.2 - 2 HIGH, 1 MEDIUM (quarantined)',
        '     audit      4c1d8e2f9a7b: scanned, verdict fail, quarantined, notified',
        '     warn: image quarantined: every tag removed but the keeper, image kept',
        `2. scan.completed payments/api@4c1d8e2f9a7b [v1.4.2, v1.4, v1, latest] (id ${SCAN_ID})`,
        '   scan-events: duplicate: already processed, nothing done',
        '     state      claim payments/api@4c1d8e2f9a7b: duplicate',
        '',
        'State after:',
        '  payments/api@4c1d8e2f9a7b',
        '    verdict     fail: 2 HIGH above threshold MEDIUM',
        `    last alert  3 finding(s), set ${hash}`,
        `    quarantine  latest, v1, v1.4, v1.4.2 removed, keeper ${KEEPER}`,
        'Tags in payments/api:',
        `  ${KEEPER} -> 4c1d8e2f9a7b`,
        '',
      ].join('\n'),
    );
  });

  it('exit 2 and exactly one stderr line for a malformed event', () => {
    const e = JSON.parse(readFileSync(ev('ecr-image-push'), 'utf8'));
    e.detail['image-digest'] = 42;
    const file = writeTmp('sub-bad.json', JSON.stringify(e));
    const result = cli(file, '--config', CONFIG);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `harbormaster: ${file}: detail.image-digest: expected a sha256 digest (sha256: and 64 hex characters), got 42\n`,
    );
  });
});
