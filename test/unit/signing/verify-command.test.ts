import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';
import { SIGNATURE_MEDIA_TYPES } from '../../../shared/signing/types';
import { haveTools, startRegistry, type RunningRegistry } from '../../support/registries';
import { Seeder } from './registry-seed';
import {
  cosignKeys,
  cosignSign,
  makePki,
  notationEnvelope,
  PROFILE,
  PROFILE_VERSION,
  simpleSigningPayload,
  type Pki,
} from './signing-fixtures';

const available = haveTools(['docker-registry', 'openssl']);
const describeWithRegistry = available ? describe : describe.skip;

describeWithRegistry('harbormaster verify against docker-registry', () => {
  let registry: RunningRegistry;
  let pki: Pki;
  let dir: string;
  let configFile: string;
  let signingTime: Date;
  let signed: { digest: string };
  let cosignOnly: { digest: string };
  let stdout: string;
  let stderr: string;
  const cosign = cosignKeys();
  const stranger = cosignKeys();

  beforeAll(async () => {
    [registry, pki, dir] = await Promise.all([
      startRegistry(),
      makePki('Verify command'),
      mkdtemp(path.join(os.tmpdir(), 'hm-verify-')),
    ]);
    signingTime = new Date(new Date(pki.leaf.cert.validFrom).getTime() + 3600_000);
    const seeder = new Seeder(registry.host, 'payments/api');
    const image = await seeder.image('amd64', 'v1');
    signed = image;
    const notation = await seeder.referrer(
      image,
      SIGNATURE_MEDIA_TYPES.notationSignature,
      SIGNATURE_MEDIA_TYPES.jwsEnvelope,
      notationEnvelope({
        digest: image.digest,
        signingTime,
        chain: [pki.leaf.cert, pki.intermediate.cert],
        key: pki.leaf.key,
      }),
    );
    await seeder.referrersIndex(image.digest, [notation]);
    // Signed only by a key the repository does not trust.
    cosignOnly = await seeder.image('arm64', 'v2');
    const payload = simpleSigningPayload(`${registry.host}/payments/api`, cosignOnly.digest);
    await seeder.cosignSignatureTag(cosignOnly.digest, [
      { payload, signature: cosignSign(payload, stranger.privateKey) },
    ]);
    await seeder.image('amd64', 'unsigned');

    configFile = path.join(dir, 'harbormaster.config.yaml');
    await writeFile(
      configFile,
      stringify({
        env: { region: 'eu-west-1' },
        teams: { payments: {} },
        repositories: [
          {
            name: 'payments/api',
            team: 'payments',
            scan: { requireSignature: true, trustedSigners: ['aws-signer', 'ci'] },
          },
        ],
        signing: {
          signers: {
            'aws-signer': { type: 'notation', signingProfiles: [PROFILE], trustAnchors: [pki.root.pem] },
            ci: { type: 'cosign', publicKeys: [cosign.publicPem] },
          },
        },
      }),
    );
  });

  afterAll(async () => {
    configureCliDeps();
    await Promise.all([registry?.stop(), pki?.cleanup(), dir && rm(dir, { recursive: true, force: true })]);
  });

  beforeEach(() => {
    stdout = '';
    stderr = '';
    configureCliDeps({
      now: () => signingTime,
      out: (text) => {
        stdout += text;
      },
      env: {},
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
      stderr += String(text);
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  const verify = (reference: string, ...flags: string[]) =>
    run([
      'verify',
      `${registry.host}/payments/api${reference}`,
      '--plain-http',
      '--config',
      configFile,
      ...flags,
    ]);

  it('exits 0 and lists the valid Notation signature of a signed image', async () => {
    // Act
    const code = await verify(':v1');

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain(`${registry.host}/payments/api:v1 (${signed.digest})`);
    expect(stdout).toContain('notation      VALID (trusted signer aws-signer)');
    expect(stdout).toContain(`signer:       ${PROFILE_VERSION}`);
    expect(stdout).toContain(`signing time: ${signingTime.toISOString()}`);
    expect(stdout).toMatch(/verdict: PASS \(signature required: signed by aws-signer/);
    expect(stderr).toBe('');
  });

  it('exits 1 naming the expected signers and what was found, as JSON with --json', async () => {
    // Act
    const code = await verify(':v2', '--json');

    // Assess
    expect(code).toBe(1);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      digest: cosignOnly.digest,
      requireSignature: true,
      trustedSigners: ['aws-signer', 'ci'],
      signatures: [
        {
          format: 'cosign',
          valid: false,
          reason: 'the signature does not verify with any trusted cosign key (tampered, or another key)',
        },
      ],
      verdict: { result: 'fail' },
    });
    expect(result.verdict.reason).toMatch(
      /^expected a signature from aws-signer \(Notation, signing profile .*\) or ci \(cosign key sha256:[0-9a-f]{16}\); found 1 signature, none valid/,
    );
    expect(stderr).toMatch(/^harbormaster: .*:v2 fails its signature policy \(expected a signature from/);
  });

  it('exits 1 for an unsigned image', async () => {
    const code = await verify(':unsigned');

    expect(code).toBe(1);
    expect(stdout).toContain('signatures: none found');
    expect(stdout).toMatch(/verdict: FAIL \(signature required: expected .*; found no signature\)/);
  });

  it('exits 2 for a tag that does not exist', async () => {
    const code = await verify(':missing');

    expect(code).toBe(2);
    expect(stderr).toBe(
      `harbormaster: ${registry.host}/payments/api:missing was not found at ${registry.host}\n`,
    );
  });

  it('exits 2 for a repository the config does not manage', async () => {
    const code = await run([
      'verify',
      `${registry.host}/other/app:v1`,
      '--plain-http',
      '--config',
      configFile,
    ]);

    expect(code).toBe(2);
    expect(stderr).toBe(`harbormaster: other/app is not managed in ${configFile}\n`);
  });
});
