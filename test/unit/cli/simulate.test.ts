import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../shared/cli/main';

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

describe('harbormaster simulate (in process)', () => {
  it('prints one JSON document with the event fields and the planned actions', async () => {
    // Act
    const { code, stdout, stderr } = await simulate(
      '--event',
      ev('ecr-image-push'),
      '--config',
      CONFIG,
      '--now',
      NOW,
    );
    // Assess
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      event: {
        kind: 'image.pushed',
        account: '111122223333',
        region: 'eu-west-1',
        repository: 'payments/api',
        digest: 'sha256:4c1d8e2f9a7b6c5d3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d',
        tags: ['v1.4.2'],
        time: '2026-11-20T09:15:02Z',
      },
      actions: [
        {
          type: 'audit',
          action: 'pushed',
          detail: { tags: ['v1.4.2'], mediaType: 'application/vnd.oci.image.manifest.v1+json' },
        },
        { type: 'tag', reason: 'auto-tag', tags: ['v1.4', 'v1', 'latest'], audit: 'tagged' },
      ],
    });
  });

  it.each([
    ['ecr-image-push-by-digest', 'image.pushed', BASE_KEYS],
    ['ecr-image-delete', 'image.deleted', BASE_KEYS],
    ['ecr-image-archive', 'image.storage-class-changed', BASE_KEYS],
    ['ecr-image-scan-basic', 'scan.completed', [...BASE_KEYS, 'scanner', 'severityCounts']],
    ['inspector2-scan', 'scan.completed', [...BASE_KEYS, 'scanner', 'severityCounts']],
    ['inspector2-finding', 'finding.updated', [...BASE_KEYS, 'scanner', 'severityCounts']],
    ['ecr-replication-success', 'replication.completed', [...BASE_KEYS, 'result']],
  ])('%s: event has exactly the documented fields', async (name, kind, keys) => {
    const { code, stdout } = await simulate('--event', ev(name), '--config', CONFIG, '--now', NOW);
    const out = JSON.parse(stdout);
    expect(code).toBe(0);
    expect(out.event.kind).toBe(kind);
    expect(Object.keys(out.event)).toEqual(keys);
    expect(Object.keys(out)).toEqual(['event', 'actions']);
    expect(out.actions.length).toBeGreaterThan(0);
  });

  it('enhanced scan: repository is a name, counts are uppercase with zeros and without TOTAL', async () => {
    const { stdout } = await simulate('--event', ev('inspector2-scan'), '--config', CONFIG, '--now', NOW);
    const { event } = JSON.parse(stdout);
    expect(event.repository).toBe('platform/base-images/node');
    expect(event.scanner).toBe('enhanced');
    expect(event.severityCounts).toEqual({
      UNDEFINED: 0,
      INFORMATIONAL: 0,
      LOW: 0,
      MEDIUM: 4,
      HIGH: 1,
      CRITICAL: 0,
    });
  });

  it('failing scan: quarantine and alert actions', async () => {
    const { stdout } = await simulate(
      '--event',
      ev('ecr-image-scan-basic'),
      '--config',
      CONFIG,
      '--now',
      NOW,
    );
    const types = JSON.parse(stdout).actions.map((a: { type: string }) => a.type);
    expect(types).toEqual(['audit', 'audit', 'untag', 'notify']);
  });

  it('--findings lets the allowlist apply, as the function does after fetching details', async () => {
    const findings = writeTmp(
      'findings.json',
      JSON.stringify([
        { id: 'CVE-2023-45853', severity: 'HIGH' },
        { id: 'CVE-2023-45853', severity: 'HIGH' },
      ]),
    );
    const { code, stdout } = await simulate(
      '--event',
      ev('ecr-image-scan-basic'),
      '--config',
      CONFIG,
      '--now',
      NOW,
      '--findings',
      findings,
    );
    const { actions } = JSON.parse(stdout);
    expect(code).toBe(0);
    expect(actions.map((a: { type: string }) => a.type)).toEqual(['audit', 'audit', 'tag', 'replicate']);
    expect(actions[3]).toMatchObject({ rule: 'payments-releases-dr', tags: ['v1', 'v1.4', 'v1.4.2'] });
  });

  it('--now after the allowlist expiry makes the same scan fail', async () => {
    const findings = writeTmp(
      'findings2.json',
      JSON.stringify([
        { id: 'CVE-2023-45853', severity: 'HIGH' },
        { id: 'CVE-2023-45853', severity: 'HIGH' },
      ]),
    );
    const { stdout } = await simulate(
      '--event',
      ev('ecr-image-scan-basic'),
      '--config',
      CONFIG,
      '--now',
      '2027-04-01T00:00:00Z',
      '--findings',
      findings,
    );
    expect(JSON.parse(stdout).actions[1].detail.result).toBe('fail');
  });

  it('--existing-tags holds latest back when a higher version exists', async () => {
    const { stdout } = await simulate(
      '--event',
      ev('ecr-image-push'),
      '--config',
      CONFIG,
      '--existing-tags',
      'v2.0.0, v1.4.1',
    );
    expect(JSON.parse(stdout).actions[1]).toEqual({
      type: 'tag',
      reason: 'auto-tag',
      tags: ['v1.4', 'v1'],
      audit: 'tagged',
    });
  });

  it('unmanaged repository: exit 0, no actions, the reason', async () => {
    const { code, stdout } = await simulate('--event', ev('ecr-image-push-unmanaged'), '--config', CONFIG);
    const out = JSON.parse(stdout);
    expect(code).toBe(0);
    expect(out.actions).toEqual([]);
    expect(out.ignored).toBe('repository sandbox/experiment is not managed by Harbormaster');
    expect(out.event.repository).toBe('sandbox/experiment');
  });

  it.each([
    ['ecr-image-push-failed', 'ECR Image Action "PUSH" with result FAILED changed nothing'],
    ['ecr-image-scan-failed', 'ECR Image Scan with scan-status "FAILED" has no findings to judge'],
    [
      'ecr-pull-through-cache',
      'ECR Pull Through Cache Action events from aws.ecr are not handled by Harbormaster',
    ],
  ])('ignored event type %s: exit 0, event null, the reason', async (name, reason) => {
    const { code, stdout } = await simulate('--event', ev(name), '--config', CONFIG);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ event: null, actions: [], ignored: reason });
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
    expect(stdout).toContain('npx harbormaster simulate --event');
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

  it('exit 0 and the JSON document on stdout', () => {
    const result = cli('--event', ev('inspector2-scan'), '--config', CONFIG, '--now', NOW);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout);
    expect(out.event).toEqual({
      kind: 'scan.completed',
      account: '111122223333',
      region: 'eu-west-1',
      repository: 'platform/base-images/node',
      digest: 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      tags: ['22.11.0', '22'],
      time: '2026-11-20T09:17:12Z',
      scanner: 'enhanced',
      severityCounts: { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 4, HIGH: 1, CRITICAL: 0 },
    });
    expect(out.actions.map((a: { type: string }) => a.type)).toEqual(['audit', 'audit', 'untag', 'notify']);
  });

  it('exit 2 and exactly one stderr line for a malformed event', () => {
    const e = JSON.parse(readFileSync(ev('ecr-image-push'), 'utf8'));
    e.detail['image-digest'] = 42;
    const file = writeTmp('sub-bad.json', JSON.stringify(e));
    const result = cli('--event', file, '--config', CONFIG);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `harbormaster: ${file}: detail.image-digest: expected a sha256 digest (sha256: and 64 hex characters), got 42\n`,
    );
  });
});
