import { BatchGetImageCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { onScanEvent } from '../../../shared/automation/on-scan-event';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';
import { parseConfigText } from '../../../shared/config/load';
import type { ScanEvent } from '../../../shared/domain/types';
import { parseEvent } from '../../../shared/events';
import { createTransport } from '../../../shared/oci/http';
import { RegistryClient } from '../../../shared/oci/registry-client';
import { runtimeConfig } from '../../../shared/runtime/runtime-config';
import { registrySource } from '../../../shared/signing/registry-source';
import { compileSigners } from '../../../shared/signing/trust';
import { SIGNATURE_MEDIA_TYPES } from '../../../shared/signing/types';
import { MemoryStateStore } from '../../../shared/state/memory-state-store';
import { haveTools, startRegistry, type RunningRegistry } from '../../support/registries';
import { Seeder } from './registry-seed';
import {
  cosignKeys,
  cosignSign,
  makePki,
  notationEnvelope,
  PROFILE,
  simpleSigningPayload,
  type Pki,
} from './signing-fixtures';

/**
 * One verification implementation: for the same images in a real registry, the verdict the scan function
 * records and `harbormaster verify` decide the signature part identically (result and reason).
 */

const available = haveTools(['docker-registry', 'openssl']);
const describeWithRegistry = available ? describe : describe.skip;
const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);

describeWithRegistry('the scan verdict and harbormaster verify share the signature decision', () => {
  let registry: RunningRegistry;
  let pki: Pki;
  let dir: string;
  let configFile: string;
  let signingTime: Date;
  const images: Record<string, string> = {};
  const transport = createTransport({ plainHttp: true });

  beforeAll(async () => {
    [registry, pki, dir] = await Promise.all([
      startRegistry(),
      makePki('Shared verdict'),
      mkdtemp(path.join(os.tmpdir(), 'hm-shared-verdict-')),
    ]);
    signingTime = new Date(new Date(pki.leaf.cert.validFrom).getTime() + 3600_000);
    const seeder = new Seeder(registry.host, 'payments/api');
    const signed = await seeder.image('amd64', 'signed');
    const notation = await seeder.referrer(
      signed,
      SIGNATURE_MEDIA_TYPES.notationSignature,
      SIGNATURE_MEDIA_TYPES.jwsEnvelope,
      notationEnvelope({
        digest: signed.digest,
        signingTime,
        chain: [pki.leaf.cert, pki.intermediate.cert],
        key: pki.leaf.key,
      }),
    );
    await seeder.referrersIndex(signed.digest, [notation]);
    const stranger = cosignKeys();
    const untrusted = await seeder.image('arm64', 'untrusted');
    const payload = simpleSigningPayload(`${registry.host}/payments/api`, untrusted.digest);
    await seeder.cosignSignatureTag(untrusted.digest, [
      { payload, signature: cosignSign(payload, stranger.privateKey) },
    ]);
    const unsigned = await seeder.image('amd64', 'unsigned');
    Object.assign(images, { signed: signed.digest, untrusted: untrusted.digest, unsigned: unsigned.digest });

    configFile = path.join(dir, 'harbormaster.config.yaml');
    await writeFile(
      configFile,
      stringify({
        env: { region: 'eu-west-1', account: '111122223333' },
        teams: { payments: {} },
        repositories: [
          {
            name: 'payments/api',
            team: 'payments',
            scan: { maxSeverity: 'HIGH', requireSignature: true, trustedSigners: ['aws-signer', 'ci'] },
          },
        ],
        signing: {
          signers: {
            'aws-signer': { type: 'notation', signingProfiles: [PROFILE], trustAnchors: [pki.root.pem] },
            ci: { type: 'cosign', publicKeys: [cosignKeys().publicPem] },
          },
        },
      }),
    );
  });

  afterAll(async () => {
    configureCliDeps();
    transport.close();
    await Promise.all([registry?.stop(), pki?.cleanup(), dir && rm(dir, { recursive: true, force: true })]);
  });

  beforeEach(() => {
    ecr.reset();
    sns.reset();
    ecr.on(BatchGetImageCommand).resolves({
      images: [{ imageManifest: '{}', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }],
    });
    ecr.on(PutImageCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
  });

  async function viaVerify(tag: string): Promise<{ result: string; reason: string }> {
    let out = '';
    configureCliDeps({ now: () => signingTime, out: (text) => void (out += text), env: {} });
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await run([
        'verify',
        `${registry.host}/payments/api:${tag}`,
        '--plain-http',
        '--config',
        configFile,
        '--json',
      ]);
    } finally {
      spy.mockRestore();
    }
    return JSON.parse(out).verdict;
  }

  async function viaScan(digest: string): Promise<{ result?: string; reason?: string }> {
    const config = runtimeConfig(parseConfigText(await readFile(configFile, 'utf8'), configFile));
    const state = new MemoryStateStore();
    const raw = JSON.parse(
      await readFile(
        path.join(__dirname, '..', '..', 'fixtures', 'events', 'ecr-image-scan-basic-clean.json'),
        'utf8',
      ),
    );
    raw.detail['repository-name'] = 'payments/api';
    raw.detail['image-digest'] = digest;
    raw.detail['image-tags'] = ['v1'];
    const client = new RegistryClient({
      host: registry.host,
      repository: 'payments/api',
      actions: ['pull'],
      credentials: async () => undefined,
      transport,
    });
    await onScanEvent(parseEvent(raw) as ScanEvent, {
      ecr: new ECRClient({ region: 'eu-west-1' }),
      sns: new SNSClient({ region: 'eu-west-1' }),
      sqs: new SQSClient({ region: 'eu-west-1' }),
      topicArn: 'arn:aws:sns:eu-west-1:111122223333:findings',
      audit: { record: async () => ({ duplicate: false }) },
      state,
      leaseMs: 90_000,
      config,
      now: () => signingTime,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      signatures: { signers: compileSigners(config.signers ?? {}), source: () => registrySource(client) },
    });
    const { signature } = (await state.get({ repository: 'payments/api', digest })).data.verdict ?? {};
    return { result: signature?.result, reason: signature?.reason };
  }

  it.each(['signed', 'untrusted', 'unsigned'])('decides the %s image the same way', async (tag) => {
    // Act
    const cli = await viaVerify(tag);
    const scan = await viaScan(images[tag]);

    // Assess
    expect(scan).toEqual({ result: cli.result, reason: cli.reason });
    expect(cli.result).toBe(tag === 'signed' ? 'pass' : 'fail');
  });
});
