import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { copyImage, type CopyOptions } from '../../../shared/oci/copy';
import { parseReference } from '../../../shared/oci/reference';
import { OciLayout, type Descriptor } from '../../support/oci-layout';
import {
  exists,
  haveTools,
  inspectRaw,
  seed,
  startRegistry,
  type RunningRegistry,
} from '../../support/registries';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../../shared/cli/harbormaster.js');
const AUTH = { username: 'robot', password: 'referrers-Secret-7' };
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = 'application/vnd.oci.empty.v1+json';
const suite = haveTools() ? describe : describe.skip;

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const tagOf = (digest: string) => digest.replace(':', '-');

/** Pushes a blob to a plain-HTTP, anonymous registry in one POST + PUT. */
async function pushBlob(registry: RunningRegistry, repository: string, bytes: Buffer): Promise<Descriptor> {
  const digest = sha256(bytes);
  const start = await fetch(`http://${registry.host}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  expect(start.status).toBe(202);
  const location = new URL(start.headers.get('location') as string, `http://${registry.host}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(put.status).toBe(201);
  return { mediaType: 'application/octet-stream', digest, size: bytes.length };
}

async function pushManifest(
  registry: RunningRegistry,
  repository: string,
  ref: string,
  body: unknown,
  mediaType: string,
): Promise<Descriptor> {
  const bytes = Buffer.from(JSON.stringify(body));
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${ref}`, {
    method: 'PUT',
    body: bytes,
    headers: { 'content-type': mediaType },
  });
  expect(response.status).toBe(201);
  return { mediaType, digest: sha256(bytes), size: bytes.length };
}

/** An OCI 1.1 artifact (empty config, one layer) whose subject is `subject`, pushed by digest. */
async function pushArtifact(
  registry: RunningRegistry,
  repository: string,
  subject: Descriptor,
  artifactType: string,
  payload: string,
): Promise<Descriptor & { artifactType: string }> {
  const config = await pushBlob(registry, repository, Buffer.from('{}'));
  const layer = await pushBlob(registry, repository, Buffer.from(payload));
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType,
    config: { ...config, mediaType: EMPTY },
    layers: [{ ...layer, mediaType: artifactType }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  const digest = sha256(Buffer.from(JSON.stringify(manifest)));
  const pushed = await pushManifest(registry, repository, digest, manifest, OCI_MANIFEST);
  return { ...pushed, artifactType };
}

suite('referrers travel with the image (docker-registry 2.8 on both sides: no referrers API)', () => {
  let source: RunningRegistry;
  let destination: RunningRegistry;
  let work: string;
  let image: Descriptor;
  let notation: Descriptor & { artifactType: string };
  let sbom: Descriptor & { artifactType: string };
  let sbomSignature: Descriptor & { artifactType: string };
  let cosign: Descriptor;

  const options = (dst: string, extra: Partial<CopyOptions> = {}): CopyOptions => ({
    source: parseReference(`${source.host}/team/app:v1`),
    destination: parseReference(`${destination.host}/${dst}`),
    destinationCredentials: AUTH,
    plainHttp: (host) => host === source.host,
    insecureTls: true,
    ...extra,
  });

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry({ tls: true, auth: AUTH })]);
    work = await mkdtemp(path.join(os.tmpdir(), 'hm-referrers-'));
    const layout = new OciLayout(path.join(work, 'layout'));
    image = await layout.addImage('v1', { layerSizes: [2048, 70_000] });
    await seed(layout.dir, 'v1', source, 'team/app');
    // A Notation signature and an SBOM refer to the image; a signature refers to the SBOM. Like oras and
    // notation against a registry without the API, the referrers tag schema indexes are written by hand.
    notation = await pushArtifact(source, 'team/app', image, 'application/vnd.cncf.notary.signature', 'jws');
    sbom = await pushArtifact(
      source,
      'team/app',
      image,
      'application/spdx+json',
      '{"spdxVersion":"SPDX-2.3"}',
    );
    sbomSignature = await pushArtifact(
      source,
      'team/app',
      sbom,
      'application/vnd.cncf.notary.signature',
      'jws2',
    );
    const entry = (d: Descriptor & { artifactType: string }) => ({
      mediaType: OCI_MANIFEST,
      digest: d.digest,
      size: d.size,
      artifactType: d.artifactType,
    });
    await pushManifest(
      source,
      'team/app',
      tagOf(image.digest),
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry(notation), entry(sbom)] },
      OCI_INDEX,
    );
    await pushManifest(
      source,
      'team/app',
      tagOf(sbom.digest),
      { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [entry(sbomSignature)] },
      OCI_INDEX,
    );
    // A cosign keyed signature: a simple-signing payload layer under the tag sha256-<hex>.sig.
    const payload = await pushBlob(
      source,
      'team/app',
      Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': image.digest } } })),
    );
    const cosignConfig = await pushBlob(source, 'team/app', Buffer.from('{"architecture":"","os":""}'));
    cosign = await pushManifest(
      source,
      'team/app',
      `${tagOf(image.digest)}.sig`,
      {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { ...cosignConfig, mediaType: 'application/vnd.oci.image.config.v1+json' },
        layers: [
          {
            ...payload,
            mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
            annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ-fake' },
          },
        ],
      },
      OCI_MANIFEST,
    );
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('copies referrers (with their own referrers) and cosign tags after the image, then a re-copy moves nothing', async () => {
    // Act
    const first = await copyImage(options('mirror/app:v1'));
    const again = await copyImage(options('mirror/app:v1'));

    // Assess
    expect(first.referrers).toEqual({ copied: 4, present: 0, skipped: [] });
    expect(again).toMatchObject({
      bytesCopied: 0,
      blobsCopied: 0,
      referrers: { copied: 0, present: 4, skipped: [] },
    });
    for (const artifact of [notation, sbom, sbomSignature]) {
      // Byte for byte what the source holds (same digest), and every blob stored.
      expect(await inspectRaw(destination, `mirror/app@${artifact.digest}`)).toBe(
        await inspectRaw(source, `team/app@${artifact.digest}`),
      );
      const manifest = JSON.parse(await inspectRaw(destination, `mirror/app@${artifact.digest}`)) as {
        layers: Descriptor[];
        config: Descriptor;
      };
      for (const blob of [manifest.config, ...manifest.layers])
        expect(existsSync(destination.blobPath(blob.digest))).toBe(true);
    }
    // The destination has no referrers API either, so its tag schema indexes list them.
    const imageIndex = JSON.parse(await inspectRaw(destination, `mirror/app:${tagOf(image.digest)}`)) as {
      manifests: Descriptor[];
    };
    expect(imageIndex.manifests.map((m) => m.digest).sort()).toEqual([notation.digest, sbom.digest].sort());
    const sbomIndex = JSON.parse(await inspectRaw(destination, `mirror/app:${tagOf(sbom.digest)}`)) as {
      manifests: Descriptor[];
    };
    expect(sbomIndex.manifests.map((m) => m.digest)).toEqual([sbomSignature.digest]);
    expect(await inspectRaw(destination, `mirror/app:${tagOf(image.digest)}.sig`)).toBe(
      await inspectRaw(source, `team/app:${tagOf(image.digest)}.sig`),
    );
    expect(await exists(destination, `mirror/app@${cosign.digest}`)).toBe(true);
  });

  it('copies no referrer with referrers: false', async () => {
    // Act
    const result = await copyImage(options('bare/app:v1', { referrers: false }));

    // Assess
    expect(result.referrers).toBeUndefined();
    expect(await exists(destination, `bare/app:v1`)).toBe(true);
    expect(await exists(destination, `bare/app@${notation.digest}`)).toBe(false);
    expect(await exists(destination, `bare/app:${tagOf(image.digest)}`)).toBe(false);
    expect(await exists(destination, `bare/app:${tagOf(image.digest)}.sig`)).toBe(false);
  });

  it('harbormaster copy --no-referrers leaves them, and the default copies them', async () => {
    // Act
    const args = (dst: string, extra: string[]) => [
      CLI,
      'copy',
      `${source.host}/team/app:v1`,
      `${destination.host}/${dst}`,
      '--src-plain-http',
      '--insecure',
      '--dest-creds',
      `${AUTH.username}:${AUTH.password}`,
      '--json',
      ...extra,
    ];
    await run(process.execPath, args('cli-bare/app:v1', ['--no-referrers']));
    await run(process.execPath, args('cli-full/app:v1', []));

    // Assess
    expect(await exists(destination, `cli-bare/app:v1`)).toBe(true);
    expect(await exists(destination, `cli-bare/app:${tagOf(image.digest)}.sig`)).toBe(false);
    expect(await exists(destination, `cli-full/app:${tagOf(image.digest)}.sig`)).toBe(true);
    expect(await exists(destination, `cli-full/app@${sbomSignature.digest}`)).toBe(true);
  });
});
