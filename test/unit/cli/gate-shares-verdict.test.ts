import { DescribeImageScanFindingsCommand, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStateStore } from '../../../shared/state/memory-state-store';
import { onScanEvent } from '../../../shared/automation/on-scan-event';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';
import { parseConfigText } from '../../../shared/config/load';
import type { ScanEvent, Verdict } from '../../../shared/domain/types';
import * as verdictModule from '../../../shared/policy/verdict';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const DIGEST = `sha256:${'e'.repeat(64)}`;
const NOW = new Date('2026-11-20T10:00:00Z');

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
`;

const FINDINGS = [
  {
    name: 'CVE-2024-0001',
    severity: 'HIGH' as const,
    attributes: [{ key: 'package_name', value: 'openssl' }],
  },
  {
    name: 'CVE-2023-45853',
    severity: 'CRITICAL' as const,
    attributes: [{ key: 'package_name', value: 'zlib' }],
  },
];

const scanEvent: ScanEvent = {
  id: 'evt-scan-1',
  kind: 'scan.completed',
  account: '111122223333',
  region: 'eu-west-1',
  repository: 'payments/api',
  digest: DIGEST,
  tags: ['v1.4.2'],
  time: '2026-11-20T09:59:00Z',
  scanner: 'basic',
  severityCounts: { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 1, CRITICAL: 1 },
  uncountedFindings: 0,
};

let configPath: string;

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'hm-gate-shares-'));
  configPath = join(dir, 'harbormaster.config.yaml');
  writeFileSync(configPath, CONFIG);
});

beforeEach(() => {
  ecr.reset();
  sns.reset();
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
  ecr.on(DescribeImageScanFindingsCommand).resolves({
    imageScanStatus: { status: 'COMPLETE' },
    imageScanFindings: { findingSeverityCounts: { HIGH: 1, CRITICAL: 1 }, findings: FINDINGS },
  });
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  configureCliDeps({ now: () => NOW, out: () => undefined, err: () => undefined });
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});

afterEach(() => {
  jest.restoreAllMocks();
  configureCliDeps();
});

describe('gate and the scan function share one verdict implementation', () => {
  it('both call shared/policy/verdict decideVerdict, with the same policy and findings, and reach the same verdict', async () => {
    // Prepare
    const spy = jest.spyOn(verdictModule, 'decideVerdict');
    const config = parseConfigText(CONFIG);
    const audit = { record: jest.fn().mockResolvedValue({ duplicate: false }) };

    // Act: the scan function's path, then the CLI gate, on the same image and findings.
    await onScanEvent(scanEvent, {
      ecr: new ECRClient({ region: 'eu-west-1' }),
      sns: new SNSClient({ region: 'eu-west-1' }),
      sqs: new SQSClient({ region: 'eu-west-1' }),
      topicArn: 'arn:aws:sns:eu-west-1:111122223333:findings',
      audit,
      state: new MemoryStateStore(),
      leaseMs: 90_000,
      config,
      now: () => NOW,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const scanPathCalls = spy.mock.calls.length;
    const gateCode = await run([
      'gate',
      'payments/api:v1.4.2',
      '--config',
      configPath,
      '--region',
      'eu-west-1',
    ]);

    // Assess
    expect(scanPathCalls).toBeGreaterThan(0);
    expect(spy.mock.calls.length).toBeGreaterThan(scanPathCalls);
    const scanInput = spy.mock.calls[scanPathCalls - 1][0];
    const gateInput = spy.mock.calls[spy.mock.calls.length - 1][0];
    expect(gateInput.policy).toEqual(scanInput.policy);
    expect(gateInput.counts).toEqual(scanInput.counts);
    expect(gateInput.findings).toEqual(scanInput.findings);
    const scanVerdict = spy.mock.results[scanPathCalls - 1].value as Verdict;
    const gateVerdict = spy.mock.results[spy.mock.results.length - 1].value as Verdict;
    expect(gateVerdict).toEqual(scanVerdict);
    expect(gateVerdict.result).toBe('fail');
    expect(gateVerdict.allowlisted).toEqual(['CVE-2023-45853']);
    expect(gateCode).toBe(1);
  });

  it('a gate verdict changes when the shared function says otherwise (the gate has no verdict logic of its own)', async () => {
    // Prepare: force the shared function's answer.
    jest.spyOn(verdictModule, 'decideVerdict').mockReturnValue({
      result: 'pass',
      blockingCounts: { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 },
      allowlisted: [],
      reason: 'pass: forced by the test',
    });

    // Act
    const code = await run(['gate', 'payments/api:v1.4.2', '--config', configPath, '--region', 'eu-west-1']);

    // Assess
    expect(code).toBe(0);
  });
});
