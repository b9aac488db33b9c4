import { randomBytes } from 'node:crypto';
import { CopyError, copyImage, type CopyOptions } from '../../../shared/oci/copy';
import { FakeRegistry, imageManifest } from './fake-registry';

const MiB = 1024 * 1024;

describe('copyImage against a fake distribution server', () => {
  let source: FakeRegistry;
  let destination: FakeRegistry | undefined;
  let layer: Buffer;
  let layerDigest: string;
  let manifestDigest: string;

  beforeEach(async () => {
    source = new FakeRegistry();
    await source.start();
    layer = randomBytes(11 * MiB);
    layerDigest = source.putBlob(layer);
    const config = Buffer.from('{"os":"linux"}');
    const configDigest = source.putBlob(config);
    manifestDigest = source.putManifest(
      'team/app',
      'v1',
      imageManifest({ digest: configDigest, size: config.length }, [
        { digest: layerDigest, size: layer.length },
      ]),
      'application/vnd.oci.image.manifest.v1+json',
    );
  });

  afterEach(async () => {
    await Promise.all([source.stop(), destination?.stop()]);
    destination = undefined;
  });

  const start = async (options: ConstructorParameters<typeof FakeRegistry>[0]) => {
    destination = new FakeRegistry(options);
    await destination.start();
    return destination;
  };
  const copy = (to: FakeRegistry, extra: Partial<CopyOptions> = {}) =>
    copyImage({
      source: { registry: source.host, repository: 'team/app', tag: 'v1' },
      destination: { registry: to.host, repository: 'mirror/app', tag: 'v1' },
      plainHttp: true,
      chunkSize: 5 * MiB,
      retry: { attempts: 4, baseDelayMs: 10 },
      ...extra,
    });

  it('answers a Bearer challenge with one token request for the repository scope, then reuses the token', async () => {
    // Prepare
    const to = await start({ tls: true, auth: { scheme: 'bearer', username: 'robot', password: 'pw' } });

    // Act
    await copy(to, {
      destinationCredentials: { username: 'robot', password: 'pw' },
      plainHttp: (host) => host === source.host,
      insecureTls: true,
    });

    // Assess
    expect(to.tokenRequests).toHaveLength(1);
    expect(to.tokenRequests[0].get('service')).toBe('fake-registry');
    expect(to.tokenRequests[0].getAll('scope')).toEqual(['repository:mirror/app:pull,push']);
    expect(to.requests.slice(1).every((r) => r.headers.authorization === 'Bearer fake-token')).toBe(true);
  });

  it('resumes a chunked upload where the registry says it stands after a dropped connection', async () => {
    // Prepare: the second PATCH loses its connection half-way; the registry keeps the first 5 MiB.
    const to = await start({ dropPatch: 1 });

    // Act
    const result = await copy(to);

    // Assess
    expect(result.digest).toBe(manifestDigest);
    expect(to.blobs.get(layerDigest)?.equals(layer)).toBe(true);
    expect(to.requests.some((r) => r.method === 'GET' && r.path.includes('/blobs/uploads/'))).toBe(true);
    const patches = to.requests.filter((r) => r.method === 'PATCH').map((r) => r.headers['content-range']);
    expect(patches).toEqual([
      `0-${5 * MiB - 1}`,
      `${5 * MiB}-${10 * MiB - 1}`,
      `${5 * MiB}-${10 * MiB - 1}`,
      `${10 * MiB}-${11 * MiB - 1}`,
    ]);
    // The source is read again from the resume offset, not from the start.
    const layerReads = source.requests.filter((r) => r.method === 'GET' && r.path.endsWith(layerDigest));
    expect(layerReads.map((r) => r.headers.range)).toEqual([undefined, `bytes=${5 * MiB}-`]);
  });

  it('retries a PATCH the registry refuses with 503 before reading its body', async () => {
    // Prepare
    const to = await start({ rejectPatch: 1 });

    // Act
    const result = await copy(to);

    // Assess
    expect(result.digest).toBe(manifestDigest);
    expect(to.blobs.get(layerDigest)?.equals(layer)).toBe(true);
    const patches = to.requests.filter((r) => r.method === 'PATCH').map((r) => r.headers['content-range']);
    expect(patches).toEqual([
      `0-${5 * MiB - 1}`,
      `${5 * MiB}-${10 * MiB - 1}`,
      `${5 * MiB}-${10 * MiB - 1}`,
      `${10 * MiB}-${11 * MiB - 1}`,
    ]);
  });

  it('retries a throttled destination (429 with Retry-After) until it answers', async () => {
    // Prepare: the destination holds the manifest already, but throttles the first two HEADs.
    const to = await start({ throttleHeads: 2 });
    source.manifests.forEach((value, key) => to.manifests.set(key.replace('team/app', 'mirror/app'), value));

    // Act
    const result = await copy(to);

    // Assess
    expect(result).toMatchObject({ digest: manifestDigest, bytesCopied: 0, blobsCopied: 0 });
    expect(to.requests.filter((r) => r.method === 'HEAD')).toHaveLength(3);
  });

  it('aborts with digest-mismatch when the source serves other bytes than the digest, and writes no manifest', async () => {
    // Prepare
    const to = await start({});
    source.blobs.set(layerDigest, randomBytes(layer.length));

    // Act
    const failure = await copy(to).catch((error: unknown) => error);

    // Assess
    expect((failure as CopyError).code).toBe('digest-mismatch');
    expect((failure as CopyError).message).toContain(layerDigest);
    expect(to.requests.filter((r) => r.path.includes('/manifests/') && r.method === 'PUT')).toHaveLength(0);
    expect(to.blobs.has(layerDigest)).toBe(false);
  });

  it('reports a missing source image as not-found', async () => {
    // Prepare
    const to = await start({});

    // Act
    const failure = await copyImage({
      source: { registry: source.host, repository: 'team/app', tag: 'missing' },
      destination: { registry: to.host, repository: 'mirror/app', tag: 'v1' },
      plainHttp: true,
    }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(CopyError);
    expect((failure as CopyError).code).toBe('not-found');
  });
});
