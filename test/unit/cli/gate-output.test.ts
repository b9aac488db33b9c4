import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  type ImageScanFinding,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { parseGateFormat } from '../../../shared/cli/format/gate-report';
import { run } from '../../../shared/cli/main';

const ecr = mockClient(ECRClient);
const DIGEST = `sha256:${'e'.repeat(64)}`;
const CONFIG = `
env: { region: eu-west-1 }
teams: { payments: {} }
repositories:
  - name: payments/api
    team: payments
    scan:
      maxSeverity: MEDIUM
      allowlist:
        - { id: CVE-2024-0003, reason: not reachable, expires: "2027-03-31" }
`;

let dir: string;
let configPath: string;
let out: string;
let err: string;
let env: Record<string, string | undefined>;

const finding = (name: string, severity: ImageScanFinding['severity'], pkg: string): ImageScanFinding => ({
  name,
  severity,
  uri: `https://nvd.nist.gov/vuln/detail/${name}`,
  attributes: [
    { key: 'package_name', value: pkg },
    { key: 'package_version', value: '1.0' },
  ],
});

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hm-gate-out-'));
  configPath = join(dir, 'harbormaster.config.yaml');
  writeFileSync(configPath, CONFIG);
});

beforeEach(() => {
  ecr.reset();
  out = '';
  err = '';
  env = {};
  configureCliDeps({
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    now: () => new Date('2026-11-20T10:00:00Z'),
    sleep: async () => undefined,
    env,
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
    err += String(text);
    return true;
  });
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ['v2'] }] });
  ecr.on(DescribeImageScanFindingsCommand, { maxResults: 1 }).resolves({
    imageScanStatus: { status: 'COMPLETE' },
    imageScanFindings: { findingSeverityCounts: { CRITICAL: 1, HIGH: 1, LOW: 1 } },
  });
  ecr.on(DescribeImageScanFindingsCommand, { maxResults: 1000 }).resolves({
    imageScanStatus: { status: 'COMPLETE' },
    imageScanFindings: {
      findings: [
        finding('CVE-2024-0001', 'CRITICAL', 'openssl'),
        finding('CVE-2024-0003', 'HIGH', 'zlib'),
        finding('CVE-2024-0009', 'LOW', 'bash'),
      ],
    },
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  configureCliDeps();
});

const gate = (...args: string[]) =>
  run(['gate', 'payments/api:v2', '--config', configPath, '--region', 'eu-west-1', ...args]);

describe('harbormaster gate --format', () => {
  it('sarif: one rule per CVE, blocking findings as errors, allowlisted as notes, below threshold as warnings', async () => {
    // Act
    const code = await gate('--format', 'sarif');

    // Assess
    expect(code).toBe(1);
    const sarif = JSON.parse(out);
    expect(sarif.version).toBe('2.1.0');
    const [runEntry] = sarif.runs;
    expect(runEntry.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual([
      'CVE-2024-0001',
      'CVE-2024-0003',
      'CVE-2024-0009',
    ]);
    expect(runEntry.results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level])).toEqual([
      ['CVE-2024-0001', 'error'],
      ['CVE-2024-0003', 'note'],
      ['CVE-2024-0009', 'warning'],
    ]);
    expect(runEntry.results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('payments/api');
    expect(runEntry.properties).toEqual({ image: 'payments/api:v2', digest: DIGEST, verdict: 'fail' });
  });

  it('junit: a failed verdict test case and one failed case per blocking finding', async () => {
    // Act
    const code = await gate('--format', 'junit');

    // Assess
    expect(code).toBe(1);
    expect(out).toContain('<testsuites name="harbormaster gate" tests="2" failures="2">');
    expect(out).toContain('<testcase classname="harbormaster.gate" name="verdict payments/api:v2">');
    expect(out).toContain('<testcase classname="harbormaster.gate.findings" name="CVE-2024-0001 openssl">');
    expect(out).toContain('<failure message="CRITICAL above MEDIUM: openssl 1.0 (no fix yet)"/>');
    expect(out).not.toContain('CVE-2024-0003 zlib');
  });

  it('markdown: the verdict, counts and the findings table', async () => {
    // Act
    await gate('--format', 'markdown');

    // Assess
    expect(out.split('\n').slice(0, 6)).toEqual([
      '### ❌ harbormaster gate: `payments/api:v2` fails',
      '',
      expect.stringMatching(/^- verdict: \*\*FAIL\*\* \(/),
      '- findings: 1 CRITICAL, 1 HIGH, 1 LOW (threshold MEDIUM)',
      `- digest: \`${DIGEST}\``,
      '- allowlisted: CVE-2024-0003',
    ]);
    expect(out).toContain(
      '| CRITICAL | [CVE-2024-0001](https://nvd.nist.gov/vuln/detail/CVE-2024-0001) | openssl 1.0 (no fix yet) | blocking |',
    );
    expect(out).toContain(
      '| HIGH | [CVE-2024-0003](https://nvd.nist.gov/vuln/detail/CVE-2024-0003) | zlib 1.0 (no fix yet) | allowlisted |',
    );
  });

  it('json and --json print the same document', async () => {
    // Act
    await gate('--format', 'json');
    const viaFormat = out;
    out = '';
    await gate('--json');

    // Assess
    expect(out).toBe(viaFormat);
    expect(JSON.parse(out)).toMatchObject({
      image: 'payments/api:v2',
      digest: DIGEST,
      verdict: { result: 'fail' },
    });
  });

  it('an unknown format is bad input (exit 2) before any AWS call', async () => {
    // Act
    const code = await gate('--format', 'html');

    // Assess
    expect(code).toBe(2);
    expect(err).toBe(
      'harbormaster: --format: expected one of text, json, sarif, junit, markdown, got "html"\n',
    );
    expect(ecr.calls()).toHaveLength(0);
  });

  it('parseGateFormat: --format wins over --json; neither is text', () => {
    expect(parseGateFormat(undefined, undefined)).toBe('text');
    expect(parseGateFormat(undefined, true)).toBe('json');
    expect(parseGateFormat('SARIF', true)).toBe('sarif');
  });
});

describe('harbormaster gate and GITHUB_STEP_SUMMARY', () => {
  it('appends the Markdown summary to the file when the variable is set, whatever --format prints', async () => {
    // Prepare
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '## earlier step\n');
    env.GITHUB_STEP_SUMMARY = summary;

    // Act
    const code = await gate('--format', 'junit');

    // Assess
    expect(code).toBe(1);
    const text = readFileSync(summary, 'utf8');
    expect(text.startsWith('## earlier step\n### ❌ harbormaster gate: `payments/api:v2` fails\n')).toBe(
      true,
    );
    expect(text).toContain('| CRITICAL |');
    expect(out).toContain('<testsuites');
  });

  it('writes no summary file when the variable is unset', async () => {
    // Act
    await gate();

    // Assess
    expect(out).toContain('verdict: FAIL');
    expect(env.GITHUB_STEP_SUMMARY).toBeUndefined();
  });
});
