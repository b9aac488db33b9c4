import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
} from '@aws-sdk/client-ecr';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { configureBackfillDeps } from '../../../shared/cli/commands/backfill';
import { run } from '../../../shared/cli/main';
import { copyImage, type CopyOptions } from '../../../shared/oci/copy';
import { OciLayout, type Descriptor } from '../../support/oci-layout';
import {
  exists,
  haveTools,
  inspectRaw,
  seed,
  startRegistry,
  type RunningRegistry,
} from '../../support/registries';

const suite = haveTools() ? describe : describe.skip;
const AUTH = { username: 'backfill', password: 'b4ckfill:Secret' };
const SOURCE_HOST = '111122223333.dkr.ecr.eu-west-1.amazonaws.com';

const ecr = mockClient(ECRClient);
const secrets = mockClient(SecretsManagerClient);

suite('harbormaster backfill with the real copy engine (ECR API mocked, registries real)', () => {
  let source: RunningRegistry; // stands in for the managed ECR registry
  let external: RunningRegistry; // the destination: TLS (self-signed) + htpasswd
  let work: string;
  let small: Descriptor;
  let large: Descriptor;
  let configPath: string;
  let out: string;
  let err: string;
  let interrupt: () => void;
  let interruptAfterBytes: number | undefined;

  beforeAll(async () => {
    [source, external] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: AUTH })]);
    work = await mkdtemp(path.join(os.tmpdir(), 'hm-backfill-it-'));
    const layout = new OciLayout(path.join(work, 'layout'));
    small = await layout.addImage('v1.0.0', { layerSizes: [2048, 500_000] });
    large = await layout.addImage('v2.0.0', { layerSizes: [30_000_000] });
    await seed(layout.dir, 'v1.0.0', source, 'payments/api');
    await seed(layout.dir, 'v2.0.0', source, 'payments/api');
    configPath = path.join(work, 'harbormaster.config.yaml');
    await writeFile(
      configPath,
      [
        'env: { region: eu-west-1, account: "111122223333" }',
        'teams: { payments: {} }',
        'repositories: [{ name: payments/api, team: payments }]',
        'gatedReplication:',
        '  - name: to-external',
        '    repositories: ["payments/*"]',
        '    tagPatterns: ["v*"]',
        '    destinations:',
        `      - { type: registry, host: "${external.host}", repositoryPrefix: mirror/, credentialsSecret: harbormaster/external }`,
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), external?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  beforeEach(() => {
    ecr.reset();
    secrets.reset();
    out = '';
    err = '';
    interruptAfterBytes = undefined;
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        { imageDigest: small.digest, imageTags: ['v1.0.0'] },
        { imageDigest: large.digest, imageTags: ['v2.0.0'] },
      ],
    });
    ecr
      .on(DescribeImageScanFindingsCommand)
      .resolves({ imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: {} });
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from('AWS:unused').toString('base64'),
          expiresAt: new Date(Date.now() + 3600_000),
        },
      ],
    });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(AUTH) });
    configureCliDeps({ out: (t) => void (out += t), err: (t) => void (err += t) });
    configureBackfillDeps({
      stderrIsTTY: false,
      listenForInterrupt: (handler) => {
        interrupt = handler;
        return () => undefined;
      },
      // The real engine, with the managed registry's ECR host pointed at the local source registry.
      copy: (options: CopyOptions) =>
        copyImage({
          ...options,
          source: {
            ...options.source,
            registry: options.source.registry === SOURCE_HOST ? source.host : options.source.registry,
          },
          plainHttp: (host) => host === source.host,
          insecureTls: true,
          chunkSize: 5 * 1024 * 1024,
          onProgress: (progress) => {
            options.onProgress?.(progress);
            if (interruptAfterBytes !== undefined && progress.bytesDone > interruptAfterBytes) interrupt();
          },
        }),
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
      err += String(text);
      return true;
    });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    configureCliDeps();
    configureBackfillDeps();
  });

  it('an interrupted backfill leaves no tag for the image in flight, and the rerun finishes the job', async () => {
    // Prepare: Ctrl-C once the large image is under way.
    const statePath = path.join(work, 'state-interrupt.json');
    interruptAfterBytes = 5_000_000;
    const backfill = () => run(['backfill', '--config', configPath, '--state', statePath]);

    // Act
    const first = await backfill();

    // Assess: the small image made it, the large one left no tag behind.
    expect(first).toBe(1);
    expect(await exists(external, 'mirror/payments/api:v1.0.0')).toBe(true);
    expect(await exists(external, 'mirror/payments/api:v2.0.0')).toBe(false);
    expect(out).toMatch(/not-attempted\s+\S+\/mirror\/payments\/api/);

    // Act again, uninterrupted
    interruptAfterBytes = undefined;
    out = '';
    const second = await backfill();

    // Assess: only the large image is copied now, digest intact.
    expect(second).toBe(0);
    expect(out).toMatch(/payments\/api@sha256:\w+\s+v1\.0\.0\s+already-done/);
    expect(out).toMatch(/payments\/api@sha256:\w+\s+v2\.0\.0\s+copied/);
    expect(JSON.parse(await inspectRaw(external, 'mirror/payments/api:v2.0.0'))).toEqual(
      JSON.parse(await inspectRaw(source, `payments/api@${large.digest}`)),
    );
  });

  it('a rerun without a state file moves no bytes', async () => {
    // Prepare: everything is already at the destination (previous test or this first run).
    await run(['backfill', '--config', configPath, '--no-state']);
    out = '';

    // Act
    const code = await run(['backfill', '--config', configPath, '--no-state', '--json']);

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.summary).toMatchObject({ toCopy: 2, copied: 2, failed: 0, bytesCopied: 0 });
  });
});
