import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { randomBytes } from 'node:crypto';
import { copyImage } from '../../../shared/oci/copy';
import { ecrCredentialProvider } from '../../../shared/oci/credentials';
import { FakeRegistry, imageManifest } from './fake-registry';

const MiB = 1024 * 1024;
const ECR_HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const ecr = mockClient(ECRClient);

describe('copying to a registry that behaves like Amazon ECR', () => {
  let source: FakeRegistry;
  let destination: FakeRegistry;
  let layer: Buffer;
  let layerDigest: string;

  beforeEach(async () => {
    ecr.reset();
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        {
          authorizationToken: Buffer.from('AWS:ecr-token-123').toString('base64'),
          expiresAt: new Date(Date.now() + 3600_000),
        },
      ],
    });
    source = new FakeRegistry();
    destination = new FakeRegistry({
      ecr: true,
      tls: true,
      auth: { scheme: 'basic', username: 'AWS', password: 'ecr-token-123' },
    });
    await Promise.all([source.start(), destination.start()]);
    layer = randomBytes(12 * MiB + 3);
    layerDigest = source.putBlob(layer);
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    const configDigest = source.putBlob(config);
    source.putManifest(
      'team/app',
      'v1',
      imageManifest({ digest: configDigest, size: config.length }, [
        { digest: layerDigest, size: layer.length },
      ]),
      'application/vnd.oci.image.manifest.v1+json',
    );
  });

  afterEach(async () => {
    await Promise.all([source.stop(), destination.stop()]);
  });

  /** ECR credentials come from the provider for the real ECR host name; the fake listens on loopback. */
  const ecrCredentials = () => {
    const provider = ecrCredentialProvider();
    return () => provider(ECR_HOST);
  };

  it("sends 5 MiB parts with start-end Content-Range, accepts 201 on PATCH and ignores ECR's stale Range", async () => {
    // Act
    const result = await copyImage({
      source: { registry: source.host, repository: 'team/app', tag: 'v1' },
      destination: { registry: destination.host, repository: 'mirror/app', tag: 'v1' },
      destinationCredentials: ecrCredentials(),
      // Credentials travel only over TLS: the ECR stand-in serves HTTPS with a self-signed certificate.
      plainHttp: (host) => host === source.host,
      insecureTls: true,
      chunkSize: 5 * MiB,
    });

    // Assess
    expect(result.blobsCopied).toBe(2);
    expect(destination.blobs.get(layerDigest)?.equals(layer)).toBe(true);
    expect(destination.completedParts).toContainEqual([5 * MiB, 5 * MiB, 2 * MiB + 3]);
    const patches = destination.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.headers['content-range'])).toEqual([
      `0-${5 * MiB - 1}`,
      `${5 * MiB}-${10 * MiB - 1}`,
      `${10 * MiB}-${12 * MiB + 2}`,
    ]);
    expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(GetAuthorizationTokenCommand, { registryIds: ['123456789012'] });
    const authorized = destination.requests.filter((r) => r.headers.authorization);
    expect(authorized.length).toBe(destination.requests.length - 1); // only the first request went anonymous
    expect(authorized[0].headers.authorization).toBe(
      `Basic ${Buffer.from('AWS:ecr-token-123').toString('base64')}`,
    );
  });

  it('never sends a part under 5 MiB except the last with a larger chunk size', async () => {
    // Act
    await copyImage({
      source: { registry: source.host, repository: 'team/app', tag: 'v1' },
      destination: { registry: destination.host, repository: 'mirror/app', tag: 'v1' },
      destinationCredentials: ecrCredentials(),
      // Credentials travel only over TLS: the ECR stand-in serves HTTPS with a self-signed certificate.
      plainHttp: (host) => host === source.host,
      insecureTls: true,
      chunkSize: 7 * MiB,
    });

    // Assess
    expect(destination.completedParts).toContainEqual([7 * MiB, 5 * MiB + 3]);
  });

  it("refuses a chunk size under ECR's 5 MiB minimum before sending anything", async () => {
    // Act
    const failure = copyImage({
      source: { registry: source.host, repository: 'team/app', tag: 'v1' },
      destination: { registry: destination.host, repository: 'mirror/app', tag: 'v1' },
      // Credentials travel only over TLS: the ECR stand-in serves HTTPS with a self-signed certificate.
      plainHttp: (host) => host === source.host,
      insecureTls: true,
      chunkSize: 4 * MiB,
    });

    // Assess
    await expect(failure).rejects.toThrow('chunkSize must be an integer of at least 5242880 bytes (5 MiB)');
    expect(destination.requests).toHaveLength(0);
  });
});
