import { matchesPattern } from '../../sandbox/event-pattern';
import { wildcardAsMotoRegex } from '../../sandbox/provision';

/** The sandbox's EventBridge matcher against the documented semantics it relies on (no emulator needed). */
describe('sandbox EventBridge matcher', () => {
  const finding = {
    source: 'aws.inspector2',
    detail: {
      resources: [
        { type: 'AWS_EC2_INSTANCE', details: {} },
        {
          type: 'AWS_ECR_CONTAINER_IMAGE',
          details: { awsEcrContainerImage: { repositoryName: 'payments/api' } },
        },
      ],
    },
  };
  const pattern = {
    source: ['aws.inspector2'],
    detail: {
      resources: {
        type: ['AWS_ECR_CONTAINER_IMAGE'],
        details: { awsEcrContainerImage: { repositoryName: ['payments/api'] } },
      },
    },
  };

  it('matches a nested pattern against any element of an array of objects', () => {
    expect(matchesPattern(pattern, finding)).toBe(true);
  });

  it('does not match when no element has the repository', () => {
    const other = JSON.parse(JSON.stringify(finding).replace('payments/api', 'sandbox/experiment'));
    expect(matchesPattern(pattern, other)).toBe(false);
  });

  it('matches a scalar field against any value of the list, and a missing field only with exists:false', () => {
    expect(matchesPattern({ detail: { tag: ['a', 'b'] } }, { detail: { tag: 'b' } })).toBe(true);
    expect(matchesPattern({ detail: { tag: ['a'] } }, { detail: {} })).toBe(false);
    expect(matchesPattern({ detail: { tag: [{ exists: false }] } }, { detail: {} })).toBe(true);
  });

  it('applies prefix, anything-but and numeric filters', () => {
    expect(matchesPattern({ r: [{ prefix: 'pay' }] }, { r: 'payments/api' })).toBe(true);
    expect(matchesPattern({ r: [{ 'anything-but': ['payments/api'] }] }, { r: 'payments/api' })).toBe(false);
    expect(matchesPattern({ n: [{ numeric: ['>', 0, '<=', 5] }] }, { n: 5 })).toBe(true);
  });

  it("hands moto an anchored regex with the wildcard's meaning", () => {
    const regex = new RegExp(`^${wildcardAsMotoRegex('v*.*.*')}`);
    expect(['v1.4.2', 'v1.4', 'latest'].map((tag) => regex.test(tag))).toEqual([true, false, false]);
  });

  it('matches a replication result forwarded from its destination region at home: no region filter, same account', () => {
    // EventBridge keeps `region` when a rule forwards an event to another region's bus.
    const forwarded = {
      source: 'aws.ecr',
      'detail-type': 'ECR Replication Action',
      account: '111122223333',
      region: 'eu-central-1',
      detail: { 'repository-name': 'payments/api', 'source-region': 'eu-west-1', result: 'FAILED' },
    };
    const home = {
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action', 'ECR Replication Action'],
      account: ['111122223333'],
      detail: { 'repository-name': ['payments/api'] },
    };
    const atDestination = {
      ...home,
      'detail-type': ['ECR Replication Action'],
      detail: { 'repository-name': ['payments/api'], 'source-region': ['eu-west-1'] },
    };
    expect([home, atDestination].map((p) => matchesPattern(p, forwarded))).toEqual([true, true]);
    expect(matchesPattern(home, { ...forwarded, account: '999988887777' })).toBe(false);
    expect(
      matchesPattern(atDestination, {
        ...forwarded,
        detail: { ...forwarded.detail, 'source-region': 'us-east-1' },
      }),
    ).toBe(false);
  });
});
