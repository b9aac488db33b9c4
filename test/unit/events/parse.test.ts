import { readdirSync } from 'node:fs';
import {
  EventParseError,
  MAX_TAGS,
  parseEvent,
  parseEventJson,
  parseSqsRecordBody,
} from '../../../shared/events';
import type { NormalizedEvent } from '../../../shared/domain/types';
import {
  DIGEST_API,
  DIGEST_NODE,
  DIGEST_WORKER,
  FIXTURES_DIR,
  fixture,
  fixtureText,
  type RawEvent,
} from './fixtures';

const zero = { UNDEFINED: 0, INFORMATIONAL: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
const common = { account: '111122223333', region: 'eu-west-1' };
/** Events whose envelope lists resource ARNs: the accounts inside them. */
const withArns = { resourceAccounts: ['111122223333'] };

const EXPECTED: Record<string, NormalizedEvent | { ignored: string }> = {
  'ecr-image-push': {
    id: '13cde686-328b-6117-af20-0e5566167482',
    kind: 'image.pushed',
    ...common,
    repository: 'payments/api',
    digest: DIGEST_API,
    tags: ['v1.4.2'],
    time: '2026-11-20T09:15:02Z',
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
  },
  'ecr-image-push-git': {
    id: '5b6e1c2a-7d41-4a3c-9a55-1f0e2d3c4b5a',
    kind: 'image.pushed',
    ...common,
    repository: 'payments/api',
    digest: DIGEST_API,
    tags: ['git-3f2a1bc'],
    time: '2026-11-20T09:14:40Z',
  },
  'ecr-image-push-by-digest': {
    id: '0d5a3b9e-2c1f-4e8d-b7a6-9c8d7e6f5a4b',
    kind: 'image.pushed',
    ...common,
    repository: 'payments/worker',
    digest: DIGEST_WORKER,
    tags: [],
    time: '2026-11-20T09:13:11Z',
  },
  'ecr-image-push-failed': { ignored: 'ECR Image Action "PUSH" with result FAILED changed nothing' },
  'ecr-image-push-unmanaged': {
    id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
    kind: 'image.pushed',
    ...common,
    repository: 'sandbox/experiment',
    digest: DIGEST_NODE,
    tags: ['latest'],
    time: '2026-11-20T10:01:00Z',
  },
  'ecr-image-delete': {
    id: 'c2d9e8f7-a6b5-4c4d-9e3f-2a1b0c9d8e7f',
    kind: 'image.deleted',
    ...common,
    repository: 'payments/worker',
    digest: DIGEST_WORKER,
    tags: ['pr-1287'],
    time: '2026-11-21T02:00:17Z',
  },
  'ecr-image-archive': {
    id: 'f4e3d2c1-b0a9-4f8e-8d7c-6b5a4f3e2d1c',
    kind: 'image.storage-class-changed',
    ...common,
    repository: 'platform/tools',
    digest: DIGEST_NODE,
    tags: ['2025.10.1'],
    time: '2026-11-22T04:30:00Z',
    storageClass: 'ARCHIVE',
  },
  'ecr-image-scan-basic': {
    id: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae',
    kind: 'scan.completed',
    ...common,
    ...withArns,
    repository: 'payments/api',
    digest: DIGEST_API,
    tags: ['v1.4.2', 'v1.4', 'v1', 'latest'],
    time: '2026-11-20T09:16:45Z',
    scanner: 'basic',
    severityCounts: { ...zero, HIGH: 2, MEDIUM: 3, LOW: 5 },
    uncountedFindings: 0,
  },
  'ecr-image-scan-basic-clean': {
    id: '2f1e0d9c-8b7a-4c6d-9e5f-4a3b2c1d0e9f',
    kind: 'scan.completed',
    ...common,
    ...withArns,
    repository: 'payments/worker',
    digest: DIGEST_WORKER,
    tags: ['v2.0.1', 'v2.0', 'v2'],
    time: '2026-11-20T09:20:03Z',
    scanner: 'basic',
    severityCounts: zero,
    uncountedFindings: 0,
  },
  'ecr-image-scan-failed': { ignored: 'ECR Image Scan with scan-status "FAILED" has no findings to judge' },
  'inspector2-scan': {
    id: '28a43ed5-a96b-4d4b-a8c1-2b1a8e5f7e2d',
    kind: 'scan.completed',
    ...common,
    ...withArns,
    repository: 'platform/base-images/node',
    digest: DIGEST_NODE,
    tags: ['22.11.0', '22'],
    time: '2026-11-20T09:17:12Z',
    scanner: 'enhanced',
    severityCounts: { ...zero, HIGH: 1, MEDIUM: 4 },
    uncountedFindings: 7,
  },
  'inspector2-finding': {
    id: 'efb7474e-473e-dfb6-c5fb-6476e2a875f3',
    kind: 'finding.updated',
    ...common,
    ...withArns,
    repository: 'payments/api',
    digest: DIGEST_API,
    tags: ['v1.4.2', 'v1.4', 'v1', 'latest'],
    time: '2026-11-21T06:02:41Z',
    scanner: 'enhanced',
    status: 'ACTIVE',
    finding: {
      id: 'CVE-2022-37434',
      severity: 'CRITICAL',
      packageName: 'zlib',
      installedVersion: '1.2.12-r1',
      fixedVersion: '1.2.12-r2',
      url: 'https://nvd.nist.gov/vuln/detail/CVE-2022-37434',
    },
  },
  'ecr-replication-success': {
    id: 'c8b133b1-6029-ee73-e2a1-4f466b8ba999',
    kind: 'replication.completed',
    account: '111122223333',
    region: 'eu-central-1',
    ...withArns,
    repository: 'payments/api',
    digest: DIGEST_API,
    tags: ['v1.4.2'],
    time: '2026-11-20T09:15:41Z',
    result: 'SUCCESS',
  },
  'ecr-replication-failed': {
    id: 'd9c244c2-713a-ff84-f3b2-5a577c9cb0aa',
    kind: 'replication.completed',
    account: '111122223333',
    region: 'eu-central-1',
    ...withArns,
    repository: 'payments/worker',
    digest: DIGEST_WORKER,
    tags: [],
    time: '2026-11-20T09:16:02Z',
    result: 'FAILED',
  },
  'ecr-pull-through-cache': {
    ignored: 'ECR Pull Through Cache Action events from aws.ecr are not handled by Harbormaster',
  },
};

/** Expects `fn` to throw an EventParseError with exactly `message`. */
function expectParseError(fn: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(EventParseError);
  expect((thrown as Error).message).toBe(message);
  expect((thrown as Error).message).not.toContain('\n');
}

describe('parseEvent: every fixture', () => {
  it('has an expectation for every fixture file', () => {
    // Prepare
    const files = readdirSync(FIXTURES_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
    // Assess
    expect(files.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.keys(EXPECTED))('%s parses to the exact normalized event', (name) => {
    // Act
    const parsed = parseEvent(fixture(name));
    // Assess
    expect(parsed).toStrictEqual(EXPECTED[name]);
  });

  it.each(Object.keys(EXPECTED))('%s parses the same from JSON text and from an SQS record body', (name) => {
    // Act / Assess
    expect(parseEventJson(fixtureText(name))).toStrictEqual(EXPECTED[name]);
    expect(parseSqsRecordBody(fixtureText(name))).toStrictEqual(EXPECTED[name]);
  });
});

describe('parseEvent: shapes AWS may send', () => {
  it('treats a missing image-tag like an empty one (push by digest)', () => {
    const event = fixture('ecr-image-push');
    delete event.detail['image-tag'];
    expect(parseEvent(event)).toMatchObject({ kind: 'image.pushed', tags: [] });
  });

  it('treats missing finding-severity-counts as all zero', () => {
    const event = fixture('ecr-image-scan-basic');
    delete event.detail['finding-severity-counts'];
    expect(parseEvent(event)).toMatchObject({ severityCounts: zero });
  });

  it('maps UNTRIAGED to UNDEFINED in counts and in findings', () => {
    const scan = fixture('ecr-image-scan-basic');
    scan.detail['finding-severity-counts'] = { UNTRIAGED: 2, UNDEFINED: 1 };
    const finding = fixture('inspector2-finding');
    finding.detail.severity = 'UNTRIAGED';
    expect(parseEvent(scan)).toMatchObject({ severityCounts: { ...zero, UNDEFINED: 3 } });
    expect(parseEvent(finding)).toMatchObject({ finding: { severity: 'UNDEFINED' } });
  });

  it('excludes TOTAL from the counts and never reports negative uncounted findings', () => {
    const event = fixture('inspector2-scan');
    event.detail['finding-severity-counts'] = { CRITICAL: 2, HIGH: 0, MEDIUM: 0, TOTAL: 1 };
    expect(parseEvent(event)).toMatchObject({
      severityCounts: { ...zero, CRITICAL: 2 },
      uncountedFindings: 0,
    });
  });

  it('accepts a plain repository name where Inspector2 Scan usually has an ARN', () => {
    const event = fixture('inspector2-scan');
    event.detail['repository-name'] = 'platform/base-images/node';
    expect(parseEvent(event)).toMatchObject({ repository: 'platform/base-images/node' });
  });

  it('turns a GovCloud repository ARN into the name', () => {
    const event = fixture('inspector2-scan');
    event.detail['repository-name'] = 'arn:aws-us-gov:ecr:us-gov-west-1:111122223333:repository/team/app';
    expect(parseEvent(event)).toMatchObject({ repository: 'team/app' });
  });

  it('deduplicates repeated tags', () => {
    const event = fixture('ecr-image-scan-basic');
    event.detail['image-tags'] = ['v1', 'v1', 'latest'];
    expect(parseEvent(event)).toMatchObject({ tags: ['v1', 'latest'] });
  });

  it('accepts exactly the tag cap', () => {
    const event = fixture('ecr-image-scan-basic');
    event.detail['image-tags'] = Array.from({ length: MAX_TAGS }, (_, i) => `t${i}`);
    expect(parseEvent(event)).toMatchObject({ kind: 'scan.completed' });
  });

  it('tolerates extra fields AWS may add', () => {
    const event = fixture('ecr-image-push');
    event.detail['new-field'] = { anything: true };
    event['extra'] = 1;
    expect(parseEvent(event)).toMatchObject({ kind: 'image.pushed' });
  });

  it.each([
    [
      'an Inspector2 Scan that is not the initial scan',
      'inspector2-scan',
      (e: RawEvent) => (e.detail['scan-status'] = 'RESCAN'),
      'Inspector2 Scan with scan-status "RESCAN" is not a completed image scan',
    ],
    [
      'an Inspector2 Finding about an EC2 instance',
      'inspector2-finding',
      (e: RawEvent) => (e.detail.resources[0].type = 'AWS_EC2_INSTANCE'),
      'Inspector2 Finding for a "AWS_EC2_INSTANCE" resource is not about an ECR image',
    ],
    [
      'an unknown ECR action-type',
      'ecr-image-push',
      (e: RawEvent) => (e.detail['action-type'] = 'TAG_COPY'),
      'ECR Image Action with action-type "TAG_COPY" is not handled',
    ],
  ])('ignores %s', (_name, file, mutate, reason) => {
    const event = fixture(file);
    mutate(event);
    expect(parseEvent(event)).toStrictEqual({ ignored: reason });
  });
});

describe('parseEvent: bad input names the field', () => {
  it.each<[string, string, (e: RawEvent) => void, string]>([
    [
      'a numeric digest',
      'ecr-image-push',
      (e) => (e.detail['image-digest'] = 42),
      'detail.image-digest: expected a sha256 digest (sha256: and 64 hex characters), got 42',
    ],
    [
      'a missing digest',
      'ecr-image-push',
      (e) => delete e.detail['image-digest'],
      'detail.image-digest: expected a sha256 digest (sha256: and 64 hex characters), but it is missing',
    ],
    [
      'a short digest (like the one in the ECR docs sample)',
      'ecr-image-push',
      (e) =>
        (e.detail['image-digest'] = 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234'),
      'detail.image-digest: expected a sha256 digest (sha256: and 64 hex characters), got "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234"',
    ],
    [
      'a scan digest of the wrong type',
      'inspector2-scan',
      (e) => (e.detail['image-digest'] = ['sha256:x']),
      'detail.image-digest: expected a sha256 digest (sha256: and 64 hex characters), got an array of 1',
    ],
    [
      'an ARN where ECR puts a name',
      'ecr-image-push',
      (e) => (e.detail['repository-name'] = 'arn:aws:ecr:eu-west-1:111122223333:repository/payments/api'),
      'detail.repository-name: expected a repository name, not an ARN, got "arn:aws:ecr:eu-west-1:111122223333:repository/payments/api"',
    ],
    [
      'an ARN that is not an ECR repository',
      'inspector2-scan',
      (e) => (e.detail['repository-name'] = 'arn:aws:s3:::bucket/key'),
      'detail.repository-name: expected an ECR repository ARN such as arn:aws:ecr:us-east-1:123456789012:repository/my-repo, got "arn:aws:s3:::bucket/key"',
    ],
    [
      'an uppercase repository name',
      'ecr-image-delete',
      (e) => (e.detail['repository-name'] = 'Payments/API'),
      'detail.repository-name: expected an ECR repository name (lowercase [a-z0-9] components separated by ".", "_", "-" or "/"), got "Payments/API"',
    ],
    [
      'thousands of tags',
      'ecr-image-scan-basic',
      (e) => (e.detail['image-tags'] = Array.from({ length: 5000 }, (_, i) => `t${i}`)),
      'detail.image-tags: expected at most 1000 image tags, got an array of 5000',
    ],
    [
      'a tag that is not a string',
      'ecr-image-scan-basic',
      (e) => (e.detail['image-tags'] = ['v1', 7]),
      'detail.image-tags[1]: expected an image tag, got 7',
    ],
    [
      'a tag with a space',
      'ecr-image-push',
      (e) => (e.detail['image-tag'] = 'v1 beta'),
      'detail.image-tag: expected an image tag of [A-Za-z0-9._-], at most 300 characters, got "v1 beta"',
    ],
    [
      'an unknown severity name',
      'ecr-image-scan-basic',
      (e) => (e.detail['finding-severity-counts'] = { HIGH: 1, SEVERE: 2 }),
      'detail.finding-severity-counts.SEVERE: expected a severity name (one of UNDEFINED, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNTRIAGED, TOTAL), got "SEVERE"',
    ],
    [
      'a negative count',
      'inspector2-scan',
      (e) => (e.detail['finding-severity-counts'] = { HIGH: -1 }),
      'detail.finding-severity-counts.HIGH: expected a non-negative integer count, got -1',
    ],
    [
      'a count as a string',
      'ecr-image-scan-basic',
      (e) => (e.detail['finding-severity-counts'] = { HIGH: '2' }),
      'detail.finding-severity-counts.HIGH: expected a non-negative integer count, got "2"',
    ],
    [
      'an unknown finding severity',
      'inspector2-finding',
      (e) => (e.detail.severity = 'SEVERE'),
      'detail.severity: expected a severity (UNDEFINED, INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNTRIAGED), got "SEVERE"',
    ],
    [
      'a finding without its image digest',
      'inspector2-finding',
      (e) => delete e.detail.resources[0].details.awsEcrContainerImage.imageHash,
      'detail.resources[0].details.awsEcrContainerImage.imageHash: expected a sha256 digest (sha256: and 64 hex characters), but it is missing',
    ],
    [
      'a finding without vulnerability details',
      'inspector2-finding',
      (e) => delete e.detail.packageVulnerabilityDetails,
      'detail.packageVulnerabilityDetails: expected packageVulnerabilityDetails for a package vulnerability finding, but it is missing',
    ],
    [
      'a replication result that is not SUCCESS or FAILED',
      'ecr-replication-success',
      (e) => (e.detail.result = 'PARTIAL'),
      'detail.result: expected result SUCCESS or FAILED, got "PARTIAL"',
    ],
    [
      'a numeric account',
      'ecr-image-push',
      (e) => (e.account = 111122223333),
      'account: expected a 12-digit AWS account id, got 111122223333',
    ],
    [
      'a time that is not ISO-8601',
      'ecr-image-push',
      (e) => (e.time = 'Nov 20, 2026'),
      'time: expected an ISO-8601 time such as 2026-11-23T01:54:34Z, got "Nov 20, 2026"',
    ],
    [
      'a missing detail',
      'ecr-image-push',
      (e) => delete e.detail,
      'detail: expected the event detail object, but it is missing',
    ],
    [
      'a missing id',
      'ecr-image-push',
      (e) => delete e.id,
      'id: expected the event id as a string, but it is missing',
    ],
    [
      'a scan-status of the wrong type',
      'ecr-image-scan-basic',
      (e) => (e.detail['scan-status'] = 1),
      'detail.scan-status: expected scan-status as a string, got 1',
    ],
  ])('rejects %s', (_name, file, mutate, message) => {
    // Prepare
    const event = fixture(file);
    mutate(event);
    // Act / Assess
    expectParseError(() => parseEvent(event), message);
  });

  it.each([
    ['null', null, '(event): expected an EventBridge event object, got null'],
    [
      'an array',
      [fixture('ecr-image-push')],
      '(event): expected an EventBridge event object, got an array of 1',
    ],
    ['a string', 'ECR Image Action', '(event): expected an EventBridge event object, got "ECR Image Action"'],
  ])('rejects %s instead of an envelope', (_name, raw, message) => {
    expectParseError(() => parseEvent(raw), message);
  });
});

describe('parseEventJson', () => {
  it('names truncated JSON as such, in one line', () => {
    const text = fixtureText('ecr-image-push').slice(0, 120);
    expect(() => parseEventJson(text)).toThrow(/^\(event\): expected JSON text \([^\n]*JSON[^\n]*\)$/);
  });

  it('names empty input', () => {
    expect(() => parseEventJson('  ')).toThrow('(event): expected JSON text (the input is empty)');
  });

  it('refuses input far larger than any EventBridge event', () => {
    const text = ' '.repeat(1024 * 1024 + 1);
    expect(() => parseEventJson(text)).toThrow(/^\(event\): expected at most 1048576 bytes/);
  });

  it('carries the JSON error as the cause', () => {
    let thrown: unknown;
    try {
      parseEventJson('{"version":');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(EventParseError);
    expect((thrown as EventParseError).cause).toBeInstanceOf(SyntaxError);
    expect((thrown as EventParseError).path).toBe('(event)');
  });
});
