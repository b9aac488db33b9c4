import {
  destinationLabel,
  destinationReference,
  ecrRegistryHost,
  isSourceItself,
  sourceReference,
} from '../../../shared/replication/destination-ref';

const SOURCE = { account: '111122223333', region: 'eu-west-1' };
const DIGEST = `sha256:${'b'.repeat(64)}`;

describe('destination references', () => {
  it('builds the ECR host, with the China suffix in cn- regions', () => {
    expect(ecrRegistryHost('111122223333', 'us-east-1')).toBe('111122223333.dkr.ecr.us-east-1.amazonaws.com');
    expect(ecrRegistryHost('111122223333', 'cn-north-1')).toBe(
      '111122223333.dkr.ecr.cn-north-1.amazonaws.com.cn',
    );
  });

  it('defaults an ECR destination to the source account and prepends the prefix', () => {
    // Act
    const ref = destinationReference(
      { type: 'ecr', region: 'us-east-1', repositoryPrefix: 'dr/' },
      SOURCE,
      'payments/api',
      {
        tag: 'v1.2.3',
      },
    );

    // Assess
    expect(ref).toEqual({
      registry: '111122223333.dkr.ecr.us-east-1.amazonaws.com',
      repository: 'dr/payments/api',
      tag: 'v1.2.3',
    });
  });

  it('uses the destination account for cross-account ECR', () => {
    const ref = destinationReference(
      { type: 'ecr', region: 'eu-west-1', account: '444455556666', repositoryPrefix: '' },
      SOURCE,
      'payments/api',
      { digest: DIGEST },
    );

    expect(ref).toEqual({
      registry: '444455556666.dkr.ecr.eu-west-1.amazonaws.com',
      repository: 'payments/api',
      digest: DIGEST,
    });
  });

  it('writes external registries under their namespace', () => {
    const destination = { type: 'registry' as const, host: 'ghcr.io', repositoryPrefix: 'example-org/' };

    expect(destinationReference(destination, SOURCE, 'payments/api', { tag: 'v1' })).toEqual({
      registry: 'ghcr.io',
      repository: 'example-org/payments/api',
      tag: 'v1',
    });
    expect(destinationLabel(destination, SOURCE, 'payments/api')).toBe('ghcr.io/example-org/payments/api');
  });

  it('reads the source by digest from the managed registry', () => {
    expect(sourceReference(SOURCE, 'payments/api', DIGEST)).toEqual({
      registry: '111122223333.dkr.ecr.eu-west-1.amazonaws.com',
      repository: 'payments/api',
      digest: DIGEST,
    });
  });

  describe('isSourceItself', () => {
    it.each([
      ['same region, no account, no prefix', { region: 'eu-west-1' }, SOURCE, true],
      [
        'same region, same account, no prefix',
        { region: 'eu-west-1', account: '111122223333' },
        SOURCE,
        true,
      ],
      [
        'same region, no account, unknown source account',
        { region: 'eu-west-1' },
        { region: 'eu-west-1' },
        true,
      ],
      ['same region, other account', { region: 'eu-west-1', account: '444455556666' }, SOURCE, false],
      [
        'same region, account given, unknown source account',
        { region: 'eu-west-1', account: '444455556666' },
        { region: 'eu-west-1' },
        false,
      ],
      ['other region', { region: 'us-east-1' }, SOURCE, false],
    ])('%s -> %s', (_name, dest, source, expected) => {
      expect(isSourceItself({ type: 'ecr', repositoryPrefix: '', ...dest }, source)).toBe(expected);
    });

    it('is false with a prefix or for an external registry', () => {
      expect(isSourceItself({ type: 'ecr', region: 'eu-west-1', repositoryPrefix: 'dr/' }, SOURCE)).toBe(
        false,
      );
      expect(isSourceItself({ type: 'registry', host: 'ghcr.io', repositoryPrefix: '' }, SOURCE)).toBe(false);
    });
  });
});
