import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CredentialsError } from '../../../shared/oci/credentials';
import {
  destinationCredentials,
  parseSecretCredentials,
  secretCredentialsReader,
} from '../../../shared/replication/registry-credentials';

const secrets = mockClient(SecretsManagerClient);

describe('registry credentials from Secrets Manager', () => {
  beforeEach(() => secrets.reset());

  it('fetches each secret once and returns username/password', async () => {
    // Prepare
    secrets
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ username: 'bot', password: 's3cret' }) });
    const read = secretCredentialsReader(new SecretsManagerClient({ region: 'eu-west-1' }));

    // Act
    const first = await read('harbormaster/ghcr');
    const second = await read('harbormaster/ghcr');

    // Assess
    expect(first).toEqual({ username: 'bot', password: 's3cret' });
    expect(second).toBe(first);
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'harbormaster/ghcr' });
  });

  it('does not cache a failed fetch', async () => {
    secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: '{"username":"u","password":"p"}' });
    const read = secretCredentialsReader(new SecretsManagerClient({ region: 'eu-west-1' }));

    await expect(read('s')).rejects.toThrow(
      'reading registry credentials from secret s failed: ThrottlingException: throttled',
    );
    await expect(read('s')).resolves.toEqual({ username: 'u', password: 'p' });
  });

  it('cleans the SDK text of a failed fetch: tokens redacted, one line, no uncleaned cause', async () => {
    // Prepare: an error text (e.g. from a proxy) that echoes a header and forges a second line.
    const token = Buffer.from('bot:ghp_leakedToken1234').toString('base64');
    secrets.on(GetSecretValueCommand).rejects(
      Object.assign(new Error(`denied\nAuthorization: Basic ${token}\nharbormaster: copied`), {
        name: 'AccessDeniedException',
      }),
    );
    const read = secretCredentialsReader(new SecretsManagerClient({ region: 'eu-west-1' }));

    // Act
    const error = (await read('harbormaster/ghcr').catch((e: unknown) => e)) as Error;

    // Assess
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toBe(
      'reading registry credentials from secret harbormaster/ghcr failed: AccessDeniedException: denied Authorization: <redacted> harbormaster: copied',
    );
    expect(error.cause).toBeUndefined();
  });

  it('names the field and never the value for a malformed secret', () => {
    const attempt = () => parseSecretCredentials('harbormaster/ghcr', '{"username":"bot","pass":"hunter2"}');

    expect(attempt).toThrow(CredentialsError);
    expect(attempt).toThrow(
      'secret harbormaster/ghcr: expected a JSON SecretString {"username": "...", "password": "..."}, field "password" is missing or empty',
    );
    expect(() => parseSecretCredentials('x', 'hunter2')).toThrow(/got text that is not JSON$/);
    try {
      parseSecretCredentials('x', 'hunter2');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('hunter2');
      expect((error as Error).cause).toBeUndefined();
    }
  });

  it('chooses ECR, secret or anonymous credentials per destination', async () => {
    const ecr = jest.fn(async () => ({ username: 'AWS', password: 'token' }));
    const readSecret = jest.fn(async () => ({ username: 'bot', password: 'pw' }));

    expect(
      destinationCredentials({ type: 'ecr', region: 'us-east-1', repositoryPrefix: '' }, ecr, readSecret),
    ).toBe(ecr);
    expect(
      destinationCredentials({ type: 'registry', host: 'quay.io', repositoryPrefix: '' }, ecr, readSecret),
    ).toBeUndefined();
    const provider = destinationCredentials(
      { type: 'registry', host: 'ghcr.io', repositoryPrefix: '', credentialsSecret: 'harbormaster/ghcr' },
      ecr,
      readSecret,
    );
    await expect(provider?.('ghcr.io')).resolves.toEqual({ username: 'bot', password: 'pw' });
    expect(readSecret).toHaveBeenCalledWith('harbormaster/ghcr');
  });
});
