import { createHash, randomBytes } from 'node:crypto';
import { copyImage, type CopyOptions } from '../../../shared/oci/copy';
import { referrersTag } from '../../../shared/oci/referrers';
import { HostileRegistry, type SeenRequest } from '../../support/hostile-registry';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('copying referrers between registries that have the OCI 1.1 referrers API', () => {
  let log: SeenRequest[];
  let source: HostileRegistry;
  let destination: HostileRegistry;
  let image: string;
  let signature: { digest: string; size: number; bytes: Buffer };
  const listing = (manifests: unknown[]) =>
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });

  beforeEach(async () => {
    log = [];
    source = await new HostileRegistry(
      {
        name: 'source',
        intercept: (_request, response, seen) => {
          if (seen.method !== 'GET' || seen.path !== `/v2/team/app/referrers/${image}`) return false;
          response.writeHead(200, { 'content-type': OCI_INDEX }).end(
            listing([
              {
                mediaType: OCI_MANIFEST,
                digest: signature.digest,
                size: signature.size,
                artifactType: 'application/vnd.cncf.notary.signature',
              },
            ]),
          );
          return true;
        },
      },
      log,
    ).start();
    destination = await new HostileRegistry(
      {
        name: 'destination',
        // It has the API (and would index subjects itself): an empty listing.
        intercept: (_request, response, seen) => {
          if (seen.method !== 'GET' || !seen.path.startsWith('/v2/mirror/app/referrers/')) return false;
          response.writeHead(200, { 'content-type': OCI_INDEX }).end(listing([]));
          return true;
        },
      },
      log,
    ).start();
    const pushed = source.putImage('team/app', 'v1', randomBytes(4096));
    image = pushed.manifest;
    const subject = source.manifests.get(`team/app@${image}`)?.bytes as Buffer;
    const config = Buffer.from('{}');
    const layer = Buffer.from('jws-envelope');
    source.blobs.set(sha256(config), config);
    source.blobs.set(sha256(layer), layer);
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.cncf.notary.signature',
        config: {
          mediaType: 'application/vnd.oci.empty.v1+json',
          digest: sha256(config),
          size: config.length,
        },
        layers: [{ mediaType: 'application/jose+json', digest: sha256(layer), size: layer.length }],
        subject: { mediaType: OCI_MANIFEST, digest: image, size: subject.length },
      }),
    );
    signature = { digest: sha256(bytes), size: bytes.length, bytes };
    source.manifests.set(`team/app@${signature.digest}`, { bytes, mediaType: OCI_MANIFEST });
  });

  afterEach(async () => {
    await Promise.all([source.stop(), destination.stop()]);
  });

  const copy = (extra: Partial<CopyOptions> = {}) =>
    copyImage({
      source: { registry: source.host, repository: 'team/app', tag: 'v1' },
      destination: { registry: destination.host, repository: 'mirror/app', tag: 'v1' },
      plainHttp: true,
      ...extra,
    });
  const writes = (requests: SeenRequest[]) =>
    requests
      .filter((seen) => ['PUT', 'POST', 'PATCH'].includes(seen.method))
      .map((seen) => `${seen.method} ${seen.path}`);

  it('copies a referrer listed by the API, digest-verified with its blobs, and writes no tag schema index', async () => {
    // Act
    const result = await copy();

    // Assess
    expect(result.referrers).toEqual({ copied: 1, present: 0, skipped: [] });
    expect(destination.manifests.get(`mirror/app@${signature.digest}`)?.bytes.equals(signature.bytes)).toBe(
      true,
    );
    const manifestPuts = writes(destination.requests).filter((write) =>
      write.startsWith('PUT /v2/mirror/app/manifests/'),
    );
    expect(manifestPuts).toEqual([
      'PUT /v2/mirror/app/manifests/v1',
      `PUT /v2/mirror/app/manifests/${signature.digest}`,
    ]);
    // The source's API answered: its tag schema fallback was never read.
    expect(
      source.requests
        .filter((seen) => seen.path.includes(`/manifests/${referrersTag(image)}`))
        .map((s) => s.method),
    ).toEqual(['HEAD', 'HEAD', 'HEAD']);
  });

  it('moves nothing on a re-copy: no PUT, POST or PATCH at the destination', async () => {
    // Prepare
    await copy();
    const before = destination.requests.length;

    // Act
    const again = await copy();

    // Assess
    expect(again).toMatchObject({
      bytesCopied: 0,
      blobsCopied: 0,
      referrers: { copied: 0, present: 1, skipped: [] },
    });
    expect(writes(destination.requests.slice(before))).toEqual([]);
  });

  it('asks nothing about referrers with referrers: false', async () => {
    // Act
    const result = await copy({ referrers: false });

    // Assess
    expect(result.referrers).toBeUndefined();
    expect(
      log.filter((seen) => seen.path.includes('/referrers/') || seen.path.includes(referrersTag(image))),
    ).toEqual([]);
  });
});
