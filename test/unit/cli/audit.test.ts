import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { AuditStore } from '../../../shared/audit/timeline-store';
import { configureCliDeps } from '../../../shared/cli/aws-options';
import { run } from '../../../shared/cli/main';
import type { AuditEntry } from '../../../shared/domain/types';
import { createAuditTable, startDynalite, type DynaliteHandle } from '../../support/dynalite';

const ecr = mockClient(ECRClient);
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const NOW = Date.parse('2026-11-20T12:00:00Z');

function entry(overrides: Partial<AuditEntry>): AuditEntry {
  return {
    repository: 'payments/api',
    digest: DIGEST_A,
    action: 'pushed',
    time: '2026-11-20T09:00:00Z',
    eventId: 'evt-1',
    ...overrides,
  };
}

describe('harbormaster audit (against dynalite)', () => {
  let db: DynaliteHandle;
  let tableName: string;
  let tableCounter = 0;
  let out: string;
  let err: string;

  beforeAll(async () => {
    db = await startDynalite();
  });

  afterAll(async () => {
    await db.close();
  });

  beforeEach(async () => {
    ecr.reset();
    tableCounter += 1;
    tableName = `cli-audit-${tableCounter}`;
    await createAuditTable(db.client, tableName);
    const store = new AuditStore(db.client, { tableName, retentionDays: 30 });
    await store.record(
      entry({ action: 'pushed', time: '2026-11-20T09:00:00Z', eventId: 'evt-push', tags: ['v1.4.2'] }),
    );
    await store.record(
      entry({
        action: 'verdict',
        time: '2026-11-20T09:02:00Z',
        eventId: 'evt-scan',
        detail: {
          result: 'fail',
          highestSeverity: 'CRITICAL',
          reason: 'fail: 1 CRITICAL above threshold MEDIUM',
          findingIds: ['CVE-2024-1'],
        },
      }),
    );
    await store.record(
      entry({
        action: 'pushed',
        time: '2026-11-01T09:00:00Z',
        eventId: 'evt-old',
        digest: DIGEST_B,
        tags: ['v1.3.0'],
      }),
    );
    out = '';
    err = '';
    configureCliDeps({
      dynamodb: () => db.client,
      now: () => new Date(NOW),
      env: { HARBORMASTER_AUDIT_TABLE: tableName },
      out: (text) => {
        out += text;
      },
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
      err += String(text);
      return true;
    });
  });

  afterEach(() => {
    jest.restoreAllMocks();
    configureCliDeps();
  });

  it("resolves a tag to its digest and prints the image's timeline newest first as an aligned table", async () => {
    // Prepare
    ecr
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageDigest: DIGEST_A, imageTags: ['v1.4.2'] }] });

    // Act
    const code = await run(['audit', 'payments/api:v1.4.2', '--region', 'eu-west-1']);

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: 'payments/api',
      imageIds: [{ imageTag: 'v1.4.2' }],
    });
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe(`payments/api:v1.4.2 (${DIGEST_A})`);
    expect(lines[2]).toMatch(/^TIME {18}ACTION {3}TAGS {4}DETAIL$/);
    expect(lines[3]).toBe('2026-11-20 09:02:00Z  verdict          fail: 1 CRITICAL above threshold MEDIUM');
    expect(lines[4]).toBe('2026-11-20 09:00:00Z  pushed   v1.4.2');
    expect(lines).toHaveLength(5);
  });

  it("prints the repository's timeline across images with --json, honouring --since", async () => {
    // Act
    const code = await run(['audit', 'payments/api', '--since', '7d', '--json', '--table', tableName]);

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
    const report = JSON.parse(out);
    expect(report.since).toBe('2026-11-13T12:00:00.000Z');
    expect(report.entries.map((e: AuditEntry) => [e.action, e.eventId])).toEqual([
      ['verdict', 'evt-scan'],
      ['pushed', 'evt-push'],
    ]);
    expect(report.entries[0].detail.findingIds).toEqual(['CVE-2024-1']);
    expect(report.truncated).toBe(false);
  });

  it('pages through the table and stops at --limit, saying the list is truncated', async () => {
    // Act
    const code = await run(['audit', 'payments/api', '--limit', '2', '--json']);

    // Assess
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.entries).toHaveLength(2);
    expect(report.truncated).toBe(true);
  });

  it('takes a digest without asking ECR', async () => {
    // Act
    const code = await run(['audit', `payments/api@${DIGEST_B}`]);

    // Assess
    expect(code).toBe(0);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
    expect(out).toContain('2026-11-01 09:00:00Z  pushed  v1.3.0');
  });

  it('exits 2 naming --table and HARBORMASTER_AUDIT_TABLE when no table is given', async () => {
    // Prepare
    configureCliDeps({ dynamodb: () => db.client, env: {}, out: () => undefined });

    // Act
    const code = await run(['audit', 'payments/api']);

    // Assess
    expect(code).toBe(2);
    expect(err).toBe(
      'harbormaster: no audit table: pass --table NAME or set HARBORMASTER_AUDIT_TABLE (the AuditTableName output of the HarbormasterAutomation stack)\n',
    );
  });

  it('exits 2 with one line for an unknown tag, a bad --since and a missing table', async () => {
    // Prepare
    ecr
      .on(DescribeImagesCommand)
      .rejects(Object.assign(new Error('not found'), { name: 'ImageNotFoundException' }));

    // Act
    const codes = [
      await run(['audit', 'payments/api:nope']),
      await run(['audit', 'payments/api', '--since', 'yesterday']),
      await run(['audit', 'payments/api', '--table', 'no-such-table']),
    ];

    // Assess
    expect(codes).toEqual([2, 2, 2]);
    const lines = err.trimEnd().split('\n');
    expect(lines[0]).toBe('harbormaster: image payments/api:nope was not found');
    expect(lines[1]).toBe(
      'harbormaster: --since: expected a duration such as 30s, 10m, 12h or 7d, got "yesterday"',
    );
    expect(lines[2]).toMatch(/^harbormaster: reading audit table no-such-table: ResourceNotFoundException: /);
    expect(lines).toHaveLength(3);
  });
});
