import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandInput,
  type DescribeImageScanFindingsResponse,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  type DescribeImagesResponse,
  ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { configureBackfillDeps } from '../../../shared/cli/commands/backfill';
import { run } from '../../../shared/cli/main';
import { CopyError, type CopyOptions, type CopyResult } from '../../../shared/oci/copy';
import { toCredentialProvider } from '../../../shared/oci/credentials';

const ecr = mockClient(ECRClient);
const secrets = mockClient(SecretsManagerClient);
const sts = mockClient(STSClient);

const d = (c: string) => `sha256:${c.repeat(64)}`;
const PASS = d('a'); // v1.0.0, no findings
const PR = d('b'); // pr-12 only: no tag matches
const FAILS = d('c'); // v1.1.0, 1 CRITICAL
const ALLOWLISTED = d('e'); // v1.2.0 + latest, 1 HIGH excused by the allowlist
const SCANNING = d('f'); // v2.0.0, scan in progress
const WORKER_HIGH = d('1'); // worker v3.0.0, 1 HIGH: passes worker's HIGH policy, not the rule's MEDIUM
const WORKER_UNSCANNED = d('2'); // worker v3.1.0, never scanned

const CONFIG = `
env: { region: eu-west-1, account: "111122223333" }
teams: { payments: {} }
repositories:
  - name: payments/api
    team: payments
    scan:
      maxSeverity: MEDIUM
      allowlist:
        - { id: CVE-2024-0001, reason: not reachable, expires: "2027-06-30" }
  - name: payments/worker
    team: payments
    scan: { maxSeverity: HIGH }
  - name: platform/tools
    team: payments
gatedReplication:
  - name: payments-dr
    repositories: ["payments/*"]
    tagPatterns: ["v*"]
    maxSeverity: MEDIUM
    destinations:
      - { type: ecr, region: us-east-1 }
      - { type: registry, host: ghcr.io, repositoryPrefix: example-org/, credentialsSecret: harbormaster/ghcr }
`;

const IMAGES: Record<string, Record<string, DescribeImagesResponse>> = {
  'payments/api': {
    '': {
      imageDetails: [
        { imageDigest: PASS, imageTags: ['v1.0.0'] },
        { imageDigest: PR, imageTags: ['pr-12'] },
      ],
      nextToken: 'page-2',
    },
    'page-2': {
      imageDetails: [
        { imageDigest: FAILS, imageTags: ['v1.1.0'] },
        { imageDigest: ALLOWLISTED, imageTags: ['v1.2.0', 'latest'] },
        { imageDigest: SCANNING, imageTags: ['v2.0.0'] },
      ],
    },
  },
  'payments/worker': {
    '': {
      imageDetails: [
        { imageDigest: WORKER_HIGH, imageTags: ['v3.0.0'] },
        { imageDigest: WORKER_UNSCANNED, imageTags: ['v3.1.0'] },
      ],
    },
  },
};

function scan(input: DescribeImageScanFindingsCommandInput): DescribeImageScanFindingsResponse {
  const digest = input.imageId?.imageDigest;
  const complete = (
    counts: Record<string, number>,
    findings: DescribeImageScanFindingsResponse['imageScanFindings'] = {},
  ) => ({
    imageScanStatus: { status: 'COMPLETE' as const },
    imageScanFindings: { findingSeverityCounts: counts, ...findings },
  });
  switch (digest) {
    case PASS:
      return complete({});
    case FAILS:
      return complete({ CRITICAL: 1 });
    case ALLOWLISTED:
      return complete(
        { HIGH: 1 },
        input.maxResults === 1 ? {} : { findings: [{ name: 'CVE-2024-0001', severity: 'HIGH' }] },
      );
    case SCANNING:
      return { imageScanStatus: { status: 'IN_PROGRESS' } };
    case WORKER_HIGH:
      return complete({ HIGH: 1 });
    default:
      throw Object.assign(new Error(`no scan for ${digest}`), { name: 'ScanNotFoundException' });
  }
}

let dir: string;
let configPath: string;
let statePath: string;
let out: string;
let err: string;
let copies: CopyOptions[];
let failFor: (options: CopyOptions) => boolean;

/** Stands in for the engine: asks for credentials like it, fails where told, else reports a copy of the source digest. */
async function fakeCopy(options: CopyOptions): Promise<CopyResult> {
  copies.push(options);
  await toCredentialProvider(options.sourceCredentials)(options.source.registry);
  await toCredentialProvider(options.destinationCredentials)(options.destination.registry);
  if (failFor(options)) throw new CopyError('network', 'connection reset by peer after 5 retries');
  return {
    digest: options.source.digest as string,
    bytesCopied: 10_000_000,
    blobsCopied: 3,
    blobsSkipped: 1,
    seconds: 2,
  };
}

const backfill = (...args: string[]) =>
  run(['backfill', '--config', configPath, '--state', statePath, ...args]);
const dests = () =>
  copies.map(
    (c) =>
      `${c.source.digest?.slice(7, 8)} -> ${c.destination.registry}/${c.destination.repository}:${c.destination.tag}`,
  );

beforeEach(() => {
  ecr.reset();
  secrets.reset();
  sts.reset();
  dir = mkdtempSync(join(tmpdir(), 'hm-backfill-'));
  configPath = join(dir, 'harbormaster.config.yaml');
  statePath = join(dir, '.harbormaster-backfill.json');
  writeFileSync(configPath, CONFIG);
  out = '';
  err = '';
  copies = [];
  failFor = () => false;
  configureCliDeps({
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    now: () => new Date('2026-11-23T01:00:00Z'),
  });
  configureBackfillDeps({ copy: fakeCopy, stderrIsTTY: false, listenForInterrupt: () => () => undefined });
  // run() prints its one-line errors straight to stderr.
  jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
    err += String(text);
    return true;
  });
  ecr
    .on(DescribeImagesCommand)
    .callsFake(
      async (input: DescribeImagesCommandInput) =>
        IMAGES[input.repositoryName as string][input.nextToken ?? ''],
    );
  ecr
    .on(DescribeImageScanFindingsCommand)
    .callsFake(async (input: DescribeImageScanFindingsCommandInput) => scan(input));
  ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [
      {
        authorizationToken: Buffer.from('AWS:token').toString('base64'),
        expiresAt: new Date('2026-11-23T13:00:00Z'),
      },
    ],
  });
  secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"bot","password":"ghcr-pat"}' });
});

afterEach(() => {
  jest.restoreAllMocks();
  configureCliDeps();
  configureBackfillDeps();
});

describe('harbormaster backfill', () => {
  it('--dry-run lists what would be copied and why the others are skipped, copying nothing', async () => {
    // Act
    const code = await backfill('--dry-run', '--region', 'eu-west-1');

    // Assess
    expect(code).toBe(0);
    expect(copies).toEqual([]);
    expect(out).toMatch(
      /payments-dr\s+payments\/api@sha256:aaaaaaaaaaaa\s+v1\.0\.0\s+would-copy\s+111122223333\.dkr\.ecr\.us-east-1\.amazonaws\.com\/payments\/api/,
    );
    expect(out).toMatch(
      /payments\/api@sha256:aaaaaaaaaaaa\s+v1\.0\.0\s+would-copy\s+ghcr\.io\/example-org\/payments\/api/,
    );
    expect(out).toMatch(/payments\/api@sha256:eeeeeeeeeeee\s+v1\.2\.0\s+would-copy/);
    expect(out).toMatch(/payments\/api@sha256:bbbbbbbbbbbb\s+pr-12\s+skip\s+no tag matches v\*/);
    expect(out).toMatch(
      /payments\/api@sha256:cccccccccccc\s+v1\.1\.0\s+skip\s+gated: fail: 1 CRITICAL above threshold MEDIUM/,
    );
    expect(out).toMatch(
      /payments\/api@sha256:ffffffffffff\s+v2\.0\.0\s+skip\s+no verdict: scan status IN_PROGRESS/,
    );
    expect(out).toMatch(
      /payments\/worker@sha256:111111111111\s+v3\.0\.0\s+skip\s+gated: HIGH finding above the rule's maxSeverity MEDIUM/,
    );
    expect(out).toMatch(/payments\/worker@sha256:222222222222\s+v3\.1\.0\s+skip\s+no verdict: never scanned/);
    expect(out).toContain('dry run: 2 image(s) to copy (0 copies already done), 5 skipped, 0 error(s)');
    expect(out).not.toContain('platform/tools');
    expect(existsSync(statePath)).toBe(false);
  });

  it('pages through DescribeImages and reads a verdict only for images whose tags match', async () => {
    await backfill('--dry-run');

    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 3);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: 'payments/api',
      filter: { tagStatus: 'TAGGED' },
      nextToken: 'page-2',
    });
    const scanned = ecr
      .commandCalls(DescribeImageScanFindingsCommand)
      .map((c) => c.args[0].input.imageId?.imageDigest);
    expect(scanned).not.toContain(PR);
    // Blocking counts with an allowlist in force need the finding list (one extra call); the others are decided on counts.
    expect(scanned.filter((digest) => digest === ALLOWLISTED)).toHaveLength(2);
    expect(scanned.filter((digest) => digest === FAILS)).toHaveLength(2);
    expect(scanned).toHaveLength(8);
  });

  it('passes --timeout to every image copy as its own deadline, and refuses a malformed one', async () => {
    // Act
    const code = await backfill('--timeout', '90s');
    const refused = await backfill('--timeout', 'soon');

    // Assess
    expect(code).toBe(0);
    expect(copies.length).toBeGreaterThan(0);
    expect(copies.every((c) => c.timeoutMs === 90_000)).toBe(true);
    expect(refused).toBe(2);
    expect(err).toContain('--timeout must be a duration such as 90s, 10m or 1h30m, got "soon"');
  });

  it('copies passing images by digest to every destination with the matching tags only, and records them', async () => {
    // Act
    const code = await backfill();

    // Assess
    expect(code).toBe(0);
    expect(dests()).toEqual([
      'a -> 111122223333.dkr.ecr.us-east-1.amazonaws.com/payments/api:v1.0.0',
      'a -> ghcr.io/example-org/payments/api:v1.0.0',
      'e -> 111122223333.dkr.ecr.us-east-1.amazonaws.com/payments/api:v1.2.0',
      'e -> ghcr.io/example-org/payments/api:v1.2.0',
    ]);
    expect(copies.every((c) => c.source.registry === '111122223333.dkr.ecr.eu-west-1.amazonaws.com')).toBe(
      true,
    );
    expect(copies[0].concurrency).toBe(4);
    expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 2);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'harbormaster/ghcr' });
    expect(Object.keys(JSON.parse(readFileSync(statePath, 'utf8')).done)).toHaveLength(4);
    expect(out).toContain(
      '4 copied (40.0 MB moved), 0 already done, 0 failed, 0 not attempted; 5 image(s) skipped, 0 error(s)',
    );
    expect(err).toContain(
      '[1/2] payments/api@sha256:aaaaaaaaaaaa [v1.0.0]: 111122223333.dkr.ecr.us-east-1.amazonaws.com/payments/api copied 10.0 MB',
    );
    expect(err).toContain('[2/2] payments/api@sha256:eeeeeeeeeeee [v1.2.0]');
    expect(`${out}${err}`).not.toContain('ghcr-pat');
  });

  it('a rerun skips the copies recorded in the state file', async () => {
    await backfill();
    copies = [];

    const code = await backfill();

    expect(code).toBe(0);
    expect(copies).toEqual([]);
    expect(out).toContain('0 copied (0.0 MB moved), 4 already done');
  });

  it('exits 1 when a copy fails, keeps going, and the rerun copies only what failed', async () => {
    // Prepare
    failFor = (o) => o.destination.registry === 'ghcr.io' && o.source.digest === ALLOWLISTED;

    // Act
    const first = await backfill();

    // Assess
    expect(first).toBe(1);
    expect(err).toContain(
      'harbormaster: 1 copy failed, 0 not attempted, 0 image(s) could not be judged; run again to retry',
    );
    expect(out).toMatch(
      /failed\s+ghcr\.io\/example-org\/payments\/api: connection reset by peer after 5 retries/,
    );
    expect(Object.keys(JSON.parse(readFileSync(statePath, 'utf8')).done)).toHaveLength(3);

    // Act again with the registry back
    failFor = () => false;
    copies = [];
    const second = await backfill();

    expect(second).toBe(0);
    expect(dests()).toEqual(['e -> ghcr.io/example-org/payments/api:v1.2.0']);
  });

  it('--json prints the report on stdout', async () => {
    const code = await backfill('--json', '--rule', 'payments-dr');

    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.summary).toEqual({
      images: 7,
      toCopy: 2,
      skipped: 5,
      errors: 0,
      copied: 4,
      alreadyDone: 0,
      failed: 0,
      notAttempted: 0,
      bytesCopied: 40_000_000,
    });
    expect(report.source).toEqual({ account: '111122223333', region: 'eu-west-1' });
    expect(report.items[0]).toMatchObject({
      rule: 'payments-dr',
      repository: 'payments/api',
      digest: PASS,
      action: 'copy',
      tags: ['v1.0.0'],
      copies: [
        expect.objectContaining({ result: 'copied', bytesCopied: 10_000_000, blobsSkipped: 1 }),
        expect.objectContaining({ result: 'copied' }),
      ],
    });
  });

  it('counts an image whose scan cannot be read as an error (exit 1) and still copies the others', async () => {
    ecr
      .on(DescribeImageScanFindingsCommand)
      .callsFake(async (input: DescribeImageScanFindingsCommandInput) => {
        if (input.imageId?.imageDigest === PASS)
          throw Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
        return scan(input);
      });

    const code = await backfill();

    expect(code).toBe(1);
    expect(out).toMatch(
      /payments\/api@sha256:aaaaaaaaaaaa\s+v1\.0\.0\s+ERROR\s+DescribeImageScanFindings for payments\/api@sha256:a+ failed: AccessDeniedException: not authorized/,
    );
    expect(dests()).toHaveLength(2);
  });

  it('stops at an interrupt: the rest is not attempted and the exit code is 1', async () => {
    let interrupt: () => void = () => undefined;
    configureBackfillDeps({
      stderrIsTTY: false,
      listenForInterrupt: (handler) => {
        interrupt = handler;
        return () => undefined;
      },
      copy: async (options) => {
        const result = await fakeCopy(options);
        interrupt(); // Ctrl-C during the first copy
        return result;
      },
    });

    const code = await backfill();

    expect(code).toBe(1);
    expect(copies).toHaveLength(1);
    expect(out).toContain('1 copied (10.0 MB moved), 0 already done, 0 failed, 3 not attempted');
    expect(err).toContain(
      'interrupted: stopping after the copy in flight is aborted; run the same command again to resume',
    );
  });

  it('--no-state writes no file, and a rerun asks the engine again (which moves nothing)', async () => {
    // Act
    await backfill('--no-state');
    const firstRun = copies.length;
    await backfill('--no-state');

    // Assess
    expect(firstRun).toBe(4);
    expect(copies).toHaveLength(8);
    expect(existsSync(statePath)).toBe(false);
    expect(out).not.toContain('state:');
  });

  it('uses a progress bar on a terminal instead of one line per image', async () => {
    // Prepare
    configureBackfillDeps({ copy: fakeCopy, stderrIsTTY: true, listenForInterrupt: () => () => undefined });

    // Act
    const code = await backfill();

    // Assess
    expect(code).toBe(0);
    // cli-progress draws only on a real terminal; here it is enough that the line-per-image output is off.
    expect(err).not.toContain('[1/2]');
    expect(err).not.toContain('copying 2 image(s)');
    expect(out).toContain('4 copied');
  });

  it('rejects an unknown rule with exit 2, naming the rules', async () => {
    const code = await backfill('--rule', 'nope');

    expect(code).toBe(2);
    expect(err).toContain(
      `harbormaster: --rule: expected one of the gatedReplication rules in ${configPath} (payments-dr), got "nope"`,
    );
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
  });

  it('rejects a corrupt state file with exit 2', async () => {
    writeFileSync(statePath, '{"done": [');

    const code = await backfill();

    expect(code).toBe(2);
    expect(err).toContain(
      `state file ${statePath}: expected JSON written by harbormaster backfill; delete it to start over`,
    );
  });

  it('exits 2 when listing images fails', async () => {
    ecr
      .on(DescribeImagesCommand)
      .rejects(
        Object.assign(new Error('Repository does not exist'), { name: 'RepositoryNotFoundException' }),
      );

    const code = await backfill();

    expect(code).toBe(2);
    expect(err).toContain(
      'harbormaster: DescribeImages for payments/api: RepositoryNotFoundException: Repository does not exist',
    );
  });
});
