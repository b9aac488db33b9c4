/**
 * Cost of signature verification (issue 10): milliseconds per verification for each format (pure, offline) and
 * per image against a real docker-registry on loopback (three signatures: Notation, cosign bundle, cosign .sig),
 * with the registry requests it takes; and the scan function's cost per event with `requireSignature` (the real
 * onScanEvent, the signature reads against that registry, state in memory, ECR/SNS/SQS mocked): milliseconds,
 * AWS calls and registry requests, against the same event in a repository without it. Run: npx tsx bench/signing.ts
 */
import { BatchGetImageCommand, DescribeImagesCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { onScanEvent, type ScanDeps } from '../shared/automation/on-scan-event';
import { parseConfig } from '../shared/config/load';
import type { ImageEvent, NormalizedEvent, ScanEvent } from '../shared/domain/types';
import { parseEvent } from '../shared/events';
import { runtimeConfig } from '../shared/runtime/runtime-config';
import type { TrustedSigner } from '../shared/signing/types';
import { MemoryStateStore } from '../shared/state/memory-state-store';
import { createTransport } from '../shared/oci/http';
import { RegistryClient } from '../shared/oci/registry-client';
import { verifyCosignBundle, verifyCosignSignature } from '../shared/signing/cosign';
import { verifyNotation } from '../shared/signing/notation';
import { registrySource, type SignatureSource } from '../shared/signing/registry-source';
import { compileSigners } from '../shared/signing/trust';
import { SIGNATURE_MEDIA_TYPES } from '../shared/signing/types';
import { verifyImageSignatures } from '../shared/signing/verify-image';
import { startRegistry } from '../test/support/registries';
import { Seeder } from '../test/unit/signing/registry-seed';
import {
  cosignBundle,
  cosignKeys,
  cosignSign,
  digestOf,
  makePki,
  notationEnvelope,
  PROFILE,
  simpleSigningPayload,
} from '../test/unit/signing/signing-fixtures';

function time(label: string, runs: number, work: () => unknown): void {
  for (let i = 0; i < 20; i++) work();
  const started = performance.now();
  for (let i = 0; i < runs; i++) work();
  const ms = (performance.now() - started) / runs;
  console.log(`${label.padEnd(44)} ${ms.toFixed(3)} ms/verification (${runs} runs)`);
}

async function main(): Promise<void> {
  const pki = await makePki('Bench');
  const keys = cosignKeys();
  const compileStart = performance.now();
  const signers = compileSigners({
    aws: { type: 'notation', signingProfiles: [PROFILE], trustAnchors: [pki.root.pem] },
    ci: { type: 'cosign', publicKeys: [keys.publicPem] },
  });
  console.log(
    `${'compileSigners (once, at module init)'.padEnd(44)} ${(performance.now() - compileStart).toFixed(3)} ms`,
  );
  const signingTime = new Date(new Date(pki.leaf.cert.validFrom).getTime() + 3600_000);
  const digest = digestOf('bench image');
  const context = { digest, signers, now: signingTime };
  const chain = [pki.leaf.cert, pki.intermediate.cert];
  const envelope = notationEnvelope({ digest, signingTime, chain, key: pki.leaf.key });
  const payload = simpleSigningPayload('registry.example/app', digest);
  const signature = cosignSign(payload, keys.privateKey);
  const bundle = cosignBundle(digest, keys.privateKey);
  time('Notation ES384, 2-certificate chain', 500, () => verifyNotation(envelope, context, 'x'));
  time('cosign keyed (.sig, ECDSA P-256)', 500, () =>
    verifyCosignSignature(payload, signature, context, 'x'),
  );
  time('cosign 3 bundle (DSSE, ECDSA P-256)', 500, () => verifyCosignBundle(bundle, context, 'x'));

  const registry = await startRegistry();
  const transport = createTransport({ plainHttp: true });
  try {
    const seeder = new Seeder(registry.host, 'bench/app');
    const image = await seeder.image('amd64', 'v1');
    const at = { digest: image.digest, signers, now: signingTime };
    const notation = await seeder.referrer(
      image,
      SIGNATURE_MEDIA_TYPES.notationSignature,
      SIGNATURE_MEDIA_TYPES.jwsEnvelope,
      notationEnvelope({ digest: image.digest, signingTime, chain, key: pki.leaf.key }),
    );
    const sigstore = await seeder.referrer(
      image,
      SIGNATURE_MEDIA_TYPES.sigstoreBundle,
      SIGNATURE_MEDIA_TYPES.sigstoreBundle,
      cosignBundle(image.digest, keys.privateKey),
    );
    await seeder.referrersIndex(image.digest, [notation, sigstore]);
    const simple = simpleSigningPayload(`${registry.host}/bench/app`, image.digest);
    await seeder.cosignSignatureTag(image.digest, [
      { payload: simple, signature: cosignSign(simple, keys.privateKey) },
    ]);
    const client = new RegistryClient({
      host: registry.host,
      repository: 'bench/app',
      actions: ['pull'],
      credentials: async () => undefined,
      transport,
    });
    const runs = 100;
    let requests = 0;
    let valid = 0;
    const started = performance.now();
    for (let i = 0; i < runs; i++) {
      const source = registrySource(client);
      const checks = await verifyImageSignatures(source, at);
      requests = source.requests;
      valid = checks.filter((c) => c.valid).length;
    }
    const ms = (performance.now() - started) / runs;
    console.log(
      `${'image with 3 signatures, docker-registry'.padEnd(44)} ${ms.toFixed(2)} ms/image, ${requests} registry requests, ${valid} valid (${runs} runs)`,
    );

    // The scan path: an image signed by ECR managed signing (one Notation referrer).
    const signed = await seeder.image('arm64', 'v2');
    const referrer = await seeder.referrer(
      signed,
      SIGNATURE_MEDIA_TYPES.notationSignature,
      SIGNATURE_MEDIA_TYPES.jwsEnvelope,
      notationEnvelope({ digest: signed.digest, signingTime, chain, key: pki.leaf.key }),
    );
    await seeder.referrersIndex(signed.digest, [referrer]);
    await scanPathCost({
      client,
      signers,
      anchorPem: pki.root.pem,
      signingTime,
      digest: signed.digest,
      referrer: referrer.digest,
    });
  } finally {
    transport.close();
    await registry.stop();
    await pki.cleanup();
  }
}

function fixtureEvent<E extends NormalizedEvent>(
  name: string,
  change: (raw: { detail: Record<string, unknown> }) => void,
): E {
  const raw = JSON.parse(
    readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'events', `${name}.json`), 'utf8'),
  );
  change(raw);
  return parseEvent(raw) as E;
}

/** Milliseconds, AWS calls and registry requests per scan-path event, with and without requireSignature. */
async function scanPathCost(input: {
  client: RegistryClient;
  signers: readonly TrustedSigner[];
  anchorPem: string;
  signingTime: Date;
  digest: string;
  referrer: string;
}): Promise<void> {
  const ecr = mockClient(ECRClient);
  const sns = mockClient(SNSClient);
  const sqs = mockClient(SQSClient);
  ecr.on(BatchGetImageCommand).resolves({
    images: [
      {
        imageManifest: '{"schemaVersion":2}',
        imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
      },
    ],
  });
  ecr.on(PutImageCommand).resolves({});
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ['v2'] }] });
  sns.on(PublishCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
  const repository = (name: string, requireSignature: boolean) => ({
    name,
    team: 'bench',
    scan: {
      maxSeverity: 'HIGH',
      promoteTo: ['approved'],
      ...(requireSignature ? { requireSignature, trustedSigners: ['aws'] } : {}),
    },
  });
  const config = runtimeConfig(
    parseConfig({
      env: { region: 'eu-west-1', account: '111122223333' },
      teams: { bench: { emails: [] } },
      repositories: [repository('bench/app', true), repository('bench/plain', false)],
      signing: {
        signers: { aws: { type: 'notation', signingProfiles: [PROFILE], trustAnchors: [input.anchorPem] } },
      },
    }),
  );
  let source = registrySource(input.client);
  const base = () => ({
    ecr: new ECRClient({ region: 'eu-west-1' }),
    sns: new SNSClient({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
    topicArn: 'arn:aws:sns:eu-west-1:111122223333:findings',
    audit: { record: async () => ({ duplicate: false }) },
    state: new MemoryStateStore(),
    leaseMs: 90_000,
    config,
    now: () => input.signingTime,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    signatures: { signers: input.signers, source: () => source },
  });
  const scan = (repositoryName: string) =>
    fixtureEvent<ScanEvent>('ecr-image-scan-basic-clean', (raw) => {
      raw.detail['repository-name'] = repositoryName;
      raw.detail['image-digest'] = input.digest;
      raw.detail['image-tags'] = ['v2'];
    });
  const push = fixtureEvent<ImageEvent>('ecr-image-push-by-digest', (raw) => {
    raw.detail['repository-name'] = 'bench/app';
    raw.detail['image-digest'] = input.referrer;
  });
  const measure = async (
    label: string,
    prepare: (deps: ScanDeps) => Promise<unknown>,
    event: () => ScanEvent | ImageEvent,
  ) => {
    const runs = 50;
    let total = 0;
    let calls = 0;
    let requests = 0;
    let actions = '';
    for (let i = 0; i < runs; i++) {
      const deps: ScanDeps = base();
      await prepare(deps);
      for (const mock of [ecr, sns, sqs]) mock.resetHistory();
      source = registrySource(input.client);
      const started = performance.now();
      const outcome = await onScanEvent(event(), deps);
      total += performance.now() - started;
      calls = ecr.calls().length + sns.calls().length + sqs.calls().length;
      requests = source.requests;
      actions = outcome.status === 'done' ? outcome.actions.join(', ') : outcome.status;
    }
    console.log(
      `${label.padEnd(44)} ${(total / runs).toFixed(2)} ms/event, ${calls} ECR/SNS/SQS calls, ${requests} registry requests (${actions}; ${runs} runs)`,
    );
  };
  console.log(
    '\nScan function per event (onScanEvent; state in memory; AWS mocked; registry = docker-registry on loopback)',
  );
  await measure(
    'passing scan, no requireSignature',
    async () => undefined,
    () => scan('bench/plain'),
  );
  await measure(
    'passing scan, requireSignature (1 Notation)',
    async () => undefined,
    () => scan('bench/app'),
  );
  await measure(
    'late signature push re-decides (fail -> pass)',
    async (deps) => {
      // The scan ran before managed signing: the repository had no signature yet.
      const empty: SignatureSource = {
        manifest: async () => undefined,
        blob: async () => Promise.reject(new Error('no blob')),
        referrers: async () => [],
        requests: 0,
      };
      await onScanEvent(scan('bench/app'), {
        ...deps,
        signatures: { signers: input.signers, source: () => empty },
      });
    },
    () => push,
  );
  ecr.restore();
  sns.restore();
  sqs.restore();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
