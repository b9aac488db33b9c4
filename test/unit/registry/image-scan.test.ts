import { DescribeImageScanFindingsCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { readScanState, ScanReadError } from '../../../shared/registry/image-scan';

const ecr = mockClient(ECRClient);
const client = new ECRClient({ region: 'eu-west-1' });
const IMAGE = { repository: 'payments/api', digest: `sha256:${'a'.repeat(64)}` };

describe('readScanState', () => {
  beforeEach(() => ecr.reset());

  it('reads status and counts with one call for one result, zero-filling missing severities', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: 'COMPLETE' },
      imageScanFindings: { findingSeverityCounts: { HIGH: 2, LOW: 1 } },
    });

    // Act
    const scan = await readScanState(client, IMAGE);

    // Assess
    expect(scan).toEqual({
      state: 'final',
      status: 'COMPLETE',
      counts: { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 1, MEDIUM: 0, HIGH: 2, CRITICAL: 0 },
    });
    expect(ecr).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, {
      repositoryName: 'payments/api',
      imageId: { imageDigest: IMAGE.digest },
      maxResults: 1,
    });
  });

  it('treats an enhanced ACTIVE scan as final and maps UNTRIAGED to UNDEFINED', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: 'ACTIVE' },
      imageScanFindings: { findingSeverityCounts: { UNTRIAGED: 3 } as never },
    });

    // Act
    const scan = await readScanState(client, IMAGE);

    // Assess
    expect(scan).toMatchObject({ state: 'final', status: 'ACTIVE', counts: { UNDEFINED: 3 } });
  });

  it.each(['IN_PROGRESS', 'PENDING'] as const)('reports %s as pending', async (status) => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status } });

    // Act + Assess
    await expect(readScanState(client, IMAGE)).resolves.toEqual({ state: 'pending', status });
  });

  it('reports a scan that ended without findings as failed, with its description', async () => {
    // Prepare
    ecr
      .on(DescribeImageScanFindingsCommand)
      .resolves({ imageScanStatus: { status: 'UNSUPPORTED_IMAGE', description: 'unsupported OS' } });

    // Act + Assess
    await expect(readScanState(client, IMAGE)).resolves.toEqual({
      state: 'failed',
      status: 'UNSUPPORTED_IMAGE',
      description: 'unsupported OS',
    });
  });

  it('reports ScanNotFoundException as not-found', async () => {
    // Prepare
    ecr
      .on(DescribeImageScanFindingsCommand)
      .rejects(Object.assign(new Error('no scan'), { name: 'ScanNotFoundException' }));

    // Act + Assess
    await expect(readScanState(client, IMAGE)).resolves.toEqual({ state: 'not-found' });
  });

  it('wraps any other AWS error with the image and keeps it as the cause', async () => {
    // Prepare
    const denied = Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' });
    ecr.on(DescribeImageScanFindingsCommand).rejects(denied);

    // Act
    const error = await readScanState(client, { ...IMAGE, label: 'payments/api:v1' }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(ScanReadError);
    expect((error as Error).message).toBe(
      'DescribeImageScanFindings for payments/api:v1 failed: AccessDeniedException: not allowed',
    );
    expect((error as Error).cause).toBe(denied);
  });

  it('rejects counts with an unknown severity name, naming the image', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: 'COMPLETE' },
      imageScanFindings: { findingSeverityCounts: { SEVERE: 1 } as never },
    });

    // Act
    const error = await readScanState(client, IMAGE).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ScanReadError);
    expect((error as Error).message).toMatch(/^unexpected severity counts for payments\/api@sha256:a{64}: /);
    expect((error as Error).cause).toBeUndefined();
  });
});
