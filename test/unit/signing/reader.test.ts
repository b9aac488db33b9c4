import { createTransport, type Transport } from '../../../shared/oci/http';
import { RegistryClient } from '../../../shared/oci/registry-client';
import { checkImageSignature, verifyImageSignatures } from '../../../shared/signing/verify-image';
import { registrySource } from '../../../shared/signing/registry-source';
import { signedDigestOfReferrer, signedDigestOfTag } from '../../../shared/signing/signature-push';
import { compileSigners } from '../../../shared/signing/trust';
import { SIGNATURE_MEDIA_TYPES, type TrustedSigner } from '../../../shared/signing/types';
import { haveTools, startRegistry, type RunningRegistry } from '../../support/registries';
import { Seeder } from './registry-seed';
import {
  cosignBundle,
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
const REPOSITORY = 'payments/api';

describeWithRegistry('verifyImageSignatures against docker-registry (referrers tag schema)', () => {
  let registry: RunningRegistry;
  let transport: Transport;
  let seeder: Seeder;
  let pki: Pki;
  let signers: TrustedSigner[];
  let signingTime: Date;
  const cosign = cosignKeys();
  let image: { mediaType: string; digest: string; size: number };
  let index: { mediaType: string; digest: string; size: number };
  let child: { mediaType: string; digest: string; size: number };
  let notationDigest: string;
  let bundleDigest: string;

  const source = () =>
    registrySource(
      new RegistryClient({
        host: registry.host,
        repository: REPOSITORY,
        actions: ['pull'],
        credentials: async () => undefined,
        transport,
      }),
      { attempts: 1, baseDelayMs: 1 },
    );

  beforeAll(async () => {
    [registry, pki] = await Promise.all([startRegistry(), makePki('Registry test')]);
    transport = createTransport({ plainHttp: true });
    seeder = new Seeder(registry.host, REPOSITORY);
    signingTime = new Date(new Date(pki.leaf.cert.validFrom).getTime() + 3600_000);
    signers = compileSigners({
      'aws-signer': { type: 'notation', signingProfiles: [PROFILE], trustAnchors: [pki.root.pem] },
      ci: { type: 'cosign', publicKeys: [cosign.publicPem] },
    });

    // A single-platform image signed three ways: Notation and a cosign bundle as referrers, and the .sig tag.
    image = await seeder.image('amd64', 'v1');
    const envelope = notationEnvelope({
      digest: image.digest,
      size: image.size,
      signingTime,
      chain: [pki.leaf.cert, pki.intermediate.cert],
      key: pki.leaf.key,
    });
    const notation = await seeder.referrer(
      image,
      SIGNATURE_MEDIA_TYPES.notationSignature,
      SIGNATURE_MEDIA_TYPES.jwsEnvelope,
      envelope,
    );
    const bundle = await seeder.referrer(
      image,
      SIGNATURE_MEDIA_TYPES.sigstoreBundle,
      SIGNATURE_MEDIA_TYPES.sigstoreBundle,
      cosignBundle(image.digest, cosign.privateKey),
    );
    notationDigest = notation.digest;
    bundleDigest = bundle.digest;
    await seeder.referrersIndex(image.digest, [notation, bundle]);
    const payload = simpleSigningPayload(`${registry.host}/${REPOSITORY}`, image.digest);
    await seeder.cosignSignatureTag(image.digest, [
      { payload, signature: cosignSign(payload, cosign.privateKey) },
    ]);

    // A multi-arch index signed on the index digest only (what notation and cosign sign for a tag).
    child = await seeder.image('arm64');
    const other = await seeder.image('amd64');
    index = await seeder.manifest(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { ...child, platform: { architecture: 'arm64', os: 'linux' } },
          { ...other, platform: { architecture: 'amd64', os: 'linux' } },
        ],
      },
      'multi',
    );
    const indexSignature = await seeder.referrer(
      index,
      SIGNATURE_MEDIA_TYPES.notationSignature,
      SIGNATURE_MEDIA_TYPES.jwsEnvelope,
      notationEnvelope({
        digest: index.digest,
        mediaType: index.mediaType,
        size: index.size,
        signingTime,
        chain: [pki.leaf.cert, pki.intermediate.cert],
        key: pki.leaf.key,
      }),
    );
    // A client-written index can list anything: a signature of the child listed under the index counts for nothing.
    const misfiled = await seeder.referrer(
      child,
      SIGNATURE_MEDIA_TYPES.notationSignature,
      SIGNATURE_MEDIA_TYPES.jwsEnvelope,
      notationEnvelope({
        digest: child.digest,
        signingTime,
        chain: [pki.leaf.cert, pki.intermediate.cert],
        key: pki.leaf.key,
      }),
    );
    await seeder.referrersIndex(index.digest, [indexSignature, misfiled]);
  });

  afterAll(async () => {
    transport?.close();
    await Promise.all([registry?.stop(), pki?.cleanup()]);
  });

  it('finds and verifies the Notation, cosign bundle and cosign .sig signatures of an image', async () => {
    // Prepare
    const reader = source();

    // Act
    const checks = await verifyImageSignatures(reader, { digest: image.digest, signers, now: signingTime });

    // Assess
    expect(checks).toEqual([
      {
        format: 'notation',
        source: notationDigest,
        signer: PROFILE_VERSION,
        signingTime: signingTime.toISOString(),
        valid: true,
        trustedSigner: 'aws-signer',
      },
      expect.objectContaining({
        format: 'cosign-bundle',
        source: bundleDigest,
        valid: true,
        trustedSigner: 'ci',
      }),
      expect.objectContaining({
        format: 'cosign',
        source: `${image.digest.replace(':', '-')}.sig#0`,
        valid: true,
        trustedSigner: 'ci',
      }),
    ]);
    // referrers API (404) + tag-schema index + .sig tag + its layer + 2 x (signature manifest + envelope blob).
    expect(reader.requests).toBe(8);
  });

  it('counts a signature on the index digest for the index, not for its children', async () => {
    const policy = { requireSignature: true, signers: signers.filter((s) => s.name === 'aws-signer') };

    const onIndex = await checkImageSignature(source(), { digest: index.digest, policy, now: signingTime });
    const onChild = await checkImageSignature(source(), { digest: child.digest, policy, now: signingTime });

    expect(onIndex.decision.result).toBe('pass');
    expect(onIndex.checks).toEqual([
      expect.objectContaining({ valid: true }),
      expect.objectContaining({
        valid: false,
        reason: `its subject is ${child.digest}, not ${index.digest}`,
      }),
    ]);
    expect(onChild.decision).toEqual({
      result: 'fail',
      reason: `expected a signature from aws-signer (Notation, signing profile ${PROFILE}); found no signature`,
    });
    // referrers API (404), the sha256-<hex> tag (absent) and the .sig tag (absent).
    expect(onChild.requests).toBe(3);
  });

  it('finds the image a signature pushed by digest or as a .sig tag belongs to (to re-decide it)', async () => {
    const reader = source();

    expect(await signedDigestOfReferrer(reader, notationDigest)).toBe(image.digest);
    expect(await signedDigestOfReferrer(reader, bundleDigest)).toBe(image.digest);
    expect(await signedDigestOfReferrer(reader, image.digest)).toBeUndefined();
    expect(reader.requests).toBe(3);
    expect(signedDigestOfTag(`${image.digest.replace(':', '-')}.sig`)).toBe(image.digest);
    expect(signedDigestOfTag('v1.4.2')).toBeUndefined();
    expect(signedDigestOfTag(undefined)).toBeUndefined();
  });

  it('makes no registry request when the repository does not require a signature', async () => {
    const reader = source();

    const outcome = await checkImageSignature(reader, {
      digest: image.digest,
      policy: { requireSignature: false, signers },
      now: signingTime,
    });

    expect(outcome).toEqual({
      decision: { result: 'pass', reason: 'no signature required' },
      checks: [],
      requests: 0,
    });
    expect(reader.requests).toBe(0);
  });
});

describe('verifyImageSignatures with a registry that has the referrers API', () => {
  it('uses the API answer and never reads the sha256-<hex> tag', async () => {
    // Prepare: an in-memory registry answering the referrers API (as ECR does).
    const pki = await makePki('Api');
    try {
      const signingTime = new Date(new Date(pki.leaf.cert.validFrom).getTime() + 60_000);
      const digest = `sha256:${'a'.repeat(64)}`;
      const envelope = notationEnvelope({
        digest,
        signingTime,
        chain: [pki.leaf.cert, pki.intermediate.cert],
        key: pki.leaf.key,
      });
      const layer = {
        mediaType: SIGNATURE_MEDIA_TYPES.jwsEnvelope,
        digest: `sha256:${'b'.repeat(64)}`,
        size: envelope.length,
      };
      const signature = {
        digest: `sha256:${'c'.repeat(64)}`,
        bytes: Buffer.from('{}'),
        body: { artifactType: SIGNATURE_MEDIA_TYPES.notationSignature, subject: { digest }, layers: [layer] },
      };
      const read: string[] = [];
      const fake = {
        requests: 0,
        referrers: async (subject: string) => {
          read.push(`referrers ${subject}`);
          return [
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              digest: signature.digest,
              size: 2,
              artifactType: SIGNATURE_MEDIA_TYPES.notationSignature,
            },
          ];
        },
        manifest: async (reference: string) => {
          read.push(`manifest ${reference}`);
          return reference === signature.digest ? signature : undefined;
        },
        blob: async (descriptor: { digest: string }) => {
          read.push(`blob ${descriptor.digest}`);
          return envelope;
        },
      };
      const signers = compileSigners({
        aws: { type: 'notation', signingProfiles: [PROFILE], trustAnchors: [pki.root.pem] },
      });

      // Act
      const checks = await verifyImageSignatures(fake, { digest, signers, now: signingTime });

      // Assess
      expect(checks).toEqual([
        expect.objectContaining({ format: 'notation', valid: true, trustedSigner: 'aws' }),
      ]);
      expect(read.sort()).toEqual(
        [
          `referrers ${digest}`,
          `manifest sha256-${'a'.repeat(64)}.sig`,
          `manifest ${signature.digest}`,
          `blob ${layer.digest}`,
        ].sort(),
      );
    } finally {
      await pki.cleanup();
    }
  });
});
