import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  CredentialsError,
  ecrCredentialProvider,
  parseBasicCredentials,
} from '../../../shared/oci/credentials';

const ecr = mockClient(ECRClient);
const token = (user: string, password: string, expiresInMs = 12 * 3600 * 1000) => ({
  authorizationData: [
    {
      authorizationToken: Buffer.from(`${user}:${password}`).toString('base64'),
      expiresAt: new Date(Date.now() + expiresInMs),
    },
  ],
});

describe('ecrCredentialProvider', () => {
  beforeEach(() => {
    ecr.reset();
  });

  it('asks GetAuthorizationToken once per account and region, with a client of that region, and caches the token', async () => {
    // Prepare
    ecr.on(GetAuthorizationTokenCommand).resolves(token('AWS', 'token-one'));
    const regions: string[] = [];
    const provider = ecrCredentialProvider((region) => {
      regions.push(region);
      return new ECRClient({ region, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    });

    // Act
    const first = await provider('111111111111.dkr.ecr.eu-west-1.amazonaws.com');
    const again = await provider('111111111111.dkr.ecr.eu-west-1.amazonaws.com');
    await provider('111111111111.dkr.ecr.us-east-1.amazonaws.com');
    await provider('222222222222.dkr.ecr.eu-west-1.amazonaws.com');

    // Assess
    expect(first).toEqual({ username: 'AWS', password: 'token-one' });
    expect(again).toEqual(first);
    expect(regions).toEqual(['eu-west-1', 'us-east-1']);
    expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 3);
    expect(ecr).toHaveReceivedNthCommandWith(1, GetAuthorizationTokenCommand, {
      registryIds: ['111111111111'],
    });
    expect(ecr).toHaveReceivedNthCommandWith(2, GetAuthorizationTokenCommand, {
      registryIds: ['111111111111'],
    });
    expect(ecr).toHaveReceivedNthCommandWith(3, GetAuthorizationTokenCommand, {
      registryIds: ['222222222222'],
    });
  });

  it('fetches a new token when the cached one is about to expire', async () => {
    // Prepare: the first token has two minutes left, inside the five-minute renewal margin.
    ecr
      .on(GetAuthorizationTokenCommand)
      .resolvesOnce(token('AWS', 'expiring', 2 * 60 * 1000))
      .resolvesOnce(token('AWS', 'fresh'));
    const provider = ecrCredentialProvider();

    // Act
    await provider('111111111111.dkr.ecr.eu-west-1.amazonaws.com');
    const renewed = await provider('111111111111.dkr.ecr.eu-west-1.amazonaws.com');

    // Assess
    expect(renewed?.password).toBe('fresh');
    expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 2);
  });

  it('answers undefined (anonymous) for hosts that are not private ECR, without calling AWS', async () => {
    // Act
    const credentials = await ecrCredentialProvider()('ghcr.io');

    // Assess
    expect(credentials).toBeUndefined();
    expect(ecr).toHaveReceivedCommandTimes(GetAuthorizationTokenCommand, 0);
  });

  it('reports a failure naming account and region, and does not cache it', async () => {
    // Prepare
    ecr
      .on(GetAuthorizationTokenCommand)
      .rejectsOnce(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }))
      .resolvesOnce(token('AWS', 'second-try'));
    const provider = ecrCredentialProvider();

    // Act
    const failure = await provider('111111111111.dkr.ecr.eu-west-1.amazonaws.com').catch(
      (error: unknown) => error,
    );
    const retried = await provider('111111111111.dkr.ecr.eu-west-1.amazonaws.com');

    // Assess
    expect(failure).toBeInstanceOf(CredentialsError);
    expect((failure as Error).message).toBe(
      'ECR GetAuthorizationToken for account 111111111111 in eu-west-1 failed: AccessDeniedException: User is not authorized',
    );
    expect(retried?.password).toBe('second-try');
  });
});

describe('parseBasicCredentials', () => {
  it('splits at the first colon so passwords may contain colons', () => {
    expect(parseBasicCredentials('robot:pa:ss')).toEqual({ username: 'robot', password: 'pa:ss' });
  });

  it('rejects a value without USER: and never echoes it', () => {
    expect(() => parseBasicCredentials('secretvalue', '--src-creds')).toThrow(
      '--src-creds must be USER:PASS',
    );
  });
});
