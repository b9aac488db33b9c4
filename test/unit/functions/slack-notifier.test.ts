import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { buildSnsAlert } from '../../../shared/notify/sns-alert';
import { failingAlert } from '../notify/alert-fixture';
import { captureLogs, setFunctionEnv } from './support';

setFunctionEnv('slack-notifier');
const { handler } =
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../../functions/slack-notifier') as typeof import('../../../functions/slack-notifier');

const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN';
const sm = mockClient(SecretsManagerClient);

function snsEvent(
  message:
    | ReturnType<typeof buildSnsAlert>
    | {
        Subject: string;
        Message: string;
        MessageAttributes: Record<string, { DataType: string; StringValue?: string }>;
      },
): SNSEvent {
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: 'arn:aws:sns:eu-west-1:111122223333:findings:sub',
        Sns: {
          Type: 'Notification',
          MessageId: 'sns-1',
          TopicArn: 'arn:aws:sns:eu-west-1:111122223333:findings',
          Subject: message.Subject,
          Message: message.Message,
          Timestamp: '2026-11-20T09:17:00.000Z',
          SignatureVersion: '1',
          Signature: 'x',
          SigningCertUrl: 'https://example.invalid/cert',
          UnsubscribeUrl: 'https://example.invalid/unsubscribe',
          MessageAttributes: Object.fromEntries(
            Object.entries(message.MessageAttributes).map(([k, v]) => [
              k,
              { Type: v.DataType ?? 'String', Value: v.StringValue ?? '' },
            ]),
          ),
        },
      },
    ],
  };
}

describe('slack-notifier handler', () => {
  let logs: ReturnType<typeof captureLogs>;
  let fetchMock: jest.Mock;
  const realFetch = global.fetch;

  beforeEach(() => {
    sm.reset();
    logs = captureLogs();
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ url: WEBHOOK }) });
    fetchMock = jest.fn(async () => new Response('ok', { status: 200 }));
    global.fetch = fetchMock as unknown as typeof fetch;
  });

  afterEach(() => {
    logs.restore();
    global.fetch = realFetch;
  });

  it('posts Block Kit built from the alert attribute, reading the secret once per container', async () => {
    // Prepare
    const event = snsEvent(buildSnsAlert(failingAlert()));

    // Act
    await handler(event);
    await handler(event);

    // Assess
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, {
      SecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:harbormaster/slack-webhook',
    });
    expect(fetchMock).toHaveBeenCalledTimes(2);
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe(WEBHOOK);
    const payload = JSON.parse(String(init.body));
    expect(payload.blocks[0].text.text).toBe('FAIL: payments/api:v1.4.2');
    expect(payload.blocks.find((b: { type: string }) => b.type === 'actions').elements[0].url).toContain(
      '/scan-results?region=eu-west-1',
    );
  });

  it('posts other topic messages (a replication failure) as their subject and text', async () => {
    // Prepare
    const event = snsEvent({
      Subject: '[Harbormaster] REPLICATION FAILED payments/api@sha256:abc',
      Message: 'Gated replication rule "dr" could not copy ...',
      MessageAttributes: { verdict: { DataType: 'String', StringValue: 'replication-failed' } },
    });

    // Act
    await handler(event);

    // Assess
    const payload = JSON.parse(String((fetchMock.mock.calls[0] as [string, RequestInit])[1].body));
    expect(payload.text).toBe('[Harbormaster] REPLICATION FAILED payments/api@sha256:abc');
    expect(payload.blocks[1].text.text).toContain('could not copy');
  });

  it('throws after Slack keeps failing, with one log line that never contains the webhook URL', async () => {
    // Prepare
    fetchMock.mockImplementation(
      async () => new Response('rate_limited', { status: 429, headers: { 'retry-after': '0' } }),
    );

    // Act
    const error = await handler(snsEvent(buildSnsAlert(failingAlert()))).catch((e: unknown) => e);

    // Assess
    expect((error as Error).name).toBe('SlackDeliveryError');
    expect(fetchMock).toHaveBeenCalledTimes(3);
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0].reason).toBe(
      'SlackDeliveryError: Slack delivery failed after 3 attempts: HTTP 429 rate_limited',
    );
    expect(JSON.stringify(logs.lines())).not.toContain('SECRETTOKEN');
  });
});
