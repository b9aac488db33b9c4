import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  SlackWebhookSecretError,
  parseWebhookSecret,
  slackWebhookReader,
} from '../../../shared/notify/slack-webhook';

const URL = 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN';
const sm = mockClient(SecretsManagerClient);

describe('slack webhook secret', () => {
  beforeEach(() => {
    sm.reset();
  });

  it('accepts the URL itself or JSON {"url"}', () => {
    // Act / Assess
    expect(parseWebhookSecret(URL, 'harbormaster/slack')).toBe(URL);
    expect(parseWebhookSecret(JSON.stringify({ url: URL }), 'harbormaster/slack')).toBe(URL);
  });

  it('rejects anything else naming the secret but never echoing its value', () => {
    // Act / Assess
    for (const bad of [
      'http://hooks.slack.com/x/SECRETTOKEN',
      '{"webhook":"SECRETTOKEN"}',
      '{not json SECRETTOKEN',
    ]) {
      const error = (() => {
        try {
          parseWebhookSecret(bad, 'harbormaster/slack');
          return undefined;
        } catch (e) {
          return e as Error;
        }
      })();
      expect(error).toBeInstanceOf(SlackWebhookSecretError);
      expect(error?.message).toContain('secret harbormaster/slack');
      expect(error?.message).not.toContain('SECRETTOKEN');
    }
  });

  it('reads Secrets Manager once per container', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).resolves({ SecretString: URL });
    const read = slackWebhookReader(
      new SecretsManagerClient({}),
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:slack',
    );

    // Act
    const first = await read();
    const second = await read();

    // Assess
    expect([first, second]).toEqual([URL, URL]);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:slack',
    });
  });

  it('does not cache a failed read', async () => {
    // Prepare
    sm.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: URL });
    const read = slackWebhookReader(new SecretsManagerClient({}), 'slack');

    // Act
    const first = await read().catch((e: unknown) => e);
    const second = await read();

    // Assess
    expect(first).toBeInstanceOf(SlackWebhookSecretError);
    expect(second).toBe(URL);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });
});
