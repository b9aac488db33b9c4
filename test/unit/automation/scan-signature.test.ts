import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createPublicKey } from 'node:crypto';
import 'aws-sdk-client-mock-jest';
import { AuditStore } from '../../../shared/audit/timeline-store';
import { onScanEvent, type ScanDeps } from '../../../shared/automation/on-scan-event';
import { ecrScanSignatures, type RegistryRepository } from '../../../shared/automation/scan-signature';
import type { HarbormasterConfig } from '../../../shared/config/schema';
import type { FindingEvent, ImageEvent, ScanEvent } from '../../../shared/domain/types';
import { runtimeConfig } from '../../../shared/runtime/runtime-config';
import { compileSigners, keyFingerprint } from '../../../shared/signing/trust';
import { currentVerdict } from '../../../shared/state/current-verdict';
import { ImageStateStore } from '../../../shared/state/image-state-store';
import {
  createAuditTable,
  createStateTable,
  startDynalite,
  type DynaliteHandle,
} from '../../support/dynalite';
import {
  cosignKeys,
  cosignSign,
  makePki,
  notationEnvelope,
  PROFILE,
  PROFILE_VERSION,
  simpleSigningPayload,
  type Pki,
} from '../signing/signing-fixtures';
import { SignatureRegistry } from './signature-registry';
import { NOW, normalized, recordingLog, testConfig } from './support';

/**
 * The scan path with `scan.requireSignature`: the verdict needs a valid signature from a trusted signer on the
 * image (on the index of a multi-arch image), a signature pushed after the scan re-decides the image, and gate
 * (currentVerdict) reads the same verdict. Real tables (dynalite), mocked ECR/SNS/SQS API calls, and the
 * registry reads of the signature source logged by an in-memory ECR repository.
 */

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:findings';
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/replication';
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const REPO = 'payments/worker';
/** The digest the clean scan fixture names (payments/worker v2.0.1). */
const DIGEST = 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const SUBJECT = { mediaType: OCI, digest: DIGEST, size: 1234 };
const hex = (c: string) => `sha256:${c.repeat(64)}`;

let db: DynaliteHandle;
let pki: Pki;
let strangerPki: Pki;
let signingTime: Date;
let ci: ReturnType<typeof cosignKeys>;
let n = 0;
let deps: ScanDeps;
let state: ImageStateStore;
let registry: SignatureRegistry;
let sourcesAsked: RegistryRepository[];

beforeAll(async () => {
  [db, pki, strangerPki] = await Promise.all([startDynalite(), makePki('Harbormaster'), makePki('Stranger')]);
  signingTime = new Date(new Date(pki.leaf.cert.validFrom).getTime() + 3600_000);
  ci = cosignKeys();
});
afterAll(async () => {
  await Promise.all([db.close(), pki.cleanup(), strangerPki.cleanup()]);
});

/** The test config with payments/worker requiring a signature from payments-signer (AWS Signer) or ci (cosign). */
function signingConfig(): HarbormasterConfig {
  const base = testConfig();
  return {
    ...base,
    signing: {
      rules: [],
      signers: {
        'payments-signer': { type: 'notation', signingProfiles: [PROFILE], trustAnchors: [pki.root.pem] },
        ci: { type: 'cosign', publicKeys: [ci.publicPem] },
      },
    },
    repositories: base.repositories.map((r) =>
      r.name === REPO || r.name === 'payments/api'
        ? {
            ...r,
            scan: {
              ...r.scan,
              requireSignature: true,
              trustedSigners: r.name === REPO ? ['payments-signer', 'ci'] : ['payments-signer'],
            },
          }
        : r,
    ),
  };
}

beforeEach(async () => {
  // Prepare: fresh tables and registry, mocks reset.
  ecr.reset();
  sns.reset();
  sqs.reset();
  n += 1;
  await createStateTable(db.client, `sig-state-${n}`);
  await createAuditTable(db.client, `sig-audit-${n}`);
  state = new ImageStateStore(db.client, `sig-state-${n}`);
  registry = new SignatureRegistry();
  sourcesAsked = [];
  const config = runtimeConfig(signingConfig());
  deps = {
    ecr: new ECRClient({ region: 'eu-west-1' }),
    sns: new SNSClient({ region: 'eu-west-1' }),
    sqs: new SQSClient({ region: 'eu-west-1' }),
    topicArn: TOPIC,
    replicationQueueUrl: QUEUE,
    audit: new AuditStore(db.client, { tableName: `sig-audit-${n}`, retentionDays: 30, now: () => NOW }),
    state,
    leaseMs: 90_000,
    config,
    // Signature times come from the test certificates' validity, not the wall clock.
    now: () => signingTime,
    log: recordingLog(),
    signatures: {
      signers: compileSigners(config.signers ?? {}),
      source: (where) => {
        sourcesAsked.push(where);
        return registry.source;
      },
    },
  };
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'q' });
  ecr.on(BatchGetImageCommand).resolves({
    images: [{ imageManifest: '{"schemaVersion":2}', imageManifestMediaType: OCI }],
  });
  ecr.on(PutImageCommand).resolves({});
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ['v2.0.1', 'v2.0', 'v2'] }] });
});

const cleanScan = (id = 'scan-1', change?: (raw: { detail: Record<string, unknown> }) => void) =>
  normalized<ScanEvent>('ecr-image-scan-basic-clean', (raw) => {
    raw.id = id;
    change?.(raw);
  });

/** The ECR push event of a signature: a referrer pushed by digest, or the cosign `.sig` tag. */
const signaturePush = (digest: string, tag = '', id = 'signature-push') =>
  normalized<ImageEvent>('ecr-image-push-by-digest', (raw) => {
    raw.id = id;
    raw.detail['image-digest'] = digest;
    raw.detail['image-tag'] = tag;
    raw.detail['manifest-media-type'] = OCI;
  });

function envelope(overrides: Partial<Parameters<typeof notationEnvelope>[0]> = {}): Buffer {
  return notationEnvelope({
    digest: DIGEST,
    signingTime,
    chain: [pki.leaf.cert, pki.intermediate.cert],
    key: pki.leaf.key,
    ...overrides,
  });
}

const ecrCalls = () => ecr.calls().map((call) => call.args[0].constructor.name);
/** The decision's 'expected' part for payments/worker (its two trusted signers). */
const expected = () =>
  `expected a signature from payments-signer (Notation, signing profile ${PROFILE}) or ci (cosign key ` +
  `${keyFingerprint(createPublicKey(ci.publicPem))})`;

describe('scan verdict with requireSignature: a single-platform image', () => {
  it('passes a clean image with a valid AWS Signer signature: promoted and replicated, with the exact reads', async () => {
    // Prepare
    const signature = registry.notationReferrer(SUBJECT, envelope());

    // Act
    const outcome = await onScanEvent(cleanScan(), deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: 'scan-1',
      actions: ['scanned', 'verdict', 'promoted', 'replicate:payments-releases-dr'],
    });
    const verdict = (await state.get({ repository: REPO, digest: DIGEST })).data.verdict;
    expect(verdict?.result).toBe('pass');
    expect(verdict?.reason).toBe(
      `pass: no finding above threshold HIGH; signed by payments-signer (notation, ${PROFILE_VERSION} at ${signingTime.toISOString()})`,
    );
    expect(verdict?.signature).toEqual({
      result: 'pass',
      reason: `signed by payments-signer (notation, ${PROFILE_VERSION} at ${signingTime.toISOString()})`,
      trustedSigner: 'payments-signer',
      found: 1,
      scan: { result: 'pass', reason: 'pass: no finding above threshold HIGH' },
      eventId: 'scan-1',
      time: '2026-11-20T09:20:03Z',
    });
    // Registry reads: the referrers API and the cosign tag, then the signature manifest and its envelope.
    expect(registry.requestLog.sort()).toEqual(
      [
        `GET referrers/${DIGEST}`,
        `GET manifests/${DIGEST.replace(':', '-')}.sig`,
        `GET manifests/${signature.digest}`,
        `GET blobs/${signature.envelope}`,
      ].sort(),
    );
    expect(sourcesAsked).toEqual([{ account: '111122223333', region: 'eu-west-1', repository: REPO }]);
    // ECR API: only the promotion (read the manifest, write the tag); the signature reads are registry reads.
    expect(ecrCalls()).toEqual(['BatchGetImageCommand', 'PutImageCommand']);
    expect(sqs).toHaveReceivedCommandTimes(SendMessageCommand, 1);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it('fails an unsigned image with the expected signer and what was found; gate reads the same verdict', async () => {
    // Act
    const outcome = await onScanEvent(cleanScan(), deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: 'scan-1',
      actions: ['scanned', 'verdict', 'notified'],
    });
    const reason = `fail: ${expected()}; found no signature (scan: no finding above threshold HIGH)`;
    const current = await currentVerdict(state, { repository: REPO, digest: DIGEST });
    expect(current).toMatchObject({
      kind: 'verdict',
      quarantined: false,
      verdict: { result: 'fail', reason },
    });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain('found no signature');
    expect(ecrCalls()).toEqual([]);
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it.each([
    [
      'a tampered Notation payload',
      () => registry.notationReferrer(SUBJECT, envelope({ tamperPayload: '{"targetArtifact":{}}' })),
      /none valid: notation sha256:[a-f0-9]{64} by .+ \(the JWS signature does not verify with the signing certificate \(tampered\)\)/,
    ],
    [
      'a Notation signature chaining to an untrusted root',
      () =>
        registry.notationReferrer(
          SUBJECT,
          envelope({
            chain: [strangerPki.leaf.cert, strangerPki.intermediate.cert],
            key: strangerPki.leaf.key,
          }),
        ),
      /none valid: notation .+ \(the chain \(Stranger Signer <- Stranger Intermediate\) does not lead to a trusted root\)/,
    ],
    [
      'a Notation signature of another digest',
      () => registry.notationReferrer(SUBJECT, envelope({ digest: hex('e') })),
      new RegExp(`the signature is for ${hex('e')}, not ${DIGEST}`),
    ],
    [
      'a cosign signature with an untrusted key',
      () => {
        const stranger = cosignKeys();
        const payload = simpleSigningPayload(`registry.example/${REPO}`, DIGEST);
        return registry.cosignTag(DIGEST, [{ payload, signature: cosignSign(payload, stranger.privateKey) }]);
      },
      /found 1 signature, none valid: cosign sha256-[a-f0-9]{64}\.sig#0 \(the signature does not verify with any trusted cosign key/,
    ],
  ])('fails %s, and says why', async (_name, push, why) => {
    // Prepare
    push();

    // Act
    await onScanEvent(cleanScan(), deps);

    // Assess
    const verdict = (await state.get({ repository: REPO, digest: DIGEST })).data.verdict;
    expect(verdict?.result).toBe('fail');
    expect(verdict?.reason.startsWith(`fail: ${expected()}; found 1 signature, none valid: `)).toBe(true);
    expect(verdict?.reason).toMatch(why);
    expect(verdict?.signature).toMatchObject({ result: 'fail', found: 1 });
    expect(ecr).not.toHaveReceivedCommand(PutImageCommand);
  });

  it('does not quarantine an image that fails on its signature alone (the signature may come later)', async () => {
    // Prepare: payments/api quarantines failing images.
    const event = cleanScan('scan-api', (raw) => {
      raw.detail['repository-name'] = 'payments/api';
    });

    // Act
    const outcome = await onScanEvent(event, deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: 'scan-api',
      actions: ['scanned', 'verdict', 'notified'],
    });
    expect(ecr).not.toHaveReceivedCommand(PutImageCommand);
    const data = (await state.get({ repository: 'payments/api', digest: DIGEST })).data;
    expect(data.quarantine).toBeUndefined();
    expect(data.verdict?.result).toBe('fail');
  });

  it('a finding event reuses the signature part already recorded (a burst verifies once)', async () => {
    // Prepare
    registry.notationReferrer(SUBJECT, envelope());
    await onScanEvent(cleanScan(), deps);
    registry.requestLog.length = 0;
    ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanFindings: { enhancedFindings: [] } });
    const finding = normalized<FindingEvent>('inspector2-finding', (raw) => {
      raw.id = 'finding-1';
      const text = JSON.stringify(raw.detail)
        .replaceAll('payments/api', REPO)
        .replaceAll('sha256:4c1d8e2f9a7b6c5d3e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d', DIGEST);
      raw.detail = JSON.parse(text);
    });

    // Act
    await onScanEvent(finding, deps);

    // Assess: a CRITICAL finding fails the image; the signature part is the scan's, not read again.
    expect(registry.requestLog).toEqual([]);
    const verdict = (await state.get({ repository: REPO, digest: DIGEST })).data.verdict;
    expect(verdict?.result).toBe('fail');
    expect(verdict?.reason).toMatch(/^fail: 1 CRITICAL .*; signed by payments-signer \(notation, /);
    expect(verdict?.signature).toMatchObject({ result: 'pass', eventId: 'scan-1' });
  });

  it('makes no signature read for a repository that requires no signature', async () => {
    // Act
    await onScanEvent(
      cleanScan('scan-tools', (raw) => {
        raw.detail['repository-name'] = 'platform/tools';
      }),
      deps,
    );

    // Assess
    expect(registry.requestLog).toEqual([]);
    expect(sourcesAsked).toEqual([]);
    const verdict = (await state.get({ repository: 'platform/tools', digest: DIGEST })).data.verdict;
    expect(verdict?.signature).toBeUndefined();
  });
});

describe('a signature pushed after the scan', () => {
  it('re-decides the image at its push: promotion and replication follow, no second alert', async () => {
    // Prepare: the scan finds no signature (ECR managed signing has not run yet): fail and one alert.
    await onScanEvent(cleanScan(), deps);
    ecr.resetHistory();
    sns.resetHistory();
    registry.requestLog.length = 0;
    const signature = registry.notationReferrer(SUBJECT, envelope());

    // Act
    const outcome = await onScanEvent(signaturePush(signature.digest), deps);
    const again = await onScanEvent(signaturePush(signature.digest), deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: 'signature-push',
      actions: ['verdict', 'promoted', 'replicate:payments-releases-dr'],
    });
    expect(again).toMatchObject({ status: 'duplicate' });
    // The pushed manifest is read once to learn what it signs, then the image's signatures are verified.
    expect(registry.requestLog.slice(0, 1)).toEqual([`GET manifests/${signature.digest}`]);
    expect(registry.requestLog.slice(1).sort()).toEqual(
      [
        `GET referrers/${DIGEST}`,
        `GET manifests/${DIGEST.replace(':', '-')}.sig`,
        `GET manifests/${signature.digest}`,
        `GET blobs/${signature.envelope}`,
        // The duplicate reads the pushed manifest again before its claim finds it done.
        `GET manifests/${signature.digest}`,
      ].sort(),
    );
    expect(ecrCalls()).toEqual(['DescribeImagesCommand', 'BatchGetImageCommand', 'PutImageCommand']);
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, { imageDigest: DIGEST, imageTag: 'approved' });
    const message = JSON.parse(sqs.commandCalls(SendMessageCommand)[0].args[0].input.MessageBody ?? '{}');
    expect(message).toMatchObject({ digest: DIGEST, eventId: 'signature-push' });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    const current = await currentVerdict(state, { repository: REPO, digest: DIGEST });
    expect(current).toMatchObject({
      kind: 'verdict',
      verdict: { result: 'pass', signature: { eventId: 'signature-push', trustedSigner: 'payments-signer' } },
    });
  });

  it('re-decides on the push of a cosign .sig tag (from the tag alone)', async () => {
    // Prepare
    await onScanEvent(cleanScan(), deps);
    const payload = simpleSigningPayload(`registry.example/${REPO}`, DIGEST);
    const tag = registry.cosignTag(DIGEST, [{ payload, signature: cosignSign(payload, ci.privateKey) }]);
    registry.requestLog.length = 0;

    // Act
    const outcome = await onScanEvent(signaturePush(hex('5'), `${DIGEST.replace(':', '-')}.sig`), deps);

    // Assess
    expect(outcome).toEqual({
      status: 'done',
      eventId: 'signature-push',
      actions: ['verdict', 'promoted', 'replicate:payments-releases-dr'],
    });
    expect(registry.requestLog.sort()).toEqual(
      [
        `GET referrers/${DIGEST}`,
        `GET manifests/${DIGEST.replace(':', '-')}.sig`,
        `GET blobs/${tag.layers[0]}`,
      ].sort(),
    );
  });

  it('records a still-failing re-decision without effects: no alert, no promotion', async () => {
    // Prepare
    await onScanEvent(cleanScan(), deps);
    ecr.resetHistory();
    sns.resetHistory();
    const bad = registry.notationReferrer(SUBJECT, envelope({ digest: hex('e') }));

    // Act
    const outcome = await onScanEvent(signaturePush(bad.digest), deps);

    // Assess
    expect(outcome).toEqual({ status: 'done', eventId: 'signature-push', actions: ['verdict'] });
    expect(ecrCalls()).toEqual([]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    const verdict = (await state.get({ repository: REPO, digest: DIGEST })).data.verdict;
    expect(verdict?.signature).toMatchObject({ result: 'fail', found: 1, eventId: 'signature-push' });
  });

  it('is ignored before the image has a verdict (its scan will check), and so is any other manifest', async () => {
    // Prepare
    const signature = registry.notationReferrer(SUBJECT, envelope());
    const image = registry.putManifest({ schemaVersion: 2, mediaType: OCI, config: {}, layers: [] });

    // Act
    const early = await onScanEvent(signaturePush(signature.digest), deps);
    const child = await onScanEvent(signaturePush(image.digest, '', 'child-push'), deps);

    // Assess
    expect(early).toEqual({
      status: 'ignored',
      reason: `a signature of ${DIGEST}, which has no verdict yet: its scan checks the signature`,
    });
    expect(child).toEqual({
      status: 'ignored',
      reason: 'a image.pushed event of a single image: the image function handles it',
    });
    expect((await state.get({ repository: REPO, digest: DIGEST })).data.verdict).toBeUndefined();
    expect(ecrCalls()).toEqual([]);
  });
});

describe('scan verdict with requireSignature: a multi-arch index', () => {
  const INDEX = hex('1');
  const AMD = hex('a');
  const ARM = hex('b');
  const INDEX_SUBJECT = { mediaType: OCI_INDEX, digest: INDEX, size: 999 };

  beforeEach(() => {
    ecr.on(BatchGetImageCommand, { imageIds: [{ imageDigest: INDEX }] }).resolves({
      images: [
        {
          imageManifestMediaType: OCI_INDEX,
          imageManifest: JSON.stringify({
            schemaVersion: 2,
            manifests: [
              { digest: AMD, platform: { os: 'linux', architecture: 'amd64' } },
              { digest: ARM, platform: { os: 'linux', architecture: 'arm64' } },
            ],
          }),
        },
      ],
    });
    ecr.on(DescribeImagesCommand, { imageIds: [{ imageDigest: INDEX }] }).resolves({
      imageDetails: [{ imageTags: ['v2.0.1'] }],
    });
  });

  const indexPush = () =>
    normalized<ImageEvent>('ecr-image-push', (raw) => {
      raw.id = 'index-push';
      raw.detail['repository-name'] = REPO;
      raw.detail['image-digest'] = INDEX;
      raw.detail['image-tag'] = 'v2.0.1';
      raw.detail['manifest-media-type'] = OCI_INDEX;
    });
  const childScan = (digest: string, id: string) =>
    cleanScan(id, (raw) => {
      raw.detail['image-digest'] = digest;
      raw.detail['image-tags'] = [];
    });

  it('verifies the signature on the index digest, once its platform images pass; children keep their scan verdict', async () => {
    // Prepare
    registry.notationReferrer(INDEX_SUBJECT, envelope({ digest: INDEX, mediaType: OCI_INDEX }));

    // Act
    await onScanEvent(indexPush(), deps);
    await onScanEvent(childScan(AMD, 'scan-amd'), deps);
    const last = await onScanEvent(childScan(ARM, 'scan-arm'), deps);

    // Assess
    expect(last).toEqual({
      status: 'done',
      eventId: 'scan-arm',
      actions: [
        'scanned',
        'verdict',
        'index:verdict',
        'index:promoted',
        'index:replicate:payments-releases-dr',
      ],
    });
    const index = (await state.get({ repository: REPO, digest: INDEX })).data.verdict;
    expect(index?.result).toBe('pass');
    expect(index?.signature).toMatchObject({ result: 'pass', trustedSigner: 'payments-signer', found: 1 });
    const child = (await state.get({ repository: REPO, digest: AMD })).data.verdict;
    expect(child?.result).toBe('pass');
    expect(child?.signature).toBeUndefined();
    // Only the index is verified: the children have no signature of their own.
    expect(registry.requestLog.filter((r) => r.includes('referrers/'))).toEqual([`GET referrers/${INDEX}`]);
  });

  it('children scanned before the index push are judged as lone images, and the index reads their scan part', async () => {
    // Prepare
    registry.notationReferrer(INDEX_SUBJECT, envelope({ digest: INDEX, mediaType: OCI_INDEX }));

    // Act: no parent yet, so each child's verdict carries a (failing) signature part of its own.
    await onScanEvent(childScan(AMD, 'scan-amd'), deps);
    await onScanEvent(childScan(ARM, 'scan-arm'), deps);
    const lone = (await state.get({ repository: REPO, digest: AMD })).data.verdict;
    const pushed = await onScanEvent(indexPush(), deps);

    // Assess
    expect(lone).toMatchObject({ result: 'fail', signature: { result: 'fail', found: 0 } });
    expect(pushed).toEqual({
      status: 'done',
      eventId: 'index-push',
      actions: ['verdict', 'promoted', 'replicate:payments-releases-dr'],
    });
    const index = (await state.get({ repository: REPO, digest: INDEX })).data;
    expect(index.verdict).toMatchObject({ result: 'pass', signature: { result: 'pass' } });
    expect(Object.values(index.children ?? {}).map((c) => c.verdict?.result)).toEqual(['pass', 'pass']);
  });

  it('fails an unsigned index, and passes it when its signature is pushed', async () => {
    // Act
    await onScanEvent(indexPush(), deps);
    await onScanEvent(childScan(AMD, 'scan-amd'), deps);
    const last = await onScanEvent(childScan(ARM, 'scan-arm'), deps);
    const failed = (await state.get({ repository: REPO, digest: INDEX })).data.verdict;
    const signature = registry.notationReferrer(INDEX_SUBJECT, envelope({ digest: INDEX }));
    const pushed = await onScanEvent(signaturePush(signature.digest), deps);

    // Assess
    expect(last.status === 'done' && last.actions).toEqual([
      'scanned',
      'verdict',
      'index:verdict',
      'index:notified',
    ]);
    expect(failed?.reason).toBe(
      `fail: ${expected()}; found no signature (scan: all 2 platform images pass (none found in all))`,
    );
    expect(pushed).toEqual({
      status: 'done',
      eventId: 'signature-push',
      actions: ['verdict', 'promoted', 'replicate:payments-releases-dr'],
    });
    expect(ecr).toHaveReceivedCommandWith(PutImageCommand, { imageDigest: INDEX, imageTag: 'approved' });
  });
});

describe('ecrScanSignatures (the function wiring)', () => {
  it('compiles the trusted signers once and keeps one ECR signature source per repository', () => {
    // Act
    const wired = ecrScanSignatures(runtimeConfig(signingConfig()), new ECRClient({ region: 'eu-west-1' }));
    const where = { account: '111122223333', region: 'eu-west-1', repository: REPO };
    const first = wired.source(where);

    // Assess: sources are lazy (no request before a read), and reused so the ECR token is cached.
    expect(wired.signers.map((signer) => [signer.name, signer.type])).toEqual([
      ['payments-signer', 'notation'],
      ['ci', 'cosign'],
    ]);
    expect(wired.source(where)).toBe(first);
    expect(wired.source({ ...where, repository: 'payments/api' })).not.toBe(first);
    expect(first.requests).toBe(0);
    expect(ecr.calls()).toEqual([]);
  });
});
