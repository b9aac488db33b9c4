import {
  ADMIN_ACTIONS,
  PULL_ACTIONS,
  PUSH_ACTIONS,
  buildRepositoryPolicy,
  principalArn,
  repositoryPolicyText,
} from '../../../shared/access/repository-policy';

const CI = 'arn:aws:iam::111122223333:role/payments-ci';
const RUNTIME = 'arn:aws:iam::111122223333:role/payments-runtime';
const ADMIN = 'arn:aws:iam::111122223333:role/platform-admin';

describe('buildRepositoryPolicy', () => {
  it('gives push principals push and pull, pull principals pull, admins delete', () => {
    // Act
    const policy = buildRepositoryPolicy({ push: [CI], pull: [RUNTIME, '444455556666'], admin: [ADMIN] });

    // Assess
    expect(policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'HarbormasterPush', Effect: 'Allow', Principal: { AWS: [CI] }, Action: [...PUSH_ACTIONS] },
        {
          Sid: 'HarbormasterPull',
          Effect: 'Allow',
          Principal: {
            AWS: ['arn:aws:iam::111122223333:role/payments-runtime', 'arn:aws:iam::444455556666:root'],
          },
          Action: [...PULL_ACTIONS],
        },
        {
          Sid: 'HarbormasterAdmin',
          Effect: 'Allow',
          Principal: { AWS: [ADMIN] },
          Action: [...ADMIN_ACTIONS],
        },
      ],
    });
  });

  it('grants exactly the image read actions to pull, and upload actions on top to push', () => {
    expect([...PULL_ACTIONS]).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
    ]);
    expect(PUSH_ACTIONS.filter((a) => !(PULL_ACTIONS as readonly string[]).includes(a))).toEqual([
      'ecr:CompleteLayerUpload',
      'ecr:InitiateLayerUpload',
      'ecr:PutImage',
      'ecr:UploadLayerPart',
    ]);
    expect(ADMIN_ACTIONS).toContain('ecr:BatchDeleteImage');
    expect([...PULL_ACTIONS, ...PUSH_ACTIONS]).not.toContain('ecr:BatchDeleteImage');
  });

  it('omits roles without principals and returns undefined when there are none', () => {
    expect(buildRepositoryPolicy({ pull: [RUNTIME] })?.Statement.map((s) => s.Sid)).toEqual([
      'HarbormasterPull',
    ]);
    expect(buildRepositoryPolicy({ push: [], pull: [], admin: [] })).toBeUndefined();
    expect(buildRepositoryPolicy(undefined)).toBeUndefined();
    expect(repositoryPolicyText(undefined)).toBeUndefined();
  });

  it('deduplicates a principal listed twice', () => {
    expect(
      buildRepositoryPolicy({ pull: ['444455556666', '444455556666'] })?.Statement[0].Principal.AWS,
    ).toEqual(['arn:aws:iam::444455556666:root']);
  });

  it('never produces a "*" principal', () => {
    expect(() => buildRepositoryPolicy({ pull: ['*'] })).toThrow(/wildcard principal is never allowed/);
    expect(() => principalArn('arn:aws:iam::111122223333:role/*')).toThrow(/wildcard principal/);
  });

  it('uses the given partition for account principals', () => {
    expect(principalArn('444455556666', 'aws-cn')).toBe('arn:aws-cn:iam::444455556666:root');
  });

  it('renders the text ECR takes', () => {
    expect(JSON.parse(repositoryPolicyText({ pull: [RUNTIME] }) ?? '')).toEqual(
      buildRepositoryPolicy({ pull: [RUNTIME] }),
    );
  });
});
