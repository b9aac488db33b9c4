import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  ImageAlreadyExistsException,
  ImageTagAlreadyExistsException,
  ListImagesCommand,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  MANIFEST_MEDIA_TYPES,
  RegistryOperationError,
  addTags,
  describeFindings,
  listTaggedVersions,
  removeImageTags,
} from '../../../shared/registry/ecr-images';

const ecr = mockClient(ECRClient);
const client = new ECRClient({ region: 'eu-west-1' });
const DIGEST = `sha256:${'c'.repeat(64)}`;
const MANIFEST = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}';
const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const REF = { repository: 'payments/api', digest: DIGEST };

describe('addTags', () => {
  beforeEach(() => {
    ecr.reset();
    ecr.on(BatchGetImageCommand).resolves({
      images: [
        { imageId: { imageDigest: DIGEST }, imageManifest: MANIFEST, imageManifestMediaType: INDEX_TYPE },
      ],
      failures: [],
    });
  });

  it('reads the manifest once and puts it under each tag with the same bytes and media type', async () => {
    // Prepare
    ecr.on(PutImageCommand).resolves({});

    // Act
    const result = await addTags(client, { ...REF, tags: ['v1.4', 'v1'] });

    // Assess
    expect(result).toEqual({ outcomes: { 'v1.4': 'added', v1: 'added' }, mediaType: INDEX_TYPE });
    expect(ecr).toHaveReceivedCommandTimes(BatchGetImageCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(BatchGetImageCommand, {
      repositoryName: 'payments/api',
      imageIds: [{ imageDigest: DIGEST }],
      acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
    });
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 2);
    for (const tag of ['v1.4', 'v1']) {
      expect(ecr).toHaveReceivedCommandWith(PutImageCommand, {
        repositoryName: 'payments/api',
        imageManifest: MANIFEST,
        imageManifestMediaType: INDEX_TYPE,
        imageDigest: DIGEST,
        imageTag: tag,
      });
    }
  });

  it('counts ImageAlreadyExistsException as success and reports an immutable tag without retrying it', async () => {
    // Prepare
    ecr
      .on(PutImageCommand, { imageTag: 'v1.4' })
      .rejects(new ImageAlreadyExistsException({ message: 'exists', $metadata: {} }))
      .on(PutImageCommand, { imageTag: 'v1' })
      .rejects(new ImageTagAlreadyExistsException({ message: 'immutable', $metadata: {} }))
      .on(PutImageCommand, { imageTag: 'latest' })
      .resolves({});

    // Act
    const result = await addTags(client, { ...REF, tags: ['v1.4', 'v1', 'latest'] });

    // Assess
    expect(result.outcomes).toEqual({ 'v1.4': 'present', v1: 'immutable', latest: 'added' });
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 3);
  });

  it('throws RegistryOperationError with the cause on any other PutImage error', async () => {
    // Prepare
    const cause = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    ecr.on(PutImageCommand).rejects(cause);

    // Act
    const error = await addTags(client, { ...REF, tags: ['v1'] }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RegistryOperationError);
    expect((error as Error).message).toBe(`PutImage of tag v1 failed for payments/api@${DIGEST}`);
    expect((error as Error).cause).toBe(cause);
  });

  it('fails clearly when the image is gone', async () => {
    // Prepare
    ecr.on(BatchGetImageCommand).resolves({
      images: [],
      failures: [
        {
          imageId: { imageDigest: DIGEST },
          failureCode: 'ImageNotFound',
          failureReason: 'Requested image not found',
        },
      ],
    });

    // Act / Assess
    await expect(addTags(client, { ...REF, tags: ['v1'] })).rejects.toThrow(
      `BatchGetImage found no manifest for payments/api@${DIGEST} (ImageNotFound: Requested image not found)`,
    );
    expect(ecr).toHaveReceivedCommandTimes(PutImageCommand, 0);
  });

  it('makes no call for no tags', async () => {
    // Act
    await addTags(client, { ...REF, tags: [] });

    // Assess
    expect(ecr.calls()).toHaveLength(0);
  });
});

describe('removeImageTags', () => {
  beforeEach(() => {
    ecr.reset();
  });

  it('removes digest+tag pairs (a tag moved to another image is left alone), at most 100 per call', async () => {
    // Prepare
    ecr
      .on(BatchDeleteImageCommand)
      .resolves({ imageIds: [{ imageTag: 'v1.4.2', imageDigest: DIGEST }], failures: [] });

    // Act
    const result = await removeImageTags(client, { ...REF, tags: ['v1.4.2', 'v1.4'] });
    const many = Array.from({ length: 101 }, (_, i) => `t${i}`);
    await removeImageTags(client, { ...REF, tags: many });

    // Assess
    expect(ecr).toHaveReceivedCommandTimes(BatchDeleteImageCommand, 3);
    expect(ecr).toHaveReceivedNthCommandWith(1, BatchDeleteImageCommand, {
      repositoryName: 'payments/api',
      imageIds: [
        { imageDigest: DIGEST, imageTag: 'v1.4.2' },
        { imageDigest: DIGEST, imageTag: 'v1.4' },
      ],
    });
    const sizes = ecr.commandCalls(BatchDeleteImageCommand).map((c) => c.args[0].input.imageIds?.length);
    expect(sizes).toEqual([2, 100, 1]);
    expect(result).toEqual({ removed: ['v1.4.2', 'v1.4'], absent: [] });
  });

  it('treats a tag that is already gone as done, and any other failure as an error', async () => {
    // Prepare
    ecr
      .on(BatchDeleteImageCommand)
      .resolvesOnce({
        failures: [{ imageId: { imageTag: 'v1' }, failureCode: 'ImageNotFound', failureReason: 'gone' }],
      })
      .resolvesOnce({
        failures: [{ imageId: { imageTag: 'v2' }, failureCode: 'KmsError', failureReason: 'denied' }],
      });

    // Act
    const first = await removeImageTags(client, { ...REF, tags: ['v1'] });
    const second = await removeImageTags(client, { ...REF, tags: ['v2'] }).catch((e: unknown) => e);

    // Assess
    expect(first).toEqual({ removed: [], absent: ['v1'] });
    expect((second as Error).message).toBe(
      `BatchDeleteImage could not remove tag v2 from payments/api@${DIGEST}: KmsError denied`,
    );
  });
});

describe('describeFindings', () => {
  beforeEach(() => {
    ecr.reset();
  });

  it('normalizes basic findings (package attributes) and enhanced findings (fixed version, UNTRIAGED)', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanFindings: {
        findings: [
          {
            name: 'CVE-2023-45853',
            severity: 'CRITICAL',
            uri: 'https://security-tracker.debian.org/tracker/CVE-2023-45853',
            attributes: [
              { key: 'package_version', value: '1:1.2.13.dfsg-1' },
              { key: 'package_name', value: 'zlib' },
            ],
          },
        ],
        enhancedFindings: [
          {
            severity: 'HIGH',
            packageVulnerabilityDetails: {
              vulnerabilityId: 'CVE-2024-3094',
              sourceUrl: 'https://nvd.nist.gov/vuln/detail/CVE-2024-3094',
              vulnerablePackages: [{ name: 'xz-utils', version: '5.6.0', fixedInVersion: '5.6.1' }],
            },
          },
          {
            severity: 'UNTRIAGED',
            packageVulnerabilityDetails: {
              vulnerabilityId: 'GHSA-xxxx',
              vulnerablePackages: [{ name: 'left-pad', version: '1.0.0', fixedInVersion: 'NotAvailable' }],
            },
          },
        ],
      },
    });

    // Act
    const result = await describeFindings(client, REF, { max: 1000 });

    // Assess
    expect(ecr).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, {
      repositoryName: 'payments/api',
      imageId: { imageDigest: DIGEST },
      maxResults: 1000,
    });
    expect(result).toEqual({
      complete: true,
      findings: [
        {
          id: 'CVE-2023-45853',
          severity: 'CRITICAL',
          packageName: 'zlib',
          installedVersion: '1:1.2.13.dfsg-1',
          url: 'https://security-tracker.debian.org/tracker/CVE-2023-45853',
        },
        {
          id: 'CVE-2024-3094',
          severity: 'HIGH',
          packageName: 'xz-utils',
          installedVersion: '5.6.0',
          fixedVersion: '5.6.1',
          url: 'https://nvd.nist.gov/vuln/detail/CVE-2024-3094',
        },
        { id: 'GHSA-xxxx', severity: 'UNDEFINED', packageName: 'left-pad', installedVersion: '1.0.0' },
      ],
    });
  });

  it('pages only as far as max needs', async () => {
    // Prepare
    const page = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({ name: `CVE-${from + i}`, severity: 'LOW' as const }));
    ecr
      .on(DescribeImageScanFindingsCommand)
      .resolvesOnce({ imageScanFindings: { findings: page(3, 0) }, nextToken: 't1' })
      .resolvesOnce({ imageScanFindings: { findings: page(2, 3) }, nextToken: 't2' });

    // Act
    const result = await describeFindings(client, REF, { max: 5 });

    // Assess
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 2);
    expect(ecr).toHaveReceivedNthSpecificCommandWith(1, DescribeImageScanFindingsCommand, { maxResults: 5 });
    expect(ecr).toHaveReceivedNthSpecificCommandWith(2, DescribeImageScanFindingsCommand, {
      maxResults: 2,
      nextToken: 't1',
    });
    expect(result.findings.map((f) => f.id)).toEqual(['CVE-0', 'CVE-1', 'CVE-2', 'CVE-3', 'CVE-4']);
    expect(result.complete).toBe(false);
  });

  it('refuses an unknown severity instead of dropping the finding', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanFindings: { findings: [{ name: 'CVE-1', severity: 'SEVERE' as never }] },
    });

    // Act / Assess
    await expect(describeFindings(client, REF, { max: 10 })).rejects.toThrow(
      'finding CVE-1: unknown finding severity "SEVERE"',
    );
  });
});

describe('listTaggedVersions', () => {
  beforeEach(() => {
    ecr.reset();
  });

  it('lists tagged images only and stops at maxTags', async () => {
    // Prepare
    ecr
      .on(ListImagesCommand)
      .resolvesOnce({ imageIds: [{ imageTag: 'v1.4.1' }, { imageTag: 'v1.3.0' }], nextToken: 'n' })
      .resolvesOnce({ imageIds: [{ imageTag: 'v2.0.0' }] });

    // Act
    const all = await listTaggedVersions(client, { repository: 'payments/api' });
    ecr.reset();
    ecr
      .on(ListImagesCommand)
      .resolves({ imageIds: [{ imageTag: 'a' }, { imageTag: 'b' }], nextToken: 'more' });
    const bounded = await listTaggedVersions(client, { repository: 'payments/api', maxTags: 2 });

    // Assess
    expect(all).toMatchObject({ tags: ['v1.4.1', 'v1.3.0', 'v2.0.0'], complete: true });
    expect(bounded).toMatchObject({ tags: ['a', 'b'], complete: false });
    expect(ecr).toHaveReceivedCommandTimes(ListImagesCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(ListImagesCommand, {
      repositoryName: 'payments/api',
      filter: { tagStatus: 'TAGGED' },
      maxResults: 1000,
    });
  });
});
