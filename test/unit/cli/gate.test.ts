import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsResponse,
  DescribeImagesCommand,
  ECRClient,
  type EnhancedImageScanFinding,
  type FindingSeverity,
  type ImageScanFinding,
  type ScanStatus,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';

const ecr = mockClient(ECRClient);
const DIGEST = `sha256:${'d'.repeat(64)}`;

const CONFIG = `
env: { region: eu-west-1 }
teams: { payments: {} }
repositories:
  - name: payments/api
    team: payments
    scan:
      maxSeverity: MEDIUM
      allowlist:
        - { id: CVE-2023-45853, reason: minizip unused, expires: "2027-03-31" }
        - { id: CVE-2020-0001, reason: expired entry, expires: "2025-01-01" }
`;

let configPath: string;
let out: string;
let err: string;
let clock: number;
let sleeps: number[];

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'hm-gate-'));
  configPath = join(dir, 'harbormaster.config.yaml');
  writeFileSync(configPath, CONFIG);
});

beforeEach(() => {
  ecr.reset();
  out = '';
  err = '';
  sleeps = [];
  clock = Date.parse('2026-11-20T10:00:00Z');
  configureCliDeps({
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    now: () => new Date(clock),
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
    err += String(text);
    return true;
  });
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v1.4.2'] }] });
});

afterEach(() => {
  jest.restoreAllMocks();
  configureCliDeps();
});

const gate = (...args: string[]) =>
  run(['gate', 'payments/api:v1.4.2', '--config', configPath, '--region', 'eu-west-1', ...args]);
// Enhanced scans report UNTRIAGED, which the SDK's FindingSeverity type does not list.
const status = (s: ScanStatus, counts?: Record<string, number>): DescribeImageScanFindingsResponse => ({
  imageScanStatus: { status: s },
  ...(counts
    ? { imageScanFindings: { findingSeverityCounts: counts as Partial<Record<FindingSeverity, number>> } }
    : {}),
});
const basicFinding = (
  name: string,
  severity: FindingSeverity,
  pkg: string,
  version: string,
): ImageScanFinding => ({
  name,
  severity,
  attributes: [
    { key: 'package_name', value: pkg },
    { key: 'package_version', value: version },
  ],
});
const enhancedFinding = (
  id: string,
  severity: string,
  pkg: string,
  version: string,
  fixed?: string,
): EnhancedImageScanFinding => ({
  severity,
  packageVulnerabilityDetails: {
    vulnerabilityId: id,
    vulnerablePackages: [{ name: pkg, version, ...(fixed ? { fixedInVersion: fixed } : {}) }],
  },
});

describe('harbormaster gate', () => {
  it('waits for a basic scan in progress, then fails (exit 1) with the blocking findings most severe first', async () => {
    // Prepare
    ecr
      .on(DescribeImageScanFindingsCommand, { maxResults: 1 })
      .resolvesOnce(status('IN_PROGRESS'))
      .resolves(status('COMPLETE', { HIGH: 1, MEDIUM: 1 }));
    ecr.on(DescribeImageScanFindingsCommand, { maxResults: 1000 }).resolves({
      imageScanStatus: { status: 'COMPLETE' },
      imageScanFindings: {
        findings: [
          basicFinding('CVE-2024-0002', 'MEDIUM', 'zlib', '1.2.13'),
          basicFinding('CVE-2024-0001', 'HIGH', 'openssl', '3.0.13'),
        ],
      },
    });

    // Act
    const code = await gate();

    // Assess
    expect(code).toBe(1);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: 'payments/api',
      imageIds: [{ imageTag: 'v1.4.2' }],
    });
    expect(ecr).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, {
      repositoryName: 'payments/api',
      imageId: { imageDigest: DIGEST },
    });
    expect(sleeps).toEqual([10_000]);
    expect(out).toContain('verdict: FAIL (1 HIGH above threshold MEDIUM)');
    const rows = out.split('\n').filter((l) => /^(HIGH|MEDIUM) /.test(l));
    expect(rows[0]).toMatch(/^HIGH\s+CVE-2024-0001\s+openssl 3\.0\.13 \(no fix yet\)$/);
    expect(rows[1]).toMatch(/^MEDIUM\s+CVE-2024-0002\s+zlib 1\.2\.13 \(no fix yet\)$/);
    expect(err).toContain('waiting for the scan of payments/api:v1.4.2 (IN_PROGRESS)');
    expect(err).toContain(
      'harbormaster: payments/api:v1.4.2 fails its scan policy (fail: 1 HIGH above threshold MEDIUM)',
    );
  });

  it('passes (exit 0) an enhanced scan whose only blocking finding is on an active allowlist entry', async () => {
    // Prepare
    ecr
      .on(DescribeImageScanFindingsCommand, { maxResults: 1 })
      .resolves(status('ACTIVE', { HIGH: 1, LOW: 2, UNTRIAGED: 1 }));
    ecr.on(DescribeImageScanFindingsCommand, { maxResults: 1000 }).resolves({
      imageScanFindings: {
        enhancedFindings: [
          enhancedFinding('CVE-2023-45853', 'HIGH', 'zlib', '1.2.13', '1.3.1'),
          enhancedFinding('CVE-2024-1111', 'LOW', 'bash', '5.2'),
        ],
      },
    });

    // Act
    const code = await gate();

    // Assess
    expect(code).toBe(0);
    expect(sleeps).toEqual([]);
    expect(out).toContain(
      'verdict: PASS (no finding above threshold MEDIUM (highest LOW); allowlisted: CVE-2023-45853)',
    );
    expect(out).toMatch(/HIGH\s+CVE-2023-45853\s+zlib 1\.2\.13 -> 1\.3\.1\s+allowlisted/);
    expect(out).toContain('findings: 1 HIGH, 2 LOW, 1 UNDEFINED (threshold MEDIUM)');
  });

  it('does not honour an expired allowlist entry', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand, { maxResults: 1 }).resolves(status('COMPLETE', { CRITICAL: 1 }));
    ecr.on(DescribeImageScanFindingsCommand, { maxResults: 1000 }).resolves({
      imageScanFindings: { findings: [basicFinding('CVE-2020-0001', 'CRITICAL', 'glibc', '2.31')] },
    });

    // Act
    const code = await gate();

    // Assess
    expect(code).toBe(1);
  });

  it('--max-severity overrides the config threshold and reads every findings page', async () => {
    // Prepare
    ecr
      .on(DescribeImageScanFindingsCommand)
      .callsFake(async (input: { maxResults?: number; nextToken?: string }) => {
        if (input.maxResults === 1) return status('COMPLETE', { HIGH: 2 });
        return input.nextToken === 'p2'
          ? { imageScanFindings: { findings: [basicFinding('CVE-2', 'HIGH', 'b', '1')] } }
          : { nextToken: 'p2', imageScanFindings: { findings: [basicFinding('CVE-1', 'HIGH', 'a', '1')] } };
      });

    // Act
    const code = await gate('--max-severity', 'high', '--json');

    // Assess
    expect(err).toBe('');
    expect(code).toBe(0);
    const result = JSON.parse(out);
    expect(result.maxSeverity).toBe('HIGH');
    expect(result.verdict.result).toBe('pass');
    expect(result.digest).toBe(DIGEST);
    expect(result.topFindings.map((f: { id: string }) => f.id)).toEqual(['CVE-1', 'CVE-2']);
    expect(ecr.commandCalls(DescribeImageScanFindingsCommand).map((c) => c.args[0].input.nextToken)).toEqual([
      undefined,
      undefined,
      'p2',
    ]);
  });

  it('makes no findings call for a clean image', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).resolves(status('COMPLETE', {}));

    // Act
    const code = await gate();

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 1);
    expect(out).toContain('findings: none (threshold MEDIUM)');
  });

  it('keeps polling while the scan is not found, then exits 3 at --timeout (fake clock, no real wait)', async () => {
    // Prepare
    ecr
      .on(DescribeImageScanFindingsCommand)
      .rejects(Object.assign(new Error('no scan'), { name: 'ScanNotFoundException' }));

    // Act
    const code = await gate('--timeout', '10m', '--poll', '10s');

    // Assess
    expect(code).toBe(3);
    expect(sleeps).toHaveLength(60);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 61);
    expect(err).toContain(
      'harbormaster: timed out after 600s waiting for the scan of payments/api:v1.4.2 (last status NOT STARTED)',
    );
  });

  it('exits 3 when the scan stays PENDING past the timeout', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).resolves(status('PENDING'));

    // Act
    const code = await gate('--timeout', '30s', '--poll', '10s');

    // Assess
    expect(code).toBe(3);
    expect(err).toContain('timed out after 30s');
  });

  it.each<ScanStatus>(['FAILED', 'UNSUPPORTED_IMAGE', 'SCAN_ELIGIBILITY_EXPIRED'])(
    'exits 2 at once when the scan status is %s',
    async (s) => {
      // Prepare
      ecr
        .on(DescribeImageScanFindingsCommand)
        .resolves({ imageScanStatus: { status: s, description: 'why' } });

      // Act
      const code = await gate();

      // Assess
      expect(code).toBe(2);
      expect(sleeps).toEqual([]);
      expect(err).toContain(`harbormaster: the scan of payments/api:v1.4.2 ended with status ${s}: why`);
    },
  );

  it('exits 2 with one line for bad input: no tag, an unknown severity, an unmanaged repository', async () => {
    // Act
    const codes = [
      await run(['gate', 'payments/api', '--config', configPath]),
      await gate('--max-severity', 'SEVERE'),
      await run(['gate', 'other/repo:v1', '--config', configPath]),
    ];

    // Assess
    expect(codes).toEqual([2, 2, 2]);
    expect(err).toContain('expected REPOSITORY:TAG or REPOSITORY@sha256:..., e.g. payments/api:v1.4.2');
    expect(err).toContain(
      '--max-severity: expected one of NONE, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, got "SEVERE"',
    );
    expect(err).toContain('other/repo is not managed in');
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
  });
});
